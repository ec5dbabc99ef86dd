//! The conformance [`Suite`]: a fresh simulator per check, a store connected to it
//! through the connector, and the checks of reading, paging, incremental sync,
//! deletions, retries, refusals and webhook signatures (writes: `writes.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::{
    CHECKS, count_matches_listing, get_matches_list, ids, incremental_sees_updates,
    rejects_bad_webhook_signature, resumes_from_cursor,
};
use crate::adapter::{Adapter, Capabilities, Deletions, ListQuery, Precision, WebhookKind};
use crate::connector::{AdapterContext, Connector, StoreConfig};
use crate::error::Error;
use crate::model::{Entity, Record};
use crate::secret::Secret;
use crate::sim::{Fault, Signing, SimError, SimHandle, SimOptions, SimServer, StoreSize, Target};
use crate::transport::TransportMetrics;
use crate::walk::collect_all;

/// The suite for one platform configuration.
#[derive(Debug, Clone)]
pub struct Suite {
    connector: Connector,
    settings: BTreeMap<String, String>,
    /// Credentials given besides the simulator's own (`SimInfo::credentials`).
    credentials: BTreeMap<String, String>,
    options: SimOptions,
    page_size: u32,
    /// The store's auth logs in again after a 401 (`auth::LoginToken`).
    renews_login: bool,
    /// Whether the platform's webhook signature covers the body (false: Ecwid signs
    /// only the event's id and time, so a body changed after signing cannot be told).
    body_signed: bool,
}

impl From<Connector> for Suite {
    fn from(connector: Connector) -> Self {
        Suite::new(connector)
    }
}

/// Why a check (or one entity of it) did not run.
pub(super) struct Skip(pub(super) String);

impl From<SimError> for Skip {
    fn from(e: SimError) -> Self {
        Skip(e.to_string())
    }
}

pub(super) type Outcome = Result<(), Skip>;

impl Suite {
    /// The suite with a small store (seed 3: 7 products, 7 customers, 9 orders) and
    /// pages of 3.
    pub fn new(connector: Connector) -> Self {
        Self {
            connector,
            settings: BTreeMap::new(),
            credentials: BTreeMap::new(),
            options: SimOptions {
                seed: 3,
                size: StoreSize {
                    products: 7,
                    customers: 7,
                    orders: 9,
                },
                ..SimOptions::default()
            },
            page_size: 3,
            renews_login: false,
            body_signed: true,
        }
    }

    /// The platform signs a webhook's identity, not its body (Ecwid): the check that a
    /// body changed after signing is refused does not apply.
    pub fn body_unsigned(mut self) -> Self {
        self.body_signed = false;
        self
    }

