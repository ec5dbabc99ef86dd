//! Full passes of a GraphQL store through a bulk operation, behind `Adapter::list`
//! (`ListQuery::bulk`): start `bulkOperationRunQuery` (or adopt the same query
//! already running), poll it with backoff, download the JSONL to disk in the
//! background and serve it a page at a time. No call waits longer than
//! `BulkPolling::per_call`: until the result is ready a call returns an empty page
//! with a cursor, so the caller commits progress (and renews its lease). The cursor names the operation and how many records were served,
//! so it survives a restart: a new process finds the operation again with
//! `node(id:)`, downloads its result once more and skips to the same place.
//!
//! When bulk cannot serve (the shop's bulk slots hold another query, the operation
//! failed, was cancelled or expired, its result link is gone), the pass falls back
//! to paged GraphQL from the start: slower, never incomplete. An operation with no
//! result (`url: null`) is an empty listing.

use std::collections::HashMap;
use std::sync::Arc;

use polycart_kit::adapter::{Cursor, ListQuery, Page};
use polycart_kit::model::Entity;
use polycart_kit::{Error, Result};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::ShopifyAdapter;
use crate::client::MAX_PAGE;
use crate::graphql::bulk::{self, BulkPolling, OperationState};
use crate::graphql::bulk_file::BulkFile;
use crate::graphql::read::{GqlCursor, search};

/// What a download in the background has come to: nothing yet, the indexed file, or
/// why it failed.
type Loaded = Option<std::result::Result<Arc<BulkFile>, String>>;

/// An export the adapter keeps while a pass pages through it: downloaded and indexed
/// in the background (a large result takes longer than a sync's lease), then served.
#[derive(Debug)]
pub(crate) struct Export {
    op: String,
    loaded: tokio::sync::watch::Receiver<Loaded>,
}

/// Exports being served, one per entity (a pass at a time per entity).
pub(crate) type Exports = Mutex<HashMap<Entity, Export>>;

/// Where a poll left an operation.
enum Outcome {
    Done(OperationState),
    /// Still running when this call's polling time ran out.
    Waiting,
}

/// An empty page while the export is not ready: the caller commits it and comes back
/// (a distinct cursor each time, so it can tell the pass moves).
fn waiting(op: String, at: u64, polls: u32) -> Page {
    let next = GqlCursor {
        bulk: Some(op),
        at: Some(at),
        polls: Some(polls + 1),
        ..GqlCursor::default()
    };
    Page {
        records: Vec::new(),
        next: Some(Cursor::encode(&next)),
    }
}

impl ShopifyAdapter {
    /// Whether `query` reads (or keeps reading) through a bulk export.
    pub(crate) fn wants_bulk(query: &ListQuery, cursor: &GqlCursor) -> bool {
        cursor.bulk.is_some()
            || cursor.slot_since.is_some()
            || (query.bulk
                && bulk::exportable(query.entity)
                && cursor.after.is_none()
                && cursor.location.is_none())
    }

