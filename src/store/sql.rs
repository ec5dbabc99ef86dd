//! The SQL both backends share, written once as a macro expanded in each backend's
//! module with its concrete sqlx database type (sqlx's generic executor bounds are
//! heavier than the few differences: placeholders are `$n` in both, and each backend
//! supplies `begin_write`, the suffix that locks a leased row, and the bulk statements
//! of a page, where the two differ most: `known_rows`, `write_versions`, `touch_seen`
//! and `insert_changes` — multi-row `VALUES` on SQLite, `UNNEST` of arrays on
//! PostgreSQL).
//!
//! Documents: every written version of a record is stored once, in `documents`; the
//! record row points at its current version and each change row at the version it
//! announces, so the feed delivers each version as it was written without a second
//! copy. Documents are never rewritten nor removed while a record or a change row
//! names them; retention and compaction ([`super::feed`]) collect them after.

use chrono::{DateTime, Utc};
use polycart_kit::Entity;

use super::ChangeKind;

/// One new version of a record to write: its indexed columns and its document.
pub(super) struct Version {
    pub(super) platform_id: String,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) created_at: Option<DateTime<Utc>>,
    pub(super) hash: String,
    /// The document as stored ([`super::packed`]).
    pub(super) document: Vec<u8>,
}

/// A stored record's state, as the upsert compares it.
pub(super) struct Known {
    pub(super) hash: String,
    pub(super) deleted: bool,
    pub(super) updated_at: Option<DateTime<Utc>>,
    /// The backend's handle on the stored row, when it has one (PostgreSQL: its
    /// tuple id, locked by the transaction).
    pub(super) row: Option<String>,
}

/// An unchanged record to stamp as seen: its platform id and [`Known::row`].
pub(super) type Unchanged = (String, Option<String>);

/// A change to append once sequence numbers are taken.
pub(super) struct Pending {
    pub(super) entity: Entity,
    pub(super) platform_id: String,
    pub(super) kind: ChangeKind,
    /// The version announced (`documents.id`).
    pub(super) document_id: i64,
}

/// Whether a listed version is older than the stored one (a page read before a
/// webhook's re-read committed after it): it must not replace the newer one.
pub(super) fn is_older(listed: Option<DateTime<Utc>>, known: &Known) -> bool {
    !known.deleted && matches!((listed, known.updated_at), (Some(l), Some(k)) if l < k)
}

/// The conflict clause of a record upsert: a new version replaces the stored one unless
/// the stored one is newer (checked again under the row lock, so a concurrent writer's
/// newer version is never overwritten).
pub(super) const UPSERT_RECORD: &str = "ON CONFLICT (store_id, entity, platform_id) DO UPDATE SET \
     updated_at = excluded.updated_at, created_at = excluded.created_at, hash = excluded.hash, \
     deleted = FALSE, seen_pass = excluded.seen_pass, synced_at = excluded.synced_at, \
     document_id = excluded.document_id \
     WHERE records.deleted OR records.updated_at IS NULL OR excluded.updated_at IS NULL \
     OR excluded.updated_at >= records.updated_at";

/// A subscription's feed horizon (`subscriptions t`): the whole feed's for one over
/// every store, its store's otherwise. The subscription fell behind when its cursor is
/// below it.
pub(super) const SUBSCRIPTION_HORIZON: &str = "(CASE WHEN t.store_id IS NULL \
     THEN (SELECT value FROM counters WHERE name = 'changes_pruned') \
     ELSE COALESCE((SELECT h.pruned_through FROM feed_horizons h WHERE h.store_id = t.store_id), 0) END)";

/// Closes the still running runs of a job's earlier leases as abandoned ($1 now, $2 the
/// new holder, $3 the job, $4 the new lease's token).
pub(super) const ABANDON_RUNS: &str = "UPDATE sync_runs SET state = 'abandoned', finished_at = $1, \
     error = 'abandoned: ' || worker || ' stopped renewing its lease; the job was leased again by ' || $2 \
     WHERE job_id = $3 AND lease_token < $4 AND state = 'running'";

/// A document nobody needs: no record's current version, named by no change.
pub(super) const UNREFERENCED: &str = "NOT EXISTS (SELECT 1 FROM records r WHERE r.document_id = documents.id) \
     AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.document_id = documents.id)";

