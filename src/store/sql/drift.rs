//! The SQL of schema drift ([`crate::store::SchemaDrift`]): shapes as JSON documents,
//! drift rows counted by an update or, under the per-version cap, an insert, in one
//! transaction.

/// Expands `impl SchemaDrift` for a backend (see [`super::impl_store`]).
macro_rules! impl_drift {
    ($store:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::Entity;
        use polycart_kit::drift::{Finding, Shape};
        use sqlx::Row;

        use crate::store::{DeprecationRow, DriftRow, Error, MAX_DRIFT_ROWS, Result, SchemaDrift};

        use super::$store;

        #[async_trait]
        impl SchemaDrift for $store {
            async fn load_shape(&self, platform: &str, entity: Entity, api_version: &str) -> Result<Option<Shape>> {
                let row = sqlx::query("SELECT shape FROM schema_shapes WHERE platform = $1 AND entity = $2 AND api_version = $3")
                    .bind(platform)
                    .bind(entity.to_string())
                    .bind(api_version)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let text: String = r.try_get("shape")?;
                    serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("schema shape: {e}")))
                })
                .transpose()
            }

            async fn save_shape(
                &self,
                platform: &str,
                entity: Entity,
                api_version: &str,
                shape: &Shape,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let text = serde_json::to_string(shape).map_err(|e| Error::Invalid(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO schema_shapes (platform, entity, api_version, shape, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (platform, entity, api_version) DO UPDATE SET shape = excluded.shape, updated_at = excluded.updated_at",
                )
                .bind(platform)
                .bind(entity.to_string())
                .bind(api_version)
                .bind(text)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn record_drift(
                &self,
                platform: &str,
                entity: Entity,
                api_version: &str,
                findings: &[Finding],
                now: DateTime<Utc>,
            ) -> Result<()> {
                if findings.is_empty() {
                    return Ok(());
                }
                let mut counted: std::collections::BTreeMap<&Finding, i64> = std::collections::BTreeMap::new();
                for f in findings {
                    *counted.entry(f).or_default() += 1;
                }
                let entity = entity.to_string();
                let mut tx = self.begin_write().await?;
                for (f, n) in counted {
                    let updated = sqlx::query(
                        "UPDATE schema_drift SET count = count + $1, last_seen = $2 \
                         WHERE platform = $3 AND entity = $4 AND api_version = $5 AND field = $6 AND kind = $7 AND seen_type = $8",
                    )
                    .bind(n)
                    .bind(now)
                    .bind(platform)
                    .bind(&entity)
                    .bind(api_version)
                    .bind(&f.field)
                    .bind(f.kind.as_str())
                    .bind(f.seen_type.as_str())
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() > 0 {
                        continue;
                    }
                    let rows: i64 = sqlx::query(
                        "SELECT COUNT(*) AS n FROM schema_drift WHERE platform = $1 AND entity = $2 AND api_version = $3",
                    )
                    .bind(platform)
                    .bind(&entity)
                    .bind(api_version)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
                    if rows >= MAX_DRIFT_ROWS {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO schema_drift (platform, entity, api_version, field, kind, seen_type, expected_type, first_seen, last_seen, count) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
                    )
                    .bind(platform)
                    .bind(&entity)
                    .bind(api_version)
                    .bind(&f.field)
                    .bind(f.kind.as_str())
                    .bind(f.seen_type.as_str())
                    .bind(f.expected_type.map(|t| t.as_str()))
                    .bind(now)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record_deprecation(&self, d: &DeprecationRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_deprecations (platform, store_id, api_version, reason, sunset, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (store_id, api_version) DO UPDATE SET platform = excluded.platform, reason = excluded.reason, \
                     sunset = excluded.sunset, last_seen = excluded.last_seen",
                )
                .bind(&d.platform)
                .bind(&d.store_id)
                .bind(&d.api_version)
                .bind(&d.reason)
                .bind(d.sunset)
                .bind(d.first_seen)
                .bind(d.last_seen)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn drift_rows(&self) -> Result<Vec<DriftRow>> {
                let rows = sqlx::query(
                    "SELECT platform, entity, api_version, field, kind, seen_type, expected_type, first_seen, last_seen, count \
                     FROM schema_drift ORDER BY last_seen DESC, platform, entity, api_version, field",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DriftRow {
                            platform: r.try_get("platform")?,
                            entity: r.try_get("entity")?,
                            api_version: r.try_get("api_version")?,
                            field: r.try_get("field")?,
                            kind: r.try_get("kind")?,
                            seen_type: r.try_get("seen_type")?,
                            expected_type: r.try_get("expected_type")?,
                            first_seen: r.try_get("first_seen")?,
                            last_seen: r.try_get("last_seen")?,
                            count: r.try_get("count")?,
                        })
                    })
                    .collect()
            }

            async fn deprecations(&self, store_ids: Option<&[String]>) -> Result<Vec<DeprecationRow>> {
                let rows = sqlx::query(
                    "SELECT d.platform, d.store_id, d.api_version, d.reason, d.sunset, d.first_seen, d.last_seen \
                     FROM api_deprecations d JOIN stores s ON s.id = d.store_id ORDER BY d.last_seen DESC, d.store_id",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let store_id: String = r.try_get("store_id")?;
                    if store_ids.is_some_and(|ids| !ids.contains(&store_id)) {
                        continue;
                    }
                    out.push(DeprecationRow {
                        platform: r.try_get("platform")?,
                        store_id,
                        api_version: r.try_get("api_version")?,
                        reason: r.try_get("reason")?,
                        sunset: r.try_get("sunset")?,
                        first_seen: r.try_get("first_seen")?,
                        last_seen: r.try_get("last_seen")?,
                    });
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use impl_drift;