    /// A store setting for the connected store (`api` = `rest`).
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.insert(name.to_owned(), value.to_owned());
        self
    }

    /// A credential the store gives besides (or instead of) the simulator's own, for
    /// a platform with several credential sets (an admin login or an integration's
    /// token). `wrong_credentials_refused` makes these wrong along with the
    /// connector's required ones.
    pub fn credential(mut self, name: &str, value: &str) -> Self {
        self.credentials.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The configuration's auth logs in again after a 401 (an admin token,
    /// `auth::LoginToken`): `auth_failure_typed_not_retried` then allows that one
    /// login and one retry, and no more.
    pub fn renews_login_after_401(mut self) -> Self {
        self.renews_login = true;
        self
    }

    /// The simulator's plan (`SimOptions::plan`).
    pub fn plan(mut self, plan: &str) -> Self {
        self.options.plan = Some(plan.to_owned());
        self
    }

    /// The generated store's size; each entity needs more than `page_size + 1`
    /// records for the paging checks.
    pub fn size(mut self, size: StoreSize) -> Self {
        self.options.size = size;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = seed;
        self
    }

    /// The page size the paging checks ask for (clamped to each entity's maximum).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// `shopify[api=rest]`: how failures name this configuration.
    pub fn label(&self) -> String {
        if self.settings.is_empty() {
            return self.connector.name.to_owned();
        }
        let s: Vec<String> = self
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}[{}]", self.connector.name, s.join(","))
    }

    /// Runs every check, each on a fresh simulator.
    pub async fn run(&self) {
        for name in CHECKS {
            self.check(name).await;
        }
    }

    /// Runs one check by name on a fresh simulator; panics naming the check on failure.
    pub async fn check(&self, name: &str) {
        let label = format!("{} {name}", self.label());
        let cx = self.start(&label).await;
        let outcome = match name {
            "full_sync_equals_truth" => full_sync_equals_truth(&cx).await,
            "resumes_from_a_stored_cursor" => resumes_from_a_stored_cursor(&cx).await,
            "get_matches_list" => get_matches_list_check(&cx).await,
            "count_matches_truth" => count_matches_truth(&cx).await,
            "incremental_reads_changes" => incremental_reads_changes(&cx).await,
            "change_mid_pass_skips_nothing" => change_mid_pass_skips_nothing(&cx).await,
            "paging_edge_empty" => paging_edge(&cx, Edge::Empty).await,
            "paging_edge_one_page" => paging_edge(&cx, Edge::OnePage).await,
            "paging_edge_one_page_plus_one" => paging_edge(&cx, Edge::OnePagePlusOne).await,
            "deletions_disappear" => deletions_disappear(&cx).await,
            "throttled_with_retry_after" => {
                fault_is_survived(
                    &cx,
                    Fault::TooManyRequests {
                        retry_after: Some(1),
                    },
                    1,
                )
                .await
            }
            "throttled_without_retry_after" => {
                fault_is_survived(&cx, Fault::TooManyRequests { retry_after: None }, 1).await
            }
            "server_errors_retried" => fault_is_survived(&cx, Fault::ServerError, 2).await,
            "html_on_success_retried" => fault_is_survived(&cx, Fault::HtmlOk, 1).await,
            "truncated_body_retried" => fault_is_survived(&cx, Fault::Truncated, 1).await,
            "auth_failure_typed_not_retried" => {
                auth_failure_typed_not_retried(&cx, self.renews_login).await
            }
            "wrong_credentials_refused" => wrong_credentials_refused(self, &cx).await,
            "writes_round_trip" => super::writes::writes_round_trip(&cx).await,
            "writes_not_retried_blindly" => super::writes::writes_not_retried_blindly(&cx).await,
            "webhook_signature_accepted" => webhook_signature_accepted(&cx).await,
            "webhook_signature_rejected" => webhook_signature_rejected(&cx, self.body_signed).await,
            other => panic!("{label}: no conformance check {other:?}; known: {CHECKS:?}"),
        };
        if let Err(Skip(why)) = outcome {
            println!("{label}: skipped: {why}");
        }
        cx.server.shutdown().await;
    }

    /// [`Suite::check`] on a runtime of its own (what [`conformance_tests!`] calls).
    pub fn run_blocking(&self, name: &str) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a test runtime builds")
            .block_on(self.check(name));
    }

    async fn start(&self, label: &str) -> Cx {
        let server = (self.connector.simulate)(
            self.options.clone(),
            "127.0.0.1:0".parse().expect("a socket address"),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the simulator does not start: {e}"));
        let sim = server.handle().cloned().unwrap_or_else(|| {
            panic!("{label}: the simulator offers no SimHandle (SimServer::with_handle)")
        });
        let metrics = Arc::new(TransportMetrics::default());
        let adapter = self.connect(&server, label, &metrics, |_, v| v.to_owned());
        let caps = adapter.capabilities().clone();
        let restarted = self.connect(&server, label, &metrics, |_, v| v.to_owned());
        Cx {
            restarted,
            label: label.to_owned(),
            page_size: self.page_size,
            server,
            sim,
            adapter,
            metrics,
            caps,
        }
    }

    /// A store on the simulator, its credentials passed through `credential`.
    fn connect(
        &self,
        server: &SimServer,
        label: &str,
        metrics: &Arc<TransportMetrics>,
        credential: impl Fn(&str, &str) -> String,
    ) -> Arc<dyn Adapter> {
        let config = StoreConfig {
            store_id: format!("conformance-{}", self.connector.name),
            base_url: server
                .info
                .base_url
                .parse()
                .unwrap_or_else(|e| panic!("{label}: simulator base URL: {e}")),
            credentials: server
                .info
                .credentials
                .iter()
                .filter(|(k, _)| !self.credentials.contains_key(*k))
                .chain(&self.credentials)
                .map(|(k, v)| (k.clone(), Secret::new(credential(k, v))))
                .collect(),
            settings: self.settings.clone(),
        };
        let context = AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        };
        (self.connector.connect)(&config, &context)
            .unwrap_or_else(|e| panic!("{label}: connecting to the simulator failed: {e}"))
    }
}