    /// One page of a full pass through a bulk export.
    pub(crate) async fn list_bulk(&self, query: &ListQuery, cursor: GqlCursor) -> Result<Page> {
        let entity = query.entity;
        let (op, at, polls) = match cursor.bulk {
            Some(op) => (op, cursor.at.unwrap_or(0), cursor.polls.unwrap_or(0)),
            None => {
                return match self.start_bulk(query, &cursor).await? {
                    // Its id is committed before anything else happens: a run killed
                    // from here on resumes this operation instead of starting another.
                    Started::Op(op) => Ok(waiting(op, 0, 0)),
                    Started::Waiting(since, polls) => Ok(Page {
                        records: Vec::new(),
                        next: Some(Cursor::encode(&GqlCursor {
                            slot_since: Some(since),
                            polls: Some(polls),
                            ..GqlCursor::default()
                        })),
                    }),
                    Started::Refused(why) => {
                        self.note_paging(entity, &why);
                        self.paged_from_start(query).await
                    }
                };
            }
        };
        let deadline = tokio::time::Instant::now() + self.bulk_polling.per_call;
        let loading = match self.cached_export(entity, &op).await {
            Some(loading) => Fetched::Loading(loading),
            None => self.fetch_export(entity, &op, deadline).await?,
        };
        let loaded = match loading {
            Fetched::Loading(loaded) => loaded,
            Fetched::Empty => return Ok(Page::last(Vec::new())),
            Fetched::Waiting => return Ok(waiting(op, at, polls)),
            Fetched::Unusable(why) => {
                self.note_paging(entity, &format!("bulk operation {op} {why}"));
                return self.paged_from_start(query).await;
            }
        };
        let Some(file) = self.await_download(entity, loaded, deadline).await? else {
            return Ok(waiting(op, at, polls));
        };
        let n = query.page_size_or(MAX_PAGE) as usize;
        let start = usize::try_from(at).unwrap_or(usize::MAX);
        let stitched = file.page(start, n)?;
        let records = self.map_stitched(entity, stitched).await?;
        let served = start.saturating_add(n);
        let next = if served < file.len() {
            Some(Cursor::encode(&GqlCursor {
                bulk: Some(op),
                at: Some(served as u64),
                ..GqlCursor::default()
            }))
        } else {
            // The last page: the file is no longer needed.
            self.exports.lock().await.remove(&entity);
            None
        };
        Ok(Page { records, next })
    }

    async fn paged_from_start(&self, query: &ListQuery) -> Result<Page> {
        let mut paged = query.clone();
        paged.cursor = None;
        paged.bulk = false;
        self.list_graphql(&paged).await
    }

    async fn cached_export(
        &self,
        entity: Entity,
        op: &str,
    ) -> Option<tokio::sync::watch::Receiver<Loaded>> {
        let exports = self.exports.lock().await;
        exports
            .get(&entity)
            .filter(|e| e.op == op)
            .map(|e| e.loaded.clone())
    }

    /// Waits (until `deadline`) for a background download; `None`: still going.
    async fn await_download(
        &self,
        entity: Entity,
        mut loaded: tokio::sync::watch::Receiver<Loaded>,
        deadline: tokio::time::Instant,
    ) -> Result<Option<Arc<BulkFile>>> {
        let outcome =
            match tokio::time::timeout_at(deadline, loaded.wait_for(Option::is_some)).await {
                Err(_) => return Ok(None),
                Ok(Err(_)) => Err("the download stopped".to_owned()),
                Ok(Ok(v)) => v.clone().unwrap_or_else(|| Err("no result".to_owned())),
            };
        match outcome {
            Ok(file) => Ok(Some(file)),
            Err(message) => {
                // Transient: the next call downloads the result again.
                self.exports.lock().await.remove(&entity);
                Err(Error::Transport {
                    message,
                    timeout: false,
                })
            }
        }
    }

    /// Says (in the log and in the run's record) why a pass pages the API where a bulk
    /// export was asked for.
    fn note_paging(&self, entity: Entity, why: &str) {
        tracing::warn!(%entity, %why, "bulk export unavailable, paging the GraphQL API instead");
        self.notes.note(
            entity,
            format!("{entity}: paged the GraphQL API instead of a bulk export: {why}"),
        );
    }

