//! The SQL of the change feed ([`crate::store::ChangeFeed`]): reading it by sequence
//! number (refused past the retention horizon), and retention and compaction in
//! bounded batches: the oldest change rows pruned with the documents only they named,
//! the horizons moved, orphaned documents swept (see [`crate::store::feed`]).

/// A document nobody needs: no record's current version, named by no change (numbered
/// or not yet numbered).
pub(in crate::store) const UNREFERENCED: &str = "NOT EXISTS (SELECT 1 FROM records r WHERE r.document_id = documents.id) \
     AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.document_id = documents.id) \
     AND NOT EXISTS (SELECT 1 FROM unsequenced_changes u WHERE u.document_id = documents.id)";

/// Expands `impl ChangeFeed` for a backend (see [`super::impl_store`]), with the
/// backend's `delete_unreferenced` and `storage_bytes`.
macro_rules! impl_feed {
    ($store:ident, $db:ty) => {
        use std::collections::BTreeMap;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::Row;

        use crate::store::packed::unpack;
        use crate::store::sql::entity_of;
        use crate::store::{Change, ChangeFeed, ChangeKind, Error, PruneOutcome, Result, StorageStats, SweepOutcome};

        use super::{$store, delete_unreferenced, sequence_changes, storage_bytes};

        /// How far the feed is pruned (see [`crate::store::ChangeFeed::changes_horizon`]).
        pub(super) async fn horizon_in<'e, E: sqlx::Executor<'e, Database = $db>>(e: E, store_id: Option<&str>) -> Result<i64> {
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

        #[async_trait]
        impl ChangeFeed for $store {
            async fn feed_head(&self, store_id: Option<&str>) -> Result<i64> {
                sequence_changes(&self.pool, true).await?;
                let head: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes WHERE ($1 IS NULL OR store_id = $1)")
                    .bind(store_id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(head.unwrap_or(0))
            }

            async fn changes_after(&self, after: i64, store_id: Option<&str>, limit: i64) -> Result<Vec<Change>> {
                sequence_changes(&self.pool, true).await?;
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
                sequence_changes(&self.pool, false).await?;
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
                sequence_changes(&self.pool, false).await?;
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
    };
}

pub(crate) use impl_feed;