/// What a check works with: a fresh simulator and a store connected to it.
pub(super) struct Cx {
    pub(super) label: String,
    pub(super) page_size: u32,
    pub(super) server: SimServer,
    pub(super) sim: Arc<dyn SimHandle>,
    pub(super) adapter: Arc<dyn Adapter>,
    pub(super) metrics: Arc<TransportMetrics>,
    pub(super) caps: Capabilities,
    /// A second store connection to the same simulator: the app after a restart.
    pub(super) restarted: Arc<dyn Adapter>,
}

impl Cx {
    pub(super) fn a(&self) -> &dyn Adapter {
        self.adapter.as_ref()
    }

    pub(super) fn entities(&self) -> Vec<Entity> {
        self.caps.entity_list()
    }

    pub(super) fn page(&self, entity: Entity) -> u32 {
        self.page_size.min(self.caps.max_page_size(entity))
    }

    pub(super) fn truth(&self, entity: Entity) -> Result<BTreeSet<String>, Skip> {
        Ok(self.sim.truth(entity)?.into_iter().collect())
    }

    pub(super) fn skip(&self, entity: Entity, why: impl std::fmt::Display) {
        println!("{}: {entity}: skipped: {why}", self.label);
    }

    pub(super) async fn list_all(&self, query: ListQuery) -> Vec<Record> {
        let entity = query.entity;
        collect_all(self.a(), query)
            .await
            .unwrap_or_else(|e| panic!("{}: {entity}: listing failed: {e}", self.label))
    }

    /// Lists `entity` to the end and checks it against the simulator's truth.
    pub(super) async fn assert_full_sync(&self, entity: Entity, page_size: u32) -> Vec<Record> {
        let records = self
            .list_all(ListQuery::new(entity).page_size(page_size))
            .await;
        let truth = self
            .truth(entity)
            .unwrap_or_else(|Skip(why)| panic!("{}: {entity}: no truth: {why}", self.label));
        self.assert_equals_truth(entity, &records, &truth);
        records
    }

    pub(super) fn assert_equals_truth(
        &self,
        entity: Entity,
        records: &[Record],
        truth: &BTreeSet<String>,
    ) {
        let label = &self.label;
        let mut seen = BTreeSet::new();
        for r in records {
            assert_eq!(r.entity(), entity, "{label}: a {entity} listing gave {r:?}");
            assert_eq!(
                r.platform(),
                self.a().platform(),
                "{label}: {entity} {} names another platform",
                r.platform_id()
            );
            assert!(
                seen.insert(r.platform_id().to_owned()),
                "{label}: {entity} {} listed twice",
                r.platform_id()
            );
        }
        let missing: Vec<&String> = truth.difference(&seen).collect();
        let extra: Vec<&String> = seen.difference(truth).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{label}: {entity} listing != the simulator's truth ({} listed, {} there): missing {missing:?}, not there {extra:?}",
            seen.len(),
            truth.len()
        );
    }

    /// One page of `entity`, so a check's armed faults meet the listing itself and not
    /// a connection's first-request probes.
    pub(super) async fn warm_up(&self, entity: Entity) {
        self.a()
            .list(&ListQuery::new(entity).page_size(self.page(entity)))
            .await
            .unwrap_or_else(|e| panic!("{}: {entity}: first page failed: {e}", self.label));
    }
}

/// The ids of `records` as a set.
pub(super) fn id_set(records: &[Record]) -> BTreeSet<String> {
    ids(records).into_iter().collect()
}

