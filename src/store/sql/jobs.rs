//! The SQL of jobs, leases and sync runs ([`crate::store::StoreJobs`]): leasing the
//! most overdue job (`$lock` skips rows another worker holds on PostgreSQL), claiming
//! one store × entity, the fence every leased write passes (the job's lease count as
//! a token), and the runs recorded under a lease, closed as abandoned when the job
//! is leased again.

/// Closes the still running runs of a job's earlier leases as abandoned ($1 now, $2 the
/// new holder, $3 the job, $4 the new lease's token).
pub(in crate::store) const ABANDON_RUNS: &str = "UPDATE sync_runs SET state = 'abandoned', finished_at = $1, \
     error = 'abandoned: ' || worker || ' stopped renewing its lease; the job was leased again by ' || $2 \
     WHERE job_id = $3 AND lease_token < $4 AND state = 'running'";

/// A sync run's columns.
pub(in crate::store) const RUN_COLUMNS: &str = "id, store_id, entity, kind, worker, state, started_at, finished_at, pages, records, changed, error, note";

/// Expands `impl StoreJobs` for a backend (see [`super::impl_store`]); `$lock` follows
/// the `LIMIT 1` of a lease subquery.
macro_rules! impl_jobs {
    ($store:ident, $db:ty, $lock:literal) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::Entity;
        use sqlx::Row;

        use crate::store::sql::entity_of;
        use crate::store::sql::jobs::{ABANDON_RUNS, RUN_COLUMNS};
        use crate::store::{Error, JobStatus, Lease, MAX_LEASE_BATCH, Result, RunState, StoreJobs, SyncRun};

        use super::common::Tx;
        use super::$store;

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
                note: row.try_get("note")?,
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
        pub(super) async fn fence(tx: &mut Tx, lease: &Lease, until: DateTime<Utc>) -> Result<()> {
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
                     state = $6, note = $8 WHERE id = $7 AND state = 'running'",
                )
                .bind(run.finished_at.unwrap_or_else(Utc::now))
                .bind(run.pages)
                .bind(run.records)
                .bind(run.changed)
                .bind(&run.error)
                .bind(state.as_str())
                .bind(run.id)
                .bind(&run.note)
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

            async fn recent_runs(&self, store_id: &str, limit: i64) -> Result<Vec<SyncRun>> {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM sync_runs WHERE store_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
                );
                sqlx::query(&sql).bind(store_id).bind(limit).fetch_all(&self.pool).await?.iter().map(sync_run).collect()
            }

            async fn active_jobs(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<JobStatus>> {
                let rows = sqlx::query(
                    "SELECT store_id, entity, due_at, lease_owner, lease_until FROM jobs \
                     WHERE (lease_until IS NOT NULL AND lease_until >= $1) OR due_at <= $1 \
                     ORDER BY CASE WHEN lease_until IS NOT NULL AND lease_until >= $1 THEN 0 ELSE 1 END, due_at, id LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let until: Option<DateTime<Utc>> = row.try_get("lease_until")?;
                        let held = until.is_some_and(|u| u >= now);
                        Ok(JobStatus {
                            store_id: row.try_get("store_id")?,
                            entity: row.try_get("entity")?,
                            due_at: row.try_get("due_at")?,
                            worker: if held { row.try_get("lease_owner")? } else { None },
                            lease_until: if held { until } else { None },
                        })
                    })
                    .collect()
            }

            async fn lease_jobs(
                &self,
                owner: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Lease>> {
                let limit = limit.clamp(1, MAX_LEASE_BATCH) as i64;
                let sql = concat!(
                    "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN (",
                    "SELECT t.id FROM jobs t JOIN stores st ON st.id = t.store_id ",
                    "WHERE t.due_at <= $3 AND (t.lease_until IS NULL OR t.lease_until < $3) ",
                    "AND st.state <> 'paused' AND (st.retry_at IS NULL OR st.retry_at <= $3) ",
                    "ORDER BY t.due_at, t.id LIMIT $4 ",
                    $lock,
                    ") RETURNING id, store_id, entity, lease_until, attempts"
                );
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query(sql).bind(owner).bind(until).bind(now).bind(limit).fetch_all(&mut *tx).await?;
                let leases = rows.iter().map(|row| lease_of(row, owner)).collect::<Result<Vec<_>>>()?;
                for lease in &leases {
                    abandon_runs(&mut tx, lease.job_id, lease.token, owner).await?;
                }
                tx.commit().await?;
                Ok(leases)
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
    };
}

pub(crate) use impl_jobs;