/// Expands `impl Store for $store` for a backend whose pool is `self.pool` and whose
/// transaction starts with `self.begin_write()`. `$lock` follows the `LIMIT 1` of a
/// lease subquery (`FOR UPDATE ... SKIP LOCKED` on PostgreSQL, nothing on SQLite).
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:expr, $lock:literal) => {
        use std::collections::{BTreeMap, HashMap};

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::{Entity, Record, Secret, StoreConfig};
        use sqlx::Row;

        use crate::store::{
            ApiKey, ApiKeys, Backend, Change, ChangeFeed, ChangeKind, CursorState, Delivery, EntityStats, DeliveryResult, Error, Idempotency, IdempotencyState, FinishPass, Health,
            Lease, NewStore, PageCommit, PageOutcome, Pass, PruneOutcome, Result, RunState, StorageStats, Store, StoreInfo, StoreJobs, StoreRecords, StoreState, Stores,
            StoredRecord, Subscription, Subscriptions, SweepOutcome, SyncRun, content_hash, document_hash, new_id,
        };
        use crate::store::sql::{ABANDON_RUNS, Known, Pending, SUBSCRIPTION_HORIZON, Unchanged, Version, is_older};
        use crate::store::stamp::stamped_document;
        use crate::store::packed::{pack, unpack};
        use crate::store::crypto::{store_context, subscription_context};

        type Tx = sqlx::Transaction<'static, $db>;

        fn entity_of(s: &str) -> Result<Entity> {
            s.parse::<Entity>().map_err(Error::Corrupt)
        }

        fn entities_of(s: &str) -> Result<Vec<Entity>> {
            s.split(',').filter(|e| !e.is_empty()).map(entity_of).collect()
        }

        fn store_info(row: &<$db as sqlx::Database>::Row) -> Result<StoreInfo> {
            let settings: String = row.try_get("settings")?;
            Ok(StoreInfo {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                platform: row.try_get("platform")?,
                base_url: row.try_get("base_url")?,
                settings: serde_json::from_str(&settings)
                    .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?,
                entities: entities_of(&row.try_get::<String, _>("entities")?)?,
                interval_secs: row.try_get("interval_secs")?,
                state: StoreState::parse(&row.try_get::<String, _>("state")?)?,
                failures: row.try_get("failures")?,
                last_error: row.try_get("last_error")?,
                retry_at: row.try_get("retry_at")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn stored_record(row: &<$db as sqlx::Database>::Row) -> Result<StoredRecord> {
            Ok(StoredRecord {
                store_id: row.try_get("store_id")?,
                entity: entity_of(&row.try_get::<String, _>("entity")?)?,
                platform_id: row.try_get("platform_id")?,
                updated_at: row.try_get("updated_at")?,
                created_at: row.try_get("created_at")?,
                hash: row.try_get("hash")?,
                deleted: row.try_get("deleted")?,
                document: unpack(&row.try_get::<Vec<u8>, _>("document")?)?,
            })
        }

        fn sync_run(row: &<$db as sqlx::Database>::Row) -> Result<SyncRun> {
            Ok(SyncRun {
                id: row.try_get("id")?,
                store_id: row.try_get("store_id")?,
                entity: row.try_get("entity")?,
                kind: row.try_get("kind")?,
                worker: row.try_get("worker")?,
                state: RunState::parse(&row.try_get::<String, _>("state")?)?,
                started_at: row.try_get("started_at")?,
                finished_at: row.try_get("finished_at")?,
                pages: row.try_get("pages")?,
                records: row.try_get("records")?,
                changed: row.try_get("changed")?,
                error: row.try_get("error")?,
            })
        }

        fn lease_of(row: &<$db as sqlx::Database>::Row, owner: &str) -> Result<Lease> {
            Ok(Lease {
                job_id: row.try_get("id")?,
                store_id: row.try_get("store_id")?,
                entity: entity_of(&row.try_get::<String, _>("entity")?)?,
                owner: owner.to_owned(),
                until: row.try_get("lease_until")?,
                token: row.try_get("attempts")?,
            })
        }

        /// Checks (and extends) a lease inside a transaction: the fencing token (the
        /// job's lease count) keeps a worker whose lease was taken over from writing, even
        /// when the new holder has the same name.
        async fn fence(tx: &mut Tx, lease: &Lease, until: DateTime<Utc>) -> Result<()> {
            let done = sqlx::query(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND attempts = $4",
            )
            .bind(until)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .bind(lease.token)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::LeaseLost { job: lease.job_id, owner: lease.owner.clone() });
            }
            Ok(())
        }

        /// Takes sequence numbers (holding the counter row until commit, so the feed's
        /// order is commit order) and appends the changes. Change rows are small: each
        /// names the document version it announces.
        async fn append_changes(tx: &mut Tx, store_id: &str, pending: &[Pending], now: DateTime<Utc>) -> Result<()> {
            if pending.is_empty() {
                return Ok(());
            }
            let n = i64::try_from(pending.len()).expect("a page has fewer than 2^63 changes");
            let last: i64 = sqlx::query_scalar(
                "UPDATE counters SET value = value + $1 WHERE name = 'change_seq' RETURNING value",
            )
            .bind(n)
            .fetch_one(&mut **tx)
            .await?;
            insert_changes(&mut **tx, store_id, last - n + 1, pending, now).await
        }

        /// Upserts records whose content hash changed, unless the stored version is
        /// newer; stamps the others as seen. The conflict clause repeats the age check
        /// under the row lock, so a concurrent writer (PostgreSQL) cannot be overwritten
        /// by an older version either, and only rows actually written emit a change.
        /// A written version's document is stored once, in `documents`: the record and
        /// its change row both point at it.
        ///
        /// Pipelined: a writer task owns the transaction and runs each chunk's
        /// statements while this task serialises and hashes the next chunk, so the
        /// database works while documents are being made. The transaction comes back
        /// with the outcome.
        async fn upsert(
            mut tx: Tx,
            store_id: &str,
            records: &[Record],
            seen_pass: i64,
            now: DateTime<Utc>,
            pending: &mut Vec<Pending>,
        ) -> Result<(Tx, PageOutcome)> {
            let mut outcome = PageOutcome::default();
            let mut by_entity: BTreeMap<Entity, Vec<&Record>> = BTreeMap::new();
            for record in records {
                by_entity.entry(record.entity()).or_default().push(record);
            }
            for (entity, group) in by_entity {
                let ids: Vec<&str> = group.iter().map(|r| r.platform_id()).collect();
                let known = known_rows(&mut *tx, store_id, entity.as_str(), &ids).await?;
                drop(ids);
                let (chunks, received) = tokio::sync::mpsc::channel::<Vec<Version>>(2);
                let writer = tokio::spawn(write_chunks(tx, store_id.to_owned(), entity, seen_pass, now, received));
                let decided = decide(store_id, &group, known, &chunks).await;
                drop(chunks);
                let written = match writer.await {
                    Ok(written) => written,
                    Err(e) => match e.try_into_panic() {
                        Ok(panic) => std::panic::resume_unwind(panic),
                        Err(_) => return Err(Error::Database(sqlx::Error::WorkerCrashed)),
                    },
                };
                // The writer's error first: a refused send is its doing.
                let (back, written) = written?;
                tx = back;
                let (order, unchanged) = decided?;
                for (platform_id, kind) in order {
                    let Some(&document_id) = written.get(&platform_id) else {
                        // A newer version committed concurrently: this one is stale.
                        outcome.unchanged += 1;
                        continue;
                    };
                    match kind {
                        ChangeKind::Created => outcome.created += 1,
                        _ => outcome.updated += 1,
                    }
                    pending.push(Pending { entity, platform_id, kind, document_id });
                }
                outcome.unchanged += unchanged.len() as u64;
                if seen_pass > 0 && !unchanged.is_empty() {
                    touch_seen(&mut *tx, store_id, entity.as_str(), &unchanged, seen_pass, now).await?;
                }
            }
            Ok((tx, outcome))
        }

        /// Records per chunk of a pipelined upsert.
        const CHUNK: usize = 50;

        /// Serialises, hashes and compares one entity's records, a chunk at a time, and
        /// sends the versions to write to the writer. Returns the records written, once
        /// each with the kind of their first listing (a page may list a record twice:
        /// the newest listing is written, created stays created), in listing order, and
        /// the unchanged ones.
        async fn decide(
            store_id: &str,
            group: &[&Record],
            mut known: HashMap<String, Known>,
            chunks: &tokio::sync::mpsc::Sender<Vec<Version>>,
        ) -> Result<(Vec<(String, ChangeKind)>, Vec<Unchanged>)> {
            let mut order: Vec<(String, ChangeKind)> = Vec::new();
            let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
            let mut unchanged: Vec<Unchanged> = Vec::new();
            for part in group.chunks(CHUNK) {
                let mut batch: Vec<Version> = Vec::with_capacity(part.len());
                let mut in_batch: HashMap<String, usize> = HashMap::new();
                for record in part {
                    let document = stamped_document(record, store_id)?;
                    let hash = document_hash(&document);
                    let platform_id = record.platform_id();
                    let kind = match known.get(platform_id) {
                        None => ChangeKind::Created,
                        Some(k) if k.deleted => ChangeKind::Created,
                        Some(k) if k.hash != hash && !is_older(record.updated_at(), k) => ChangeKind::Updated,
                        Some(k) => {
                            unchanged.push((platform_id.to_owned(), k.row.clone()));
                            continue;
                        }
                    };
                    let version = Version {
                        platform_id: platform_id.to_owned(),
                        updated_at: record.updated_at(),
                        created_at: record.created_at(),
                        hash,
                        document: pack(&document),
                    };
                    known.insert(
                        version.platform_id.clone(),
                        // Written by this page: stamped as seen by its upsert.
                        Known { hash: version.hash.clone(), deleted: false, updated_at: version.updated_at, row: None },
                    );
                    if listed.insert(version.platform_id.clone()) {
                        order.push((version.platform_id.clone(), kind));
                    }
                    // One row per statement: a newer listing in the same chunk replaces
                    // the older; one in a later chunk is written again over it.
                    match in_batch.get(&version.platform_id) {
                        Some(&i) => batch[i] = version,
                        None => {
                            in_batch.insert(version.platform_id.clone(), batch.len());
                            batch.push(version);
                        }
                    }
                }
                if !batch.is_empty() && chunks.send(batch).await.is_err() {
                    // The writer stopped on an error, which it returns.
                    break;
                }
            }
            Ok((order, unchanged))
        }

        /// The writer task of a pipelined upsert: writes every chunk it receives, then
        /// removes the documents of versions a later listing in the page superseded.
        /// Returns the transaction and the document id of every record written.
        async fn write_chunks(
            mut tx: Tx,
            store_id: String,
            entity: Entity,
            seen_pass: i64,
            now: DateTime<Utc>,
            mut received: tokio::sync::mpsc::Receiver<Vec<Version>>,
        ) -> Result<(Tx, HashMap<String, i64>)> {
            let mut written: HashMap<String, i64> = HashMap::new();
            let mut superseded: Vec<i64> = Vec::new();
            while let Some(chunk) = received.recv().await {
                let done = write_versions(&mut *tx, &store_id, entity.as_str(), seen_pass, now, chunk).await?;
                for (platform_id, document_id) in done {
                    superseded.extend(written.insert(platform_id, document_id));
                }
            }
            for id in superseded {
                sqlx::query("DELETE FROM documents WHERE id = $1").bind(id).execute(&mut *tx).await?;
            }
            Ok((tx, written))
        }

        async fn delete_in(
            tx: &mut Tx,
            store_id: &str,
            entity: Entity,
            ids: &[String],
            now: DateTime<Utc>,
            pending: &mut Vec<Pending>,
        ) -> Result<u64> {
            let mut n = 0;
            for id in ids {
                let row = sqlx::query(
                    "UPDATE records SET deleted = TRUE, synced_at = $1 WHERE store_id = $2 AND entity = $3 \
                     AND platform_id = $4 AND deleted = FALSE RETURNING document_id",
                )
                .bind(now)
                .bind(store_id)
                .bind(entity.as_str())
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
                if let Some(row) = row {
                    n += 1;
                    pending.push(Pending {
                        entity,
                        platform_id: id.clone(),
                        kind: ChangeKind::Deleted,
                        // The last version, announced again as deleted.
                        document_id: row.try_get("document_id")?,
                    });
                }
            }
            Ok(n)
        }

        async fn write_pass(tx: &mut Tx, store_id: &str, entity: Entity, pass: &Pass) -> Result<()> {
            let json = serde_json::to_string(pass).expect("pass state serialises");
            sqlx::query(
                "INSERT INTO cursors (store_id, entity, pass) VALUES ($1, $2, $3) \
                 ON CONFLICT (store_id, entity) DO UPDATE SET pass = excluded.pass",
            )
            .bind(store_id)
            .bind(entity.as_str())
            .bind(json)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Opens a subscription row's secret (columns id, url, secret).
        fn subscription_secret(row: &<$db as sqlx::Database>::Row, cipher: Option<&crate::store::Cipher>) -> Result<Secret> {
            let sealed: Vec<u8> = row.try_get("secret")?;
            let context = subscription_context(&row.try_get::<String, _>("id")?, &row.try_get::<String, _>("url")?);
            let cipher = cipher.ok_or(Error::MissingKey)?;
            let secret = String::from_utf8(cipher.decrypt(&sealed, &context)?).map_err(|_| Error::Decrypt)?;
            Ok(Secret::new(secret))
        }

        /// Opens a store row's credentials (columns id, platform, base_url, credentials).
        fn store_credentials(
            row: &<$db as sqlx::Database>::Row,
            cipher: Option<&crate::store::Cipher>,
        ) -> Result<BTreeMap<String, Secret>> {
            let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>("credentials")? else {
                return Ok(BTreeMap::new());
            };
            let context = store_context(
                &row.try_get::<String, _>("id")?,
                &row.try_get::<String, _>("platform")?,
                &row.try_get::<String, _>("base_url")?,
            );
            let cipher = cipher.ok_or(Error::MissingKey)?;
            let plain: BTreeMap<String, String> =
                serde_json::from_slice(&cipher.decrypt(&sealed, &context)?).map_err(|_| Error::Decrypt)?;
            Ok(plain.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())
        }

        /// A subscription row (columns of `SUBSCRIPTION_COLUMNS`).
        fn subscription_of(
            row: &<$db as sqlx::Database>::Row,
            cipher: Option<&crate::store::Cipher>,
        ) -> Result<Subscription> {
            let last_seq: i64 = row.try_get("last_seq")?;
            let horizon: i64 = row.try_get("horizon")?;
            Ok(Subscription {
                fell_behind: (last_seq < horizon).then_some(horizon + 1),
                secret: subscription_secret(row, cipher)?,
                id: row.try_get("id")?,
                url: row.try_get("url")?,
                store_id: row.try_get("store_id")?,
                last_seq,
                failures: row.try_get("failures")?,
                last_error: row.try_get("last_error")?,
                lease_owner: row.try_get("lease_owner")?,
            })
        }

        /// How far the feed is pruned (see [`Store::changes_horizon`]).
        async fn horizon_in<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, store_id: Option<&str>) -> Result<i64> {
            let horizon: Option<i64> = match store_id {
                None => sqlx::query_scalar("SELECT value FROM counters WHERE name = 'changes_pruned'")
                    .fetch_optional(e)
                    .await?,
                Some(store_id) => sqlx::query_scalar("SELECT pruned_through FROM feed_horizons WHERE store_id = $1")
                    .bind(store_id)
                    .fetch_optional(e)
                    .await?,
            };
            Ok(horizon.unwrap_or(0))
        }

        /// Closes the runs of `job`'s earlier leases still running: their worker is
        /// gone (or fenced out), and `owner` holds the job under lease `token` now.
        async fn abandon_runs(tx: &mut Tx, job: i64, token: i64, owner: &str) -> Result<()> {
            sqlx::query(ABANDON_RUNS)
                .bind(Utc::now())
                .bind(owner)
                .bind(job)
                .bind(token)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        impl $store {
            /// Runs the embedded migrations (version, description, SQL), then refuses
            /// to start when credentials are stored and no key was given.
            async fn ready(self, migrations: &[(i64, &'static str, &'static str)]) -> Result<Self> {
                use std::borrow::Cow;
                use sqlx::migrate::{Migration, MigrationType, Migrator};
                let migrator = Migrator {
                    migrations: Cow::Owned(
                        migrations
                            .iter()
                            .map(|&(version, description, sql)| {
                                Migration::new(
                                    version,
                                    Cow::Borrowed(description),
                                    MigrationType::Simple,
                                    Cow::Borrowed(sql),
                                    false,
                                )
                            })
                            .collect(),
                    ),
                    ..Migrator::DEFAULT
                };
                migrator.run(&self.pool).await?;
                // One sealed value of each kind: without a key, or with a key that does
                // not open them, nothing stored can be used.
                let store_secret = sqlx::query(
                    "SELECT id, platform, base_url, credentials FROM stores WHERE credentials IS NOT NULL LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                if let Some(row) = store_secret {
                    store_credentials(&row, self.cipher.as_ref())?;
                }
                let hook_secret = sqlx::query("SELECT id, url, secret FROM subscriptions LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(row) = hook_secret {
                    subscription_secret(&row, self.cipher.as_ref())?;
                }
                Ok(self)
            }
        }

        const STORE_COLUMNS: &str = "id, name, platform, base_url, settings, entities, interval_secs, state, \
                                     failures, last_error, retry_at, created_at";
        /// A record's columns and its current document, read from `RECORD_FROM`.
        const RECORD_COLUMNS: &str = "r.store_id AS store_id, r.entity AS entity, r.platform_id AS platform_id, \
                                      r.updated_at AS updated_at, r.created_at AS created_at, r.hash AS hash, \
                                      r.deleted AS deleted, d.document AS document";
        const RECORD_FROM: &str = "records r JOIN documents d ON d.id = r.document_id";
        const RUN_COLUMNS: &str =
            "id, store_id, entity, kind, worker, state, started_at, finished_at, pages, records, changed, error";
        /// A subscription's columns with its feed horizon, read from `subscriptions t`.
        const SUBSCRIPTION_COLUMNS: &str =
            "t.id AS id, t.url AS url, t.secret AS secret, t.store_id AS store_id, t.last_seq AS last_seq, \
             t.failures AS failures, t.last_error AS last_error, t.lease_owner AS lease_owner";

        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }
        }

        #[async_trait]
        impl Stores for $store {
            async fn add_store(&self, new: &NewStore) -> Result<StoreInfo> {
                if new.entities.is_empty() {
                    return Err(Error::Invalid("a store needs at least one entity to sync".into()));
                }
                if !(crate::store::MIN_INTERVAL_SECS..=crate::store::MAX_INTERVAL_SECS).contains(&new.interval_secs) {
                    return Err(Error::Invalid(format!(
                        "interval_secs must be between {} and {}",
                        crate::store::MIN_INTERVAL_SECS,
                        crate::store::MAX_INTERVAL_SECS
                    )));
                }
                let id = new_id("st");
                let credentials = if new.credentials.is_empty() {
                    None
                } else {
                    let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                    let plain: BTreeMap<&str, &str> =
                        new.credentials.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
                    let json = serde_json::to_vec(&plain).expect("credentials serialise");
                    Some(cipher.encrypt(&json, &store_context(&id, &new.platform, new.base_url.as_str())))
                };
                let now = Utc::now();
                let entities: Vec<&str> = new.entities.iter().map(|e| e.as_str()).collect();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO stores (id, name, platform, base_url, credentials, settings, entities, interval_secs, \
                     state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9)",
                )
                .bind(&id)
                .bind(&new.name)
                .bind(&new.platform)
                .bind(new.base_url.as_str())
                .bind(credentials)
                .bind(serde_json::to_string(&new.settings).expect("settings serialise"))
                .bind(entities.join(","))
                .bind(new.interval_secs)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for entity in &new.entities {
                    sqlx::query("INSERT INTO jobs (store_id, entity, due_at) VALUES ($1, $2, $3)")
                        .bind(&id)
                        .bind(entity.as_str())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.get_store(&id).await
            }

            async fn list_stores(&self) -> Result<Vec<StoreInfo>> {
                let sql = format!("SELECT {STORE_COLUMNS} FROM stores ORDER BY created_at, id");
                sqlx::query(&sql).fetch_all(&self.pool).await?.iter().map(store_info).collect()
            }

            async fn get_store(&self, id: &str) -> Result<StoreInfo> {
                let sql = format!("SELECT {STORE_COLUMNS} FROM stores WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                store_info(&row.ok_or_else(|| Error::not_found(format!("store {id}")))?)
            }

            async fn store_config(&self, id: &str) -> Result<StoreConfig> {
                let row = sqlx::query("SELECT id, platform, base_url, credentials, settings FROM stores WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("store {id}")))?;
                let base_url: String = row.try_get("base_url")?;
                let settings: String = row.try_get("settings")?;
                let credentials = store_credentials(&row, self.cipher.as_ref())?;
                Ok(StoreConfig {
                    store_id: id.to_owned(),
                    base_url: url::Url::parse(&base_url).map_err(|e| Error::Corrupt(format!("store url: {e}")))?,
                    credentials,
                    settings: serde_json::from_str(&settings)
                        .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?,
                })
            }

            async fn update_credentials(
                &self,
                id: &str,
                credentials: &BTreeMap<String, Secret>,
                settings: &BTreeMap<String, String>,
            ) -> Result<()> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let mut tx = self.begin_write().await?;
                // Lock the row first (PostgreSQL): concurrent rotations apply one by one.
                let locked = sqlx::query("UPDATE stores SET credentials = credentials WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() == 0 {
                    return Err(Error::not_found(format!("store {id}")));
                }
                let row = sqlx::query("SELECT id, platform, base_url, credentials, settings FROM stores WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut merged = store_credentials(&row, Some(cipher))?;
                merged.extend(credentials.iter().map(|(k, v)| (k.clone(), v.clone())));
                let mut all_settings: BTreeMap<String, String> = serde_json::from_str(&row.try_get::<String, _>("settings")?)
                    .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?;
                all_settings.extend(settings.iter().map(|(k, v)| (k.clone(), v.clone())));
                let plain: BTreeMap<&str, &str> = merged.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
                let json = serde_json::to_vec(&plain).expect("credentials serialise");
                let context = store_context(
                    id,
                    &row.try_get::<String, _>("platform")?,
                    &row.try_get::<String, _>("base_url")?,
                );
                sqlx::query("UPDATE stores SET credentials = $1, settings = $2 WHERE id = $3")
                    .bind(cipher.encrypt(&json, &context))
                    .bind(serde_json::to_string(&all_settings).expect("settings serialise"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_store(&self, id: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                for table in ["jobs", "cursors", "records", "sync_runs"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE store_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM stores WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("store {id}")));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn set_health(&self, id: &str, health: &Health) -> Result<()> {
                sqlx::query("UPDATE stores SET state = $1, failures = $2, last_error = $3, retry_at = $4 WHERE id = $5")
                    .bind(health.state.as_str())
                    .bind(health.failures)
                    .bind(&health.last_error)
                    .bind(health.retry_at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn begin_probe(&self, id: &str, now: DateTime<Utc>, until: DateTime<Utc>, force: bool) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE stores SET state = 'half_open', retry_at = $1 WHERE id = $2 \
                     AND state IN ('circuit_open', 'auth_failed', 'half_open') \
                     AND ($3 OR retry_at IS NULL OR retry_at <= $4)",
                )
                .bind(until)
                .bind(id)
                .bind(force)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl StoreRecords for $store {
            async fn commit_page(&self, page: &PageCommit<'_>) -> Result<PageOutcome> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                if let Some(lease) = page.fence {
                    fence(&mut tx, lease, page.renew_until).await?;
                }
                let seen = if page.pass.full { page.pass.id } else { 0 };
                let mut pending = Vec::new();
                let (mut tx, outcome) = upsert(tx, page.store_id, page.records, seen, now, &mut pending).await?;
                append_changes(&mut tx, page.store_id, &pending, now).await?;
                write_pass(&mut tx, page.store_id, page.entity, page.pass).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn upsert_records(&self, store_id: &str, records: &[Record]) -> Result<PageOutcome> {
                let now = Utc::now();
                let tx = self.begin_write().await?;
                let mut pending = Vec::new();
                let (mut tx, outcome) = upsert(tx, store_id, records, 0, now, &mut pending).await?;
                append_changes(&mut tx, store_id, &pending, now).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn mark_deleted(&self, store_id: &str, entity: Entity, platform_ids: &[String]) -> Result<u64> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                let mut pending = Vec::new();
                let n = delete_in(&mut tx, store_id, entity, platform_ids, now, &mut pending).await?;
                append_changes(&mut tx, store_id, &pending, now).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn get_record(&self, store_id: &str, entity: Entity, platform_id: &str) -> Result<Option<StoredRecord>> {
                let sql = format!(
                    "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.store_id = $1 AND r.entity = $2 AND r.platform_id = $3"
                );
                let row = sqlx::query(&sql)
                    .bind(store_id)
                    .bind(entity.as_str())
                    .bind(platform_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(stored_record).transpose()
            }

            async fn list_records(
                &self,
                store_id: &str,
                entity: Entity,
                after: Option<&str>,
                limit: i64,
                include_deleted: bool,
            ) -> Result<Vec<StoredRecord>> {
                let sql = format!(
                    "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.store_id = $1 AND r.entity = $2 \
                     AND r.platform_id > $3 AND (r.deleted = FALSE OR $4) ORDER BY r.platform_id LIMIT $5"
                );
                sqlx::query(&sql)
                    .bind(store_id)
                    .bind(entity.as_str())
                    .bind(after.unwrap_or(""))
                    .bind(include_deleted)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(stored_record)
                    .collect()
            }

            async fn count_records(&self, store_id: &str, entity: Entity, include_deleted: bool) -> Result<u64> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM records WHERE store_id = $1 AND entity = $2 AND (deleted = FALSE OR $3)",
                )
                .bind(store_id)
                .bind(entity.as_str())
                .bind(include_deleted)
                .fetch_one(&self.pool)
                .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn entity_stats(&self) -> Result<Vec<EntityStats>> {
                let mut stats: BTreeMap<(String, String), EntityStats> = BTreeMap::new();
                let counts = sqlx::query(
                    "SELECT store_id, entity, COUNT(*) AS n FROM records WHERE deleted = FALSE GROUP BY store_id, entity",
                )
                .fetch_all(&self.pool)
                .await?;
                for row in &counts {
                    let (store_id, entity): (String, String) = (row.try_get("store_id")?, row.try_get("entity")?);
                    let n: i64 = row.try_get("n")?;
                    stats.insert((store_id.clone(), entity.clone()), EntityStats {
                        store_id,
                        entity: entity_of(&entity)?,
                        live_records: u64::try_from(n).unwrap_or(0),
                        synced_through: None,
                    });
                }
                let marks = sqlx::query("SELECT store_id, entity, synced_through FROM cursors WHERE synced_through IS NOT NULL")
                    .fetch_all(&self.pool)
                    .await?;
                for row in &marks {
                    let (store_id, entity): (String, String) = (row.try_get("store_id")?, row.try_get("entity")?);
                    let synced_through: Option<DateTime<Utc>> = row.try_get("synced_through")?;
                    let parsed = entity_of(&entity)?;
                    stats
                        .entry((store_id.clone(), entity))
                        .or_insert_with(|| EntityStats { store_id, entity: parsed, live_records: 0, synced_through: None })
                        .synced_through = synced_through;
                }
                Ok(stats.into_values().collect())
            }

            async fn unseen_records(&self, store_id: &str, entity: Entity, pass: &Pass) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT platform_id FROM records WHERE store_id = $1 AND entity = $2 AND deleted = FALSE \
                     AND seen_pass < $3 AND synced_at < $4 ORDER BY platform_id",
                )
                .bind(store_id)
                .bind(entity.as_str())
                .bind(pass.id)
                .bind(pass.started_at)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn cursor(&self, store_id: &str, entity: Entity) -> Result<CursorState> {
                let row = sqlx::query("SELECT watermark, last_full_at, pass FROM cursors WHERE store_id = $1 AND entity = $2")
                    .bind(store_id)
                    .bind(entity.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(CursorState::default()) };
                let pass: Option<String> = row.try_get("pass")?;
                Ok(CursorState {
                    watermark: row.try_get("watermark")?,
                    last_full_at: row.try_get("last_full_at")?,
                    pass: pass
                        .map(|p| serde_json::from_str(&p).map_err(|e| Error::Corrupt(format!("pass state: {e}"))))
                        .transpose()?,
                })
            }

            async fn save_pass(&self, store_id: &str, entity: Entity, pass: &Pass, lease: Option<&Lease>) -> Result<()> {
                let mut tx = self.begin_write().await?;
                if let Some(lease) = lease {
                    fence(&mut tx, lease, lease.until.max(Utc::now())).await?;
                }
                write_pass(&mut tx, store_id, entity, pass).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn finish_pass(&self, finish: &FinishPass<'_>) -> Result<u64> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                if let Some(lease) = finish.fence {
                    fence(&mut tx, lease, lease.until.max(now)).await?;
                }
                let mut pending = Vec::new();
                let deleted = delete_in(&mut tx, finish.store_id, finish.entity, finish.deleted, now, &mut pending).await?;
                append_changes(&mut tx, finish.store_id, &pending, now).await?;
                let old: Option<DateTime<Utc>> = sqlx::query_scalar(
                    "SELECT watermark FROM cursors WHERE store_id = $1 AND entity = $2",
                )
                .bind(finish.store_id)
                .bind(finish.entity.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
                let watermark = crate::store::next_watermark(old, finish.pass);
                sqlx::query(
                    "INSERT INTO cursors (store_id, entity, watermark, last_full_at, synced_through, pass) \
                     VALUES ($1, $2, $3, $4, $5, NULL) \
                     ON CONFLICT (store_id, entity) DO UPDATE SET watermark = excluded.watermark, \
                     last_full_at = COALESCE(excluded.last_full_at, cursors.last_full_at), \
                     synced_through = excluded.synced_through, pass = NULL",
                )
                .bind(finish.store_id)
                .bind(finish.entity.as_str())
                .bind(watermark)
                .bind(finish.pass.full.then_some(finish.pass.started_at))
                .bind(finish.pass.started_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(deleted)
            }

            async fn next_pass_id(&self) -> Result<i64> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = 'pass' RETURNING value")
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(id)
            }
        }

        #[async_trait]
        impl StoreJobs for $store {
            async fn start_run(&self, store_id: &str, entity: Entity, kind: &str, worker: &str) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO sync_runs (store_id, entity, kind, worker, started_at) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id",
                )
                .bind(store_id)
                .bind(entity.as_str())
                .bind(kind)
                .bind(worker)
                .bind(Utc::now())
                .fetch_one(&self.pool)
                .await?)
            }

            async fn start_leased_run(&self, lease: &Lease, kind: &str) -> Result<i64> {
                // Not fenced: a run started under a lease already lost is recorded, fails
                // on its first fenced write (closed as failed, "no longer held"), and, if
                // its worker dies first, is closed by the job's next lease like any run
                // of an earlier lease.
                Ok(sqlx::query_scalar(
                    "INSERT INTO sync_runs (store_id, entity, kind, worker, started_at, job_id, lease_token) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&lease.store_id)
                .bind(lease.entity.as_str())
                .bind(kind)
                .bind(&lease.owner)
                .bind(Utc::now())
                .bind(lease.job_id)
                .bind(lease.token)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn finish_run(&self, run: &SyncRun) -> Result<()> {
                let state = if run.error.is_some() { RunState::Failed } else { RunState::Finished };
                sqlx::query(
                    "UPDATE sync_runs SET finished_at = $1, pages = $2, records = $3, changed = $4, error = $5, \
                     state = $6 WHERE id = $7 AND state = 'running'",
                )
                .bind(run.finished_at.unwrap_or_else(Utc::now))
                .bind(run.pages)
                .bind(run.records)
                .bind(run.changed)
                .bind(&run.error)
                .bind(state.as_str())
                .bind(run.id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn runs(&self, store_id: Option<&str>) -> Result<Vec<SyncRun>> {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM sync_runs WHERE ($1 IS NULL OR store_id = $1) ORDER BY started_at, id"
                );
                sqlx::query(&sql).bind(store_id).fetch_all(&self.pool).await?.iter().map(sync_run).collect()
            }

            async fn lease_job(&self, owner: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Option<Lease>> {
                let sql = concat!(
                    "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id = (",
                    "SELECT t.id FROM jobs t JOIN stores st ON st.id = t.store_id ",
                    "WHERE t.due_at <= $3 AND (t.lease_until IS NULL OR t.lease_until < $3) ",
                    "AND st.state <> 'paused' AND (st.retry_at IS NULL OR st.retry_at <= $3) ",
                    "ORDER BY t.due_at, t.id LIMIT 1 ",
                    $lock,
                    ") RETURNING id, store_id, entity, lease_until, attempts"
                );
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(sql).bind(owner).bind(until).bind(now).fetch_optional(&mut *tx).await?;
                let lease = row.map(|row| lease_of(&row, owner)).transpose()?;
                if let Some(lease) = &lease {
                    abandon_runs(&mut tx, lease.job_id, lease.token, owner).await?;
                }
                tx.commit().await?;
                Ok(lease)
            }

            async fn renew_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<()> {
                let mut tx = self.begin_write().await?;
                fence(&mut tx, lease, until).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn release_job(&self, lease: &Lease, due_at: DateTime<Utc>) -> Result<()> {
                sqlx::query(
                    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, due_at = $1 \
                     WHERE id = $2 AND lease_owner = $3 AND attempts = $4",
                )
                .bind(due_at)
                .bind(lease.job_id)
                .bind(&lease.owner)
                .bind(lease.token)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn claim_job(
                &self,
                store_id: &str,
                entity: Entity,
                owner: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
                may_steal: for<'x> fn(&'x str) -> bool,
            ) -> Result<std::result::Result<Lease, String>> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO jobs (store_id, entity, due_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (store_id, entity) DO NOTHING",
                )
                .bind(store_id)
                .bind(entity.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let sql = concat!(
                    "SELECT t.id, t.lease_owner, t.lease_until FROM jobs t WHERE t.store_id = $1 AND t.entity = $2 ",
                    $lock
                );
                let row = sqlx::query(sql).bind(store_id).bind(entity.as_str()).fetch_optional(&mut *tx).await?;
                let Some(row) = row else {
                    return Ok(Err("another worker (row locked)".to_owned()));
                };
                let holder: Option<String> = row.try_get("lease_owner")?;
                let held_until: Option<DateTime<Utc>> = row.try_get("lease_until")?;
                if let (Some(holder), Some(held_until)) = (holder, held_until) {
                    if held_until >= now && holder != owner && !may_steal(&holder) {
                        return Ok(Err(holder));
                    }
                }
                let id: i64 = row.try_get("id")?;
                let token: i64 = sqlx::query_scalar(
                    "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id = $3 \
                     RETURNING attempts",
                )
                .bind(owner)
                .bind(until)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                abandon_runs(&mut tx, id, token, owner).await?;
                tx.commit().await?;
                Ok(Ok(Lease { job_id: id, store_id: store_id.to_owned(), entity, owner: owner.to_owned(), until, token }))
            }

            async fn schedule_now(&self, store_id: &str) -> Result<()> {
                sqlx::query("UPDATE jobs SET due_at = $1 WHERE store_id = $2")
                    .bind(Utc::now())
                    .bind(store_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl ChangeFeed for $store {
            async fn changes_after(&self, after: i64, store_id: Option<&str>, limit: i64) -> Result<Vec<Change>> {
                let rows = sqlx::query(
                    "SELECT c.seq AS seq, c.store_id AS store_id, c.entity AS entity, c.platform_id AS platform_id, \
                     c.kind AS kind, d.document AS document, c.at AS at \
                     FROM changes c JOIN documents d ON d.id = c.document_id \
                     WHERE c.seq > $1 AND ($2 IS NULL OR c.store_id = $2) ORDER BY c.seq LIMIT $3",
                )
                .bind(after)
                .bind(store_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                // Checked after the read: retention that dropped changes this read
                // needed committed its horizon with them, so it is seen here.
                let horizon = horizon_in(&self.pool, store_id).await?;
                if after < horizon {
                    return Err(Error::ChangesExpired { after, horizon });
                }
                rows.iter()
                    .map(|row| {
                        let document = unpack(&row.try_get::<Vec<u8>, _>("document")?)?;
                        Ok(Change {
                            seq: row.try_get("seq")?,
                            store_id: row.try_get("store_id")?,
                            entity: entity_of(&row.try_get::<String, _>("entity")?)?,
                            platform_id: row.try_get("platform_id")?,
                            kind: ChangeKind::parse(&row.try_get::<String, _>("kind")?)?,
                            record: serde_json::from_str(&document)
                                .map_err(|e| Error::Corrupt(format!("change document: {e}")))?,
                            at: row.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn changes_horizon(&self, store_id: Option<&str>) -> Result<i64> {
                horizon_in(&self.pool, store_id).await
            }

            async fn prune_changes(&self, before: DateTime<Utc>, limit: i64) -> Result<PruneOutcome> {
                let limit = limit.max(1);
                let mut tx = self.begin_write().await?;
                // The oldest rows, in sequence order: the prefix written before `before`
                // goes (stopping at the first younger row keeps the feed a suffix).
                let oldest = sqlx::query("SELECT seq, at FROM changes ORDER BY seq LIMIT $1")
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut upto = None;
                for row in &oldest {
                    let at: DateTime<Utc> = row.try_get("at")?;
                    if at >= before {
                        break;
                    }
                    upto = Some(row.try_get::<i64, _>("seq")?);
                }
                let Some(upto) = upto else {
                    let horizon = horizon_in(&mut *tx, None).await?;
                    tx.commit().await?;
                    return Ok(PruneOutcome { horizon, ..PruneOutcome::default() });
                };
                // Bounded again by `limit`: what this batch deletes is what it returns
                // (a concurrent pruner's rows are not counted twice).
                let gone = sqlx::query(
                    "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE seq <= $1 ORDER BY seq LIMIT $2) \
                     RETURNING seq, store_id, document_id",
                )
                .bind(upto)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let mut through: BTreeMap<String, i64> = BTreeMap::new();
                let mut documents = Vec::with_capacity(gone.len());
                let mut last = 0;
                for row in &gone {
                    let seq: i64 = row.try_get("seq")?;
                    let mark = through.entry(row.try_get("store_id")?).or_insert(seq);
                    *mark = (*mark).max(seq);
                    last = last.max(seq);
                    documents.push(row.try_get::<i64, _>("document_id")?);
                }
                for (store_id, seq) in &through {
                    sqlx::query(
                        "INSERT INTO feed_horizons (store_id, pruned_through) VALUES ($1, $2) \
                         ON CONFLICT (store_id) DO UPDATE SET pruned_through = CASE \
                         WHEN excluded.pruned_through > feed_horizons.pruned_through THEN excluded.pruned_through \
                         ELSE feed_horizons.pruned_through END",
                    )
                    .bind(store_id)
                    .bind(*seq)
                    .execute(&mut *tx)
                    .await?;
                }
                let horizon: i64 = sqlx::query_scalar(
                    "UPDATE counters SET value = CASE WHEN value < $1 THEN $1 ELSE value END \
                     WHERE name = 'changes_pruned' RETURNING value",
                )
                .bind(last)
                .fetch_one(&mut *tx)
                .await?;
                documents.sort_unstable();
                documents.dedup();
                let collected = delete_unreferenced(&mut *tx, &documents).await?;
                tx.commit().await?;
                Ok(PruneOutcome { changes: gone.len() as u64, documents: collected, horizon })
            }

            async fn collect_orphans(&self, after: i64, limit: i64) -> Result<SweepOutcome> {
                let mut tx = self.begin_write().await?;
                let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM documents WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(limit.max(1))
                    .fetch_all(&mut *tx)
                    .await?;
                let deleted = delete_unreferenced(&mut *tx, &ids).await?;
                tx.commit().await?;
                Ok(SweepOutcome { examined: ids.len() as u64, deleted, last: ids.last().copied() })
            }

            async fn storage_stats(&self) -> Result<StorageStats> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM records) AS records, (SELECT COUNT(*) FROM changes) AS changes, \
                     (SELECT COUNT(*) FROM documents) AS documents",
                )
                .fetch_one(&self.pool)
                .await?;
                let count = |name: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0)) };
                let (bytes_on_disk, bytes_in_use) = storage_bytes(&self.pool).await?;
                Ok(StorageStats {
                    records: count("records")?,
                    changes: count("changes")?,
                    documents: count("documents")?,
                    bytes_on_disk,
                    bytes_in_use,
                })
            }
        }

        #[async_trait]
        impl Subscriptions for $store {
            async fn add_subscription(&self, url: &url::Url, secret: &Secret, store_id: Option<&str>) -> Result<String> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let id = new_id("sub");
                // A new subscription follows changes from now on.
                let from: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'")
                    .fetch_one(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO subscriptions (id, url, secret, store_id, last_seq, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(url.as_str())
                .bind(cipher.encrypt(secret.expose().as_bytes(), &subscription_context(&id, url.as_str())))
                .bind(store_id)
                .bind(from)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(id)
            }

            async fn subscriptions(&self) -> Result<Vec<Subscription>> {
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, {SUBSCRIPTION_HORIZON} AS horizon FROM subscriptions t ORDER BY t.id"
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(|r| subscription_of(r, self.cipher.as_ref())).collect()
            }

            async fn lease_subscription(
                &self,
                owner: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<Option<Subscription>> {
                // A subscription that fell behind the feed's retention is not leased:
                // delivering to it would skip the dropped changes silently. So a leased
                // one's horizon is at most its cursor, which stands in for it.
                let sql = format!(
                    "UPDATE subscriptions SET lease_owner = $1, lease_until = $2 WHERE id = (\
                     SELECT t.id FROM subscriptions t WHERE (t.lease_until IS NULL OR t.lease_until < $3) \
                     AND (t.retry_at IS NULL OR t.retry_at <= $3) AND t.last_seq >= {SUBSCRIPTION_HORIZON} \
                     AND EXISTS (SELECT 1 FROM changes c \
                     WHERE c.seq > t.last_seq AND (t.store_id IS NULL OR c.store_id = t.store_id)) \
                     ORDER BY t.id LIMIT 1 {lock}) RETURNING id, url, secret, store_id, last_seq, failures, \
                     last_error, lease_owner, last_seq AS horizon",
                    lock = $lock
                );
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(&sql).bind(owner).bind(until).bind(now).fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row.map(|r| subscription_of(&r, self.cipher.as_ref())).transpose()
            }

            async fn record_delivery(&self, sub: &Subscription, result: &DeliveryResult) -> Result<()> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO deliveries (subscription_id, first_seq, last_seq, status, error, at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&sub.id)
                .bind(result.first_seq)
                .bind(result.last_seq)
                .bind(result.status.map(i64::from))
                .bind(&result.error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let owner = sub.lease_owner.as_deref().unwrap_or("");
                if result.delivered {
                    sqlx::query(
                        "UPDATE subscriptions SET last_seq = $1, failures = 0, last_error = NULL, retry_at = NULL, \
                         lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND last_seq < $1",
                    )
                    .bind(result.last_seq)
                    .bind(&sub.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query(
                        "UPDATE subscriptions SET failures = failures + 1, last_error = $1, retry_at = $2, \
                         lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
                    )
                    .bind(&result.error)
                    .bind(result.retry_at)
                    .bind(&sub.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_subscription(&self, id: &str) -> Result<Subscription> {
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, {SUBSCRIPTION_HORIZON} AS horizon FROM subscriptions t WHERE t.id = $1"
                );
                let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| Error::not_found(format!("subscription {id}")))?;
                subscription_of(&row, self.cipher.as_ref())
            }

            async fn remove_subscription(&self, id: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM deliveries WHERE subscription_id = $1").bind(id).execute(&mut *tx).await?;
                let gone = sqlx::query("DELETE FROM subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if gone.rows_affected() == 0 {
                    return Err(Error::not_found(format!("subscription {id}")));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn deliveries(&self, subscription_id: &str, limit: i64) -> Result<Vec<Delivery>> {
                let rows = sqlx::query(
                    "SELECT id, first_seq, last_seq, status, error, at FROM deliveries \
                     WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(subscription_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Delivery {
                            id: r.try_get("id")?,
                            first_seq: r.try_get("first_seq")?,
                            last_seq: r.try_get("last_seq")?,
                            status: r.try_get::<Option<i64>, _>("status")?.and_then(|s| u16::try_from(s).ok()),
                            error: r.try_get("error")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn replay_subscription(&self, id: &str, after: i64) -> Result<()> {
                let after = after.max(0);
                let head: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'")
                    .fetch_one(&self.pool)
                    .await?;
                if after > head {
                    return Err(Error::Invalid(format!(
                        "after {after} is past the change feed's head ({head})"
                    )));
                }
                let store_id: Option<Option<String>> = sqlx::query_scalar("SELECT store_id FROM subscriptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(store_id) = store_id else {
                    return Err(Error::not_found(format!("subscription {id}")));
                };
                // Retention pruning right after this check leaves the subscription
                // behind again, which it then shows: never a silent gap.
                let horizon = horizon_in(&self.pool, store_id.as_deref()).await?;
                if after < horizon {
                    return Err(Error::ChangesExpired { after, horizon });
                }
                let done = sqlx::query(
                    "UPDATE subscriptions SET last_seq = $1, failures = 0, last_error = NULL, retry_at = NULL, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $2",
                )
                .bind(after)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("subscription {id}")));
                }
                Ok(())
            }
        }

        #[async_trait]
        impl ApiKeys for $store {
            async fn import_api_key(&self, name: &str, store_ids: Option<&[String]>, plaintext: &str) -> Result<(ApiKey, String)> {
                if plaintext.len() < 16 {
                    return Err(Error::Invalid("an API key must be at least 16 characters".into()));
                }
                let plaintext = plaintext.to_owned();
                let key = ApiKey {
                    id: new_id("key"),
                    name: name.to_owned(),
                    store_ids: store_ids.map(<[String]>::to_vec),
                    created_at: Utc::now(),
                };
                sqlx::query("INSERT INTO api_keys (id, name, key_hash, store_ids, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&key.id)
                    .bind(&key.name)
                    .bind(content_hash(&plaintext))
                    .bind(key.store_ids.as_ref().map(|s| serde_json::to_string(s).expect("ids serialise")))
                    .bind(key.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok((key, plaintext))
            }

            async fn verify_api_key(&self, plaintext: &str) -> Result<Option<ApiKey>> {
                let row = sqlx::query("SELECT id, name, store_ids, created_at FROM api_keys WHERE key_hash = $1")
                    .bind(content_hash(plaintext))
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let ids: Option<String> = row.try_get("store_ids")?;
                Ok(Some(ApiKey {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    store_ids: ids
                        .map(|s| serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("api key stores: {e}"))))
                        .transpose()?,
                    created_at: row.try_get("created_at")?,
                }))
            }
        }

        #[async_trait]
        impl Idempotency for $store {
            async fn begin_idempotent(
                &self,
                key_id: &str,
                key: &str,
                request_hash: &str,
                window: crate::store::IdempotencyWindow,
            ) -> Result<IdempotencyState> {
                let now = window.now;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE created_at < $1 OR (status IS NULL AND created_at < $2)",
                )
                .bind(window.expire_before)
                .bind(window.lease_expired_before)
                .execute(&mut *tx)
                .await?;
                let taken = sqlx::query(
                    "INSERT INTO idempotency_keys (key_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (key_id, idem_key) DO NOTHING",
                )
                .bind(key_id)
                .bind(key)
                .bind(request_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let state = if taken.rows_affected() == 1 {
                    IdempotencyState::Started
                } else {
                    let row = sqlx::query(
                        "SELECT request_hash, status, body FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2",
                    )
                    .bind(key_id)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                    let request_hash: String = row.try_get("request_hash")?;
                    match (row.try_get::<Option<i64>, _>("status")?, row.try_get::<Option<String>, _>("body")?) {
                        (Some(status), Some(body)) => IdempotencyState::Done {
                            request_hash,
                            status: u16::try_from(status).map_err(|_| Error::Corrupt(format!("http status {status}")))?,
                            body,
                        },
                        _ => IdempotencyState::InProgress { request_hash },
                    }
                };
                tx.commit().await?;
                Ok(state)
            }

            async fn finish_idempotent(&self, key_id: &str, key: &str, status: u16, body: &str) -> Result<()> {
                sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE key_id = $3 AND idem_key = $4")
                    .bind(i64::from(status))
                    .bind(body)
                    .bind(key_id)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn abandon_idempotent(&self, key_id: &str, key: &str) -> Result<()> {
                sqlx::query("DELETE FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2 AND status IS NULL")
                    .bind(key_id)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn first_delivery(
                &self,
                store_id: &str,
                delivery_id: &str,
                now: DateTime<Utc>,
                forget_before: DateTime<Utc>,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < $1")
                    .bind(forget_before)
                    .execute(&mut *tx)
                    .await?;
                let taken = sqlx::query(
                    "INSERT INTO webhook_deliveries (store_id, delivery_id, received_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (store_id, delivery_id) DO NOTHING",
                )
                .bind(store_id)
                .bind(delivery_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(taken.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_store;