/// Every entity listed to the end (in small pages) is exactly the simulator's truth:
/// no record missing, none extra, none twice, each of its entity and platform.
async fn full_sync_equals_truth(cx: &Cx) -> Outcome {
    for entity in cx.entities() {
        match cx.truth(entity) {
            Ok(_) => {
                cx.assert_full_sync(entity, cx.page(entity)).await;
            }
            Err(Skip(why)) => cx.skip(entity, why),
        }
    }
    Ok(())
}

/// The first page's cursor, kept as text and resumed in a fresh query (and by a fresh
/// connection, as after a restart), gives the rest: together they are the simulator's
/// truth, and the same as one uninterrupted pass.
async fn resumes_from_a_stored_cursor(cx: &Cx) -> Outcome {
    for entity in cx.entities() {
        let truth = match cx.truth(entity) {
            Ok(t) => t,
            Err(Skip(why)) => {
                cx.skip(entity, why);
                continue;
            }
        };
        let page = cx.page(entity);
        if truth.len() <= page as usize {
            cx.skip(entity, format!("{} records fit one page", truth.len()));
            continue;
        }
        resumes_from_cursor(cx.a(), entity, page).await;
        let first = cx
            .a()
            .list(&ListQuery::new(entity).page_size(page))
            .await
            .unwrap_or_else(|e| panic!("{}: {entity}: first page failed: {e}", cx.label));
        let stored = first
            .next
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| panic!("{}: {entity}: no cursor after a full first page", cx.label));
        let mut records = first.records;
        let rest = collect_all(
            cx.restarted.as_ref(),
            ListQuery::new(entity)
                .page_size(page)
                .with_cursor(Some(crate::adapter::Cursor::new(stored))),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{}: {entity}: resuming after a restart failed: {e}",
                cx.label
            )
        });
        records.extend(rest);
        cx.assert_equals_truth(entity, &records, &truth);
    }
    Ok(())
}

/// `get` of the first, middle and last listed record returns the same record; `get`
/// of an id the platform does not have is `NotFound`.
async fn get_matches_list_check(cx: &Cx) -> Outcome {
    let mut ran = false;
    for entity in cx.entities() {
        if !cx.caps.entity(entity).is_some_and(|e| e.get) {
            cx.skip(entity, "no get");
            continue;
        }
        ran = true;
        let records = cx
            .list_all(ListQuery::new(entity).page_size(cx.caps.max_page_size(entity)))
            .await;
        if records.is_empty() {
            cx.skip(entity, "no records");
            continue;
        }
        for i in [0, records.len() / 2, records.len() - 1] {
            get_matches_list(cx.a(), &records[i]).await;
        }
        if entity != Entity::Inventory {
            match cx.a().get(entity, "987654321").await {
                Err(Error::NotFound { .. }) => {}
                other => panic!(
                    "{}: {entity}: get of an unknown id gave {other:?}, not NotFound",
                    cx.label
                ),
            }
        }
    }
    if ran {
        Ok(())
    } else {
        Err(Skip("no entity has get".into()))
    }
}

/// `count` equals the simulator's truth.
async fn count_matches_truth(cx: &Cx) -> Outcome {
    let (counted, not): (Vec<Entity>, Vec<Entity>) =
        cx.entities().into_iter().partition(|e| cx.caps.counts(*e));
    for entity in not {
        cx.skip(entity, "the platform does not count it");
    }
    if counted.is_empty() {
        return Err(Skip("no entity is counted".into()));
    }
    for entity in counted {
        match cx.truth(entity) {
            Ok(truth) => count_matches_listing(cx.a(), entity, truth.len()).await,
            Err(Skip(why)) => cx.skip(entity, why),
        }
    }
    Ok(())
}

/// The entities with an incremental filter finer than a day.
fn incremental_entities(cx: &Cx) -> Vec<Entity> {
    cx.caps
        .entities
        .iter()
        .filter(|e| {
            e.incremental
                .as_ref()
                .is_some_and(|i| i.precision != Precision::Day)
        })
        .map(|e| e.entity)
        .collect()
}

