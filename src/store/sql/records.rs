//! The SQL of records, cursors and passes ([`crate::store::StoreRecords`]): the
//! upsert of a prepared page (its hashes compared with the stored ones, then each
//! entity's changed records written in a few multi-row statements), deletions with their `deleted` changes, the change rows
//! every write appends (sequence numbers taken in commit order), lookups, keyset
//! listings, counts and the pass state kept in the cursor row.
//!
//! Documents: every written version of a record is stored once, in `documents`; the
//! record row points at its current version and each change row at the version it
//! announces, so the feed delivers each version as it was written without a second
//! copy. Documents are never rewritten nor removed while a record or a change row
//! names them; retention and compaction ([`super::feed`]) collect them after.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use polycart_kit::Entity;

use crate::store::ChangeKind;
use crate::store::records::PreparedRecord;

/// One new version of a record to write: its indexed columns and its document,
/// borrowed from the [`PreparedPage`](crate::store::PreparedPage).
pub(in crate::store) struct Version<'a> {
    pub(in crate::store) platform_id: &'a str,
    pub(in crate::store) updated_at: Option<DateTime<Utc>>,
    pub(in crate::store) created_at: Option<DateTime<Utc>>,
    pub(in crate::store) hash: &'a str,
    /// The document as stored ([`crate::store::packed`]).
    pub(in crate::store) document: &'a [u8],
}

/// A stored record's state, as the upsert compares it.
pub(in crate::store) struct Known {
    pub(in crate::store) hash: String,
    pub(in crate::store) deleted: bool,
    pub(in crate::store) updated_at: Option<DateTime<Utc>>,
    /// The backend's handle on the stored row, when it has one (PostgreSQL: its
    /// tuple id, locked by the transaction).
    pub(in crate::store) row: Option<String>,
}

/// An unchanged record to stamp as seen: its platform id and [`Known::row`].
pub(in crate::store) type Unchanged = (String, Option<String>);

/// A change to append once sequence numbers are taken.
pub(in crate::store) struct Pending {
    pub(in crate::store) entity: Entity,
    pub(in crate::store) platform_id: String,
    pub(in crate::store) kind: ChangeKind,
    /// The version announced (`documents.id`).
    pub(in crate::store) document_id: i64,
}

/// Whether a listed version is older than the stored one (a page read before a
/// webhook's re-read committed after it): it must not replace the newer one.
pub(in crate::store) fn is_older(listed: Option<DateTime<Utc>>, known: &Known) -> bool {
    !known.deleted && matches!((listed, known.updated_at), (Some(l), Some(k)) if l < k)
}

/// The conflict clause of a record upsert: a new version replaces the stored one unless
/// the stored one is newer (checked again under the row lock, so a concurrent writer's
/// newer version is never overwritten).
pub(in crate::store) const UPSERT_RECORD: &str = "ON CONFLICT (store_id, entity, platform_id) DO UPDATE SET \
     updated_at = excluded.updated_at, created_at = excluded.created_at, hash = excluded.hash, \
     deleted = FALSE, seen_pass = excluded.seen_pass, synced_at = excluded.synced_at, \
     document_id = excluded.document_id \
     WHERE records.deleted OR records.updated_at IS NULL OR excluded.updated_at IS NULL \
     OR excluded.updated_at >= records.updated_at";

/// A record's columns and its current document, read from `RECORD_FROM`.
pub(in crate::store) const RECORD_COLUMNS: &str = "r.store_id AS store_id, r.entity AS entity, r.platform_id AS platform_id, \
     r.updated_at AS updated_at, r.created_at AS created_at, r.hash AS hash, \
     r.deleted AS deleted, d.document AS document";
/// A record joined with its current document.
pub(in crate::store) const RECORD_FROM: &str = "records r JOIN documents d ON d.id = r.document_id";

/// What a page's transaction does with one entity's records, decided by
/// [`decide`].
pub(in crate::store) struct Decision<'a> {
    /// The versions to write, one per record.
    pub(in crate::store) versions: Vec<Version<'a>>,
    /// The records written, once each with the kind of their first listing, in
    /// listing order.
    pub(in crate::store) order: Vec<(String, ChangeKind)>,
    pub(in crate::store) unchanged: Vec<Unchanged>,
}