    /// Starts the entity's bulk query, or finds the operation already doing it. A
    /// refusal for want of a slot is handled: an operation running (or just done) with
    /// the same query is adopted; ours for the same entity that nothing reads (a killed
    /// run's) are cancelled; slots other exports hold are waited for, up to
    /// `BulkPolling::slot_wait` from `cursor.slot_since`, inside this call's time.
    async fn start_bulk(&self, query: &ListQuery, cursor: &GqlCursor) -> Result<Started> {
        let text = bulk::bulk_query(query.entity, search(query).as_deref());
        let run = bulk::run_mutation(&self.config.api_version, bulk::groups_objects(query.entity));
        let now = chrono::Utc::now().timestamp_millis();
        let since = cursor.slot_since.unwrap_or(now);
        let mut polls = cursor.polls.unwrap_or(0);
        let deadline = tokio::time::Instant::now() + self.bulk_polling.per_call;
        loop {
            // A mutation costs 10 points, its payload 2 more.
            let data = self.gql(&run, json!({ "q": text }), 12).await?;
            let payload = &data["bulkOperationRunQuery"];
            if let Some(id) = payload["bulkOperation"]["id"].as_str() {
                tracing::info!(operation = id, entity = %query.entity, "bulk export started");
                return Ok(Started::Op(id.to_owned()));
            }
            let errors = payload["userErrors"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let message = |e: &Value| e["message"].as_str().unwrap_or("refused").to_owned();
            if !errors
                .iter()
                .any(|e| bulk::slot_taken(e["code"].as_str(), &message(e)))
            {
                let messages: Vec<String> = errors.iter().map(message).collect();
                return Ok(Started::Refused(format!(
                    "Shopify refused the bulk query: {}",
                    messages.join("; ")
                )));
            }
            let ops = self.recent_operations().await?;
            let plan = bulk::plan_slots(query.entity, &text, &ops, chrono::Utc::now());
            for id in &plan.cancel {
                self.cancel_operation(id).await?;
            }
            if let Some(op) = plan.adopt {
                tracing::info!(operation = %op, entity = %query.entity, "adopting the bulk export already there");
                return Ok(Started::Op(op));
            }
            let waited = chrono::Utc::now().timestamp_millis() - since;
            if waited >= i64::try_from(self.bulk_polling.slot_wait.as_millis()).unwrap_or(i64::MAX)
            {
                return Ok(Started::Refused(format!(
                    "the shop's bulk slots stayed taken by other exports for {:.1} s",
                    waited as f64 / 1000.0
                )));
            }
            if plan.cancel.is_empty() {
                tracing::info!(entity = %query.entity, "the shop's bulk slots are taken: waiting for one");
            }
            let wait = self.bulk_polling.delay(polls);
            polls = polls.saturating_add(1);
            if tokio::time::Instant::now() + wait > deadline {
                return Ok(Started::Waiting(since, polls));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The app's recent bulk queries, newest first: the list on 2026-01 and later,
    /// the latest one before.
    async fn recent_operations(&self) -> Result<Vec<OperationState>> {
        if bulk::version_at_least(&self.config.api_version, "2026-01") {
            let data = self.gql(bulk::RECENT, json!({}), 27).await?;
            let edges = data["bulkOperations"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            return edges
                .into_iter()
                .map(|e| {
                    serde_json::from_value(e["node"].clone())
                        .map_err(|e| Error::decode("$.data.bulkOperations", e.to_string()))
                })
                .collect();
        }
        let data = self.gql(bulk::CURRENT, json!({}), 1).await?;
        Ok(serde_json::from_value(data["currentBulkOperation"].clone())
            .ok()
            .into_iter()
            .collect())
    }

    /// Cancels a stale operation of ours; one that ended meanwhile is fine.
    async fn cancel_operation(&self, op: &str) -> Result<()> {
        let data = self.gql(bulk::CANCEL, json!({ "id": op }), 11).await?;
        let errors = &data["bulkOperationCancel"]["userErrors"];
        tracing::info!(operation = op, errors = %errors, "cancelled a stale bulk export of ours");
        Ok(())
    }

    /// Polls `op` until it ends (or `deadline`), then starts downloading and indexing
    /// its result in the background.
    async fn fetch_export(
        &self,
        entity: Entity,
        op: &str,
        deadline: tokio::time::Instant,
    ) -> Result<Fetched> {
        let state = match self.await_operation(op, deadline).await? {
            Outcome::Waiting => return Ok(Fetched::Waiting),
            Outcome::Done(state) => state,
        };
        if state.status != "COMPLETED" {
            return Ok(Fetched::Unusable(format!(
                "ended {} ({})",
                state.status,
                state.error_code.as_deref().unwrap_or("no error code")
            )));
        }
        let Some(url) = state.url.as_deref() else {
            return Ok(Fetched::Empty);
        };
        let url =
            url::Url::parse(url).map_err(|e| Error::decode("$.data.node.url", e.to_string()))?;
        polycart_kit::net::check_url(&url)?;
        // The signed URL needs no token: a plain client, so the token never leaves
        // for the storage host.
        let response = self
            .download_http
            .get(url)
            .send()
            .await
            .map_err(|e| Error::Transport {
                timeout: e.is_timeout(),
                message: format!("bulk download failed: {}", e.without_url()),
            })?;
        let status = response.status();
        if matches!(status.as_u16(), 403 | 404 | 410) {
            return Ok(Fetched::Unusable(format!(
                "its result link answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(Error::Platform {
                status: status.as_u16(),
                body: "bulk result download refused".to_owned(),
            });
        }
        let objects = state.objects();
        let (tx, rx) = tokio::sync::watch::channel(None);
        let op_id = op.to_owned();
        tokio::spawn(async move {
            let loaded = async {
                let started = std::time::Instant::now();
                let file =
                    BulkFile::download(entity, bulk::groups_objects(entity), response).await?;
                let downloaded = started.elapsed();
                let indexed = tokio::task::spawn_blocking(move || file.index(objects));
                let file = indexed.await.map_err(|e| Error::Transport {
                    message: format!("indexing the bulk result stopped: {e}"),
                    timeout: false,
                })??;
                tracing::info!(
                    operation = %op_id,
                    records = file.len(),
                    download_s = downloaded.as_secs_f64(),
                    index_s = (started.elapsed() - downloaded).as_secs_f64(),
                    "bulk export downloaded and indexed"
                );
                Ok::<_, Error>(file)
            }
            .await;
            // Nobody waiting any more (the adapter went away) is fine.
            let _ = tx.send(Some(loaded.map(Arc::new).map_err(|e| e.to_string())));
        });
        self.exports.lock().await.insert(
            entity,
            Export {
                op: op.to_owned(),
                loaded: rx.clone(),
            },
        );
        Ok(Fetched::Loading(rx))
    }

    async fn await_operation(&self, op: &str, deadline: tokio::time::Instant) -> Result<Outcome> {
        let polling: BulkPolling = self.bulk_polling;
        let mut n = 0;
        loop {
            let data = self.gql(bulk::POLL, json!({ "id": op }), 1).await?;
            if data["node"].is_null() {
                // Gone (results are kept for a week): nothing to read from it.
                return Ok(Outcome::Done(OperationState {
                    id: op.to_owned(),
                    status: "EXPIRED".to_owned(),
                    error_code: None,
                    object_count: None,
                    url: None,
                    query: None,
                    completed_at: None,
                }));
            }
            let state: OperationState = serde_json::from_value(data["node"].clone())
                .map_err(|e| Error::decode("$.data.node", e.to_string()))?;
            if !state.running() {
                return Ok(Outcome::Done(state));
            }
            let wait = polling.delay(n);
            if tokio::time::Instant::now() + wait > deadline {
                return Ok(Outcome::Waiting);
            }
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }
}

/// What starting an export came to.
enum Started {
    /// Started, or adopted.
    Op(String),
    /// Waiting for a free slot since (Unix milliseconds), after this many polls.
    Waiting(i64, u32),
    /// Bulk cannot serve this pass: why.
    Refused(String),
}

/// What fetching an operation's result gave.
enum Fetched {
    /// Its result is on its way to disk.
    Loading(tokio::sync::watch::Receiver<Loaded>),
    /// Completed without a result: nothing matched.
    Empty,
    Waiting,
    /// Failed, cancelled, expired, or its link is dead: page instead.
    Unusable(String),
}