/// Two records changed now (the first and last of the truth): a listing updated since
/// just before returns exactly them, nothing older.
async fn incremental_reads_changes(cx: &Cx) -> Outcome {
    let entities = incremental_entities(cx);
    for entity in cx.entities() {
        if !entities.contains(&entity) {
            cx.skip(entity, "no filter by modification time (finer than a day)");
        }
    }
    if entities.is_empty() {
        return Err(Skip(
            "no entity filters by modification time (finer than a day)".into(),
        ));
    }
    for entity in entities {
        let truth: Vec<String> = match cx.truth(entity) {
            Ok(t) => t.into_iter().collect(),
            Err(Skip(why)) => {
                cx.skip(entity, why);
                continue;
            }
        };
        let (Some(first), Some(last)) = (truth.first(), truth.last()) else {
            cx.skip(entity, "no records");
            continue;
        };
        let now = Utc::now();
        let since = now - Duration::seconds(2);
        let touched: BTreeSet<String> = [first.clone(), last.clone()].into();
        let mut skipped = false;
        for id in &touched {
            if let Err(e) = cx.sim.touch(entity, id, now) {
                cx.skip(entity, e);
                skipped = true;
                break;
            }
        }
        if skipped {
            continue;
        }
        let wanted: Vec<String> = touched.iter().cloned().collect();
        let records = incremental_sees_updates(cx.a(), entity, since, &wanted).await;
        // Records sharing a modification time with a changed one (a variant's levels at
        // every location) may come too; the rest of the store may not.
        assert!(
            records.len() < truth.len(),
            "{}: {entity}: an incremental read since {since} returned {} of {} records for {} changed",
            cx.label,
            records.len(),
            truth.len(),
            touched.len()
        );
    }
    Ok(())
}