/// Compares one entity's prepared records with their stored state. A page may list a
/// record twice: each listing is compared with the one before it, the last that
/// changed is written (once: a statement cannot write a row twice), and created stays
/// created.
pub(in crate::store) fn decide<'a>(
    group: &[&'a PreparedRecord],
    mut known: HashMap<String, Known>,
) -> Decision<'a> {
    let mut decision = Decision {
        versions: Vec::with_capacity(group.len()),
        order: Vec::new(),
        unchanged: Vec::new(),
    };
    let mut listed: HashSet<&str> = HashSet::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for &record in group {
        let platform_id = record.platform_id.as_str();
        let kind = match known.get(platform_id) {
            None => ChangeKind::Created,
            Some(k) if k.deleted => ChangeKind::Created,
            Some(k) if k.hash != record.hash && !is_older(record.updated_at, k) => {
                ChangeKind::Updated
            }
            Some(k) => {
                decision
                    .unchanged
                    .push((platform_id.to_owned(), k.row.clone()));
                continue;
            }
        };
        known.insert(
            platform_id.to_owned(),
            // Written by this page: stamped as seen by its upsert.
            Known {
                hash: record.hash.clone(),
                deleted: false,
                updated_at: record.updated_at,
                row: None,
            },
        );
        if listed.insert(platform_id) {
            decision.order.push((platform_id.to_owned(), kind));
        }
        let version = Version {
            platform_id,
            updated_at: record.updated_at,
            created_at: record.created_at,
            hash: &record.hash,
            document: &record.document,
        };
        match at.get(platform_id) {
            Some(&i) => decision.versions[i] = version,
            None => {
                at.insert(platform_id, decision.versions.len());
                decision.versions.push(version);
            }
        }
    }
    decision
}

/// Expands `impl StoreRecords` for a backend (see [`super::impl_store`]), with the
/// backend's bulk statements of a page: `known_rows`, `write_versions`, `touch_seen`,
/// `append_changes` and `take_pass_id` (how a backend numbers the feed and passes is
/// its own: see each one's).
macro_rules! impl_records {
    ($store:ident, $db:ty) => {
        use std::collections::BTreeMap;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::{Entity, Record};
        use sqlx::Row;

        use crate::store::packed::unpack;
        use crate::store::sql::entity_of;
        use crate::store::records::PreparedRecord;
        use crate::store::sql::records::{Decision, Pending, RECORD_COLUMNS, RECORD_FROM, decide};
        use crate::store::{
            ChangeKind, CursorState, EntityStats, Error, FinishPass, Lease, PageOutcome, Pass, PreparedCommit,
            PreparedPage, Result, StoreRecords, StoredRecord,
        };

        use super::common::Tx;
        use super::jobs::fence;
        use super::{$store, append_changes, known_rows, take_pass_id, touch_seen, write_versions};

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

        /// Upserts records whose content hash changed, unless the stored version is
        /// newer; stamps the others as seen. The conflict clause repeats the age check
        /// under the row lock, so a concurrent writer (PostgreSQL) cannot be overwritten
        /// by an older version either, and only rows actually written emit a change.
        /// A written version's document is stored once, in `documents`: the record and
        /// its change row both point at it. The page was serialised, hashed and
        /// compressed before the transaction began ([`PreparedPage::prepare`]).
        async fn upsert(
            tx: &mut Tx,
            page: &PreparedPage,
            seen_pass: i64,
            now: DateTime<Utc>,
            pending: &mut Vec<Pending>,
        ) -> Result<PageOutcome> {
            let store_id = page.store_id.as_str();
            let mut outcome = PageOutcome::default();
            let mut by_entity: BTreeMap<Entity, Vec<&PreparedRecord>> = BTreeMap::new();
            for record in &page.records {
                by_entity.entry(record.entity).or_default().push(record);
            }
            for (entity, group) in by_entity {
                let ids: Vec<&str> = group.iter().map(|r| r.platform_id.as_str()).collect();
                let known = known_rows(&mut **tx, store_id, entity.as_str(), &ids).await?;
                drop(ids);
                let Decision { versions, order, unchanged } = decide(&group, known);
                let written = write_versions(&mut **tx, store_id, entity.as_str(), seen_pass, now, versions).await?;
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
                    touch_seen(&mut **tx, store_id, entity.as_str(), &unchanged, seen_pass, now).await?;
                }
            }
            Ok(outcome)
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

        #[async_trait]
        impl StoreRecords for $store {
            async fn commit_prepared(&self, page: &PreparedCommit<'_>) -> Result<PageOutcome> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                if let Some(lease) = page.fence {
                    fence(&mut tx, lease, page.renew_until).await?;
                }
                let seen = if page.pass.full { page.pass.id } else { 0 };
                let mut pending = Vec::new();
                let outcome = upsert(&mut tx, page.page, seen, now, &mut pending).await?;
                append_changes(&mut tx, page.page.store_id(), &pending, now).await?;
                write_pass(&mut tx, page.page.store_id(), page.entity, page.pass).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn upsert_records(&self, store_id: &str, records: &[Record]) -> Result<PageOutcome> {
                let now = Utc::now();
                let prepared = PreparedPage::prepare(store_id, records)?;
                let mut tx = self.begin_write().await?;
                let mut pending = Vec::new();
                let outcome = upsert(&mut tx, &prepared, 0, now, &mut pending).await?;
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
                take_pass_id(self).await
            }
        }
    };
}

pub(crate) use impl_records;