/// A pass in small pages during which records change (one already read, one not yet
/// read) still lists every record: full passes, and incremental passes from long ago.
async fn change_mid_pass_skips_nothing(cx: &Cx) -> Outcome {
    let incremental = incremental_entities(cx);
    for entity in cx.entities() {
        let truth = match cx.truth(entity) {
            Ok(t) => t,
            Err(Skip(why)) => {
                cx.skip(entity, why);
                continue;
            }
        };
        let page = cx.page(entity);
        if truth.len() <= page as usize {
            cx.skip(entity, format!("{} records fit one page", truth.len()));
            continue;
        }
        let mut queries = vec![("full", ListQuery::new(entity).page_size(page))];
        if incremental.contains(&entity) {
            let long_ago = Utc
                .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                .single()
                .expect("a valid date");
            queries.push((
                "incremental",
                ListQuery::new(entity)
                    .page_size(page)
                    .updated_since(long_ago),
            ));
        }
        for (pass, query) in queries {
            let first = cx.a().list(&query).await.unwrap_or_else(|e| {
                panic!(
                    "{}: {entity}: {pass} pass: first page failed: {e}",
                    cx.label
                )
            });
            let mut seen = id_set(&first.records);
            let read = first.records.first().map(|r| r.platform_id().to_owned());
            let unread = truth.iter().find(|id| !seen.contains(*id)).cloned();
            let now = Utc::now();
            let mut touched = 0;
            for id in read.iter().chain(unread.iter()) {
                match cx.sim.touch(entity, id, now) {
                    Ok(()) => touched += 1,
                    Err(e) => {
                        cx.skip(entity, e);
                        break;
                    }
                }
            }
            if touched == 0 {
                break;
            }
            if let Some(cursor) = first.next {
                let rest = cx.list_all(query.clone().with_cursor(Some(cursor))).await;
                seen.extend(ids(&rest));
            }
            let missing: Vec<&String> = truth.difference(&seen).collect();
            assert!(
                missing.is_empty(),
                "{}: {entity}: a {pass} pass with records changed after its first page skipped {missing:?} (changed: {read:?}, {unread:?})",
                cx.label
            );
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Empty,
    OnePage,
    OnePagePlusOne,
}

/// The store cut down (by deleting records in the simulator) to no record, exactly one
/// page, and one page plus one: the listing is the truth, no page is larger than asked,
/// and the cursor ends within two pages of the last full one (an entity listed from two
/// platform listings, Shopify's custom then smart collections, or derived from another,
/// levels read per page of products, may end a page early or end with an empty page).
async fn paging_edge(cx: &Cx, edge: Edge) -> Outcome {
    let mut ran = false;
    for entity in cx.entities() {
        let page = cx.page(entity);
        let keep = match edge {
            Edge::Empty => 0,
            Edge::OnePage => page as usize,
            Edge::OnePagePlusOne => page as usize + 1,
        };
        let truth = match cx.truth(entity) {
            Ok(t) => t,
            Err(Skip(why)) => {
                cx.skip(entity, why);
                continue;
            }
        };
        if truth.len() < keep {
            cx.skip(
                entity,
                format!(
                    "{} records, fewer than {keep}; use a larger store",
                    truth.len()
                ),
            );
            continue;
        }
        let mut unsupported = None;
        for id in truth.iter().skip(keep) {
            if let Err(e) = cx.sim.delete(entity, id) {
                unsupported = Some(e);
                break;
            }
        }
        if let Some(e) = unsupported {
            cx.skip(entity, e);
            continue;
        }
        let truth = cx.truth(entity)?;
        if truth.len() != keep {
            // Deleting one entity's records took another's with it (a product's
            // variants): the edge is not reachable by deletion alone.
            cx.skip(
                entity,
                format!(
                    "{} records remain after deleting down to {keep}",
                    truth.len()
                ),
            );
            continue;
        }
        ran = true;
        let mut query = ListQuery::new(entity).page_size(page);
        let mut records = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let p = cx.a().list(&query).await.unwrap_or_else(|e| {
                panic!(
                    "{}: {entity}: page {} failed: {e}",
                    cx.label,
                    sizes.len() + 1
                )
            });
            sizes.push(p.records.len());
            assert!(
                p.records.len() <= page as usize,
                "{}: {entity}: a page of {} records when {page} were asked for",
                cx.label,
                p.records.len()
            );
            records.extend(p.records);
            match p.next {
                Some(next) if sizes.len() < keep + 4 => query = query.with_cursor(Some(next)),
                Some(_) => panic!(
                    "{}: {entity}: {keep} records and the cursor still goes on after {} pages",
                    cx.label,
                    sizes.len()
                ),
                None => break,
            }
        }
        cx.assert_equals_truth(entity, &records, &truth);
        let full_pages = keep.div_ceil(page as usize);
        assert!(
            sizes.len() <= full_pages + 2,
            "{}: {entity}: {keep} records in pages of {page} took {} pages: {sizes:?}",
            cx.label,
            sizes.len()
        );
        println!(
            "{}: {entity}: {keep} records came as pages of {sizes:?}",
            cx.label
        );
    }
    if ran {
        Ok(())
    } else {
        Err(Skip("no entity could be cut down".into()))
    }
}

/// A record deleted on the platform is gone from the listing and `get` answers
/// `NotFound`; where deletions come by webhook, the platform's delete delivery verifies
/// as a deletion of that record.
async fn deletions_disappear(cx: &Cx) -> Outcome {
    let mut ran = false;
    for entity in cx.entities() {
        let truth: Vec<String> = match cx.truth(entity) {
            Ok(t) => t.into_iter().collect(),
            Err(Skip(why)) => {
                cx.skip(entity, why);
                continue;
            }
        };
        let Some(gone) = truth.get(truth.len() / 2).cloned() else {
            cx.skip(entity, "no records");
            continue;
        };
        if let Err(e) = cx.sim.delete(entity, &gone) {
            cx.skip(entity, e);
            continue;
        }
        ran = true;
        let records = cx.assert_full_sync(entity, cx.page(entity)).await;
        assert!(
            !id_set(&records).contains(&gone),
            "{}: {entity}: deleted {gone} is still listed",
            cx.label
        );
        if cx.caps.entity(entity).is_some_and(|e| e.get) {
            match cx.a().get(entity, &gone).await {
                Err(Error::NotFound { .. }) => {}
                other => panic!(
                    "{}: {entity}: get of deleted {gone} gave {other:?}, not NotFound",
                    cx.label
                ),
            }
        }
        let by_webhook = cx.caps.webhooks
            && cx
                .caps
                .entity(entity)
                .is_some_and(|e| e.deletions == Deletions::WebhooksAndReconciliation);
        if by_webhook {
            match cx
                .sim
                .webhook(entity, &gone, WebhookKind::Deleted, Signing::Correct)
            {
                Ok(d) => {
                    let event = cx
                        .a()
                        .verify_webhook(&d.headers, &d.body)
                        .unwrap_or_else(|e| {
                            panic!(
                                "{}: {entity}: delete webhook {} refused: {e}",
                                cx.label, d.topic
                            )
                        });
                    assert_eq!(
                        event.kind,
                        WebhookKind::Deleted,
                        "{}: {entity}: delete webhook {} read as {event:?}",
                        cx.label,
                        d.topic
                    );
                    assert_eq!(
                        event.platform_id.as_deref(),
                        Some(gone.as_str()),
                        "{}: {entity}: delete webhook {} names another record",
                        cx.label,
                        d.topic
                    );
                }
                Err(e) => cx.skip(entity, format!("delete webhook: {e}")),
            }
        }
    }
    if ran {
        Ok(())
    } else {
        Err(Skip("the simulator deletes no entity".into()))
    }
}

/// `times` armed `fault`s in the middle of a listing (after its first page) are
/// survived: the listing is still the truth, every fault fired, and the transport
/// counted them as what they are (429s as throttling, the rest as retries).
async fn fault_is_survived(cx: &Cx, fault: Fault, times: u32) -> Outcome {
    let entity = *cx
        .entities()
        .first()
        .ok_or_else(|| Skip("no entity is listed".into()))?;
    cx.warm_up(entity).await;
    let before = cx.metrics.snapshot();
    let injected = cx.sim.faults().injected();
    cx.sim.faults().arm(fault, times, Target::Any);
    cx.assert_full_sync(entity, cx.page(entity)).await;
    let label = &cx.label;
    assert_eq!(
        cx.sim.faults().armed_remaining(),
        0,
        "{label}: {entity}: the armed {fault:?} never met a request"
    );
    assert_eq!(
        cx.sim.faults().injected() - injected,
        u64::from(times),
        "{label}: {entity}: {fault:?} fired another number of times than armed"
    );
    let after = cx.metrics.snapshot();
    if let Fault::TooManyRequests { .. } = fault {
        assert!(
            after.throttled_429 - before.throttled_429 >= u64::from(times),
            "{label}: {entity}: {times} × {fault:?} were not read as throttling: {after:?}"
        );
    } else {
        assert!(
            after.retries - before.retries >= u64::from(times),
            "{label}: {entity}: {times} × {fault:?} were not retried: {after:?}"
        );
    }
    Ok(())
}

/// A 401 in the middle of a listing is `Error::Auth` after exactly one request: an
/// auth failure is never retried. Where the auth logs in again after a 401
/// ([`Suite::renews_login_after_401`]), 401s that persist are `Error::Auth` after at
/// most the request, one login and one retry.
async fn auth_failure_typed_not_retried(cx: &Cx, renews_login: bool) -> Outcome {
    let entity = *cx
        .entities()
        .first()
        .ok_or_else(|| Skip("no entity is listed".into()))?;
    cx.warm_up(entity).await;
    let faults = cx.sim.faults();
    let before = faults.requests();
    let allowed = if renews_login { 3 } else { 1 };
    faults.arm(Fault::Unauthorized, allowed, Target::Any);
    let result = cx
        .a()
        .list(&ListQuery::new(entity).page_size(cx.page(entity)))
        .await;
    let sent = faults.requests() - before;
    faults.disarm();
    match result {
        Err(Error::Auth { .. }) => {}
        other => panic!(
            "{}: {entity}: a 401 gave {other:?}, not Error::Auth",
            cx.label
        ),
    }
    assert!(
        sent >= 1 && sent <= u64::from(allowed),
        "{}: {entity}: a 401 was followed by {} more requests",
        cx.label,
        sent.saturating_sub(1)
    );
    Ok(())
}

/// A store whose required credentials (and those given with [`Suite::credential`])
/// are all wrong is refused with `Error::Auth`.
async fn wrong_credentials_refused(suite: &Suite, cx: &Cx) -> Outcome {
    let entity = *cx
        .entities()
        .first()
        .ok_or_else(|| Skip("no entity is listed".into()))?;
    let metrics = Arc::new(TransportMetrics::default());
    let required = suite.connector.credentials;
    if required.is_empty() && suite.credentials.is_empty() {
        return Err(Skip(
            "the connector requires no credential; name the configuration's with Suite::credential"
                .into(),
        ));
    }
    let wrong = suite.connect(&cx.server, &cx.label, &metrics, |k, v| {
        if required.contains(&k) || suite.credentials.contains_key(k) {
            format!("{v}x")
        } else {
            v.to_owned()
        }
    });
    match wrong
        .list(&ListQuery::new(entity).page_size(cx.page(entity)))
        .await
    {
        Err(Error::Auth { .. }) => Ok(()),
        other => panic!(
            "{}: {entity}: wrong credentials gave {other:?}, not Error::Auth",
            cx.label
        ),
    }
}

/// The entities with webhook topics, when the store verifies webhooks.
fn webhook_entities(cx: &Cx) -> Result<Vec<Entity>, Skip> {
    if !cx.caps.webhooks {
        return Err(Skip("the store does not verify webhooks".into()));
    }
    let out: Vec<Entity> = cx
        .caps
        .entities
        .iter()
        .filter(|e| !e.webhook_topics.is_empty())
        .map(|e| e.entity)
        .collect();
    for entity in cx.entities() {
        if !out.contains(&entity) {
            cx.skip(entity, "no webhook topics");
        }
    }
    if out.is_empty() {
        return Err(Skip("no entity has webhook topics".into()));
    }
    Ok(out)
}

/// A delivery signed as the platform signs it verifies, and names the record.
async fn webhook_signature_accepted(cx: &Cx) -> Outcome {
    for entity in webhook_entities(cx)? {
        let Some(id) = cx.truth(entity)?.into_iter().next() else {
            cx.skip(entity, "no records");
            continue;
        };
        let d = match cx
            .sim
            .webhook(entity, &id, WebhookKind::Updated, Signing::Correct)
        {
            Ok(d) => d,
            Err(e) => {
                cx.skip(entity, e);
                continue;
            }
        };
        let event = cx
            .a()
            .verify_webhook(&d.headers, &d.body)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {entity}: a correctly signed {} delivery was refused: {e}",
                    cx.label, d.topic
                )
            });
        assert!(
            matches!(event.kind, WebhookKind::Updated | WebhookKind::Created),
            "{}: {entity}: {} read as {:?}",
            cx.label,
            d.topic,
            event.kind
        );
        assert_eq!(
            event.entity,
            Some(entity),
            "{}: {entity}: {} read as another entity",
            cx.label,
            d.topic
        );
        assert_eq!(
            event.platform_id.as_deref(),
            Some(id.as_str()),
            "{}: {entity}: {} names another record",
            cx.label,
            d.topic
        );
    }
    Ok(())
}

/// A delivery signed with another secret, or (where the signature covers the body)
/// whose body changed after signing, is refused as `Error::Auth`.
async fn webhook_signature_rejected(cx: &Cx, body_signed: bool) -> Outcome {
    for entity in webhook_entities(cx)? {
        let Some(id) = cx.truth(entity)?.into_iter().next() else {
            cx.skip(entity, "no records");
            continue;
        };
        let forged = match cx
            .sim
            .webhook(entity, &id, WebhookKind::Updated, Signing::WrongSecret)
        {
            Ok(d) => d,
            Err(e) => {
                cx.skip(entity, e);
                continue;
            }
        };
        rejects_bad_webhook_signature(cx.a(), &forged.headers, &forged.body);
        if !body_signed {
            continue;
        }
        let mut tampered = cx
            .sim
            .webhook(entity, &id, WebhookKind::Updated, Signing::Correct)?;
        tampered.body.push(b' ');
        rejects_bad_webhook_signature(cx.a(), &tampered.headers, &tampered.body);
    }
    Ok(())
}
