//! The SQL both backends share, written once per concern as a macro that each
//! backend's module expands with its concrete sqlx database type (sqlx's generic
//! executor bounds are heavier than the few differences: placeholders are `$n` in
//! both, and each backend supplies `begin_write`, the suffix that locks a leased row,
//! and the statements where the two differ most: the bulk statements of a page
//! (`known_rows`, `write_versions`, `touch_seen` and `insert_changes` — multi-row
//! `VALUES` on SQLite, `UNNEST` of arrays on PostgreSQL), `delete_unreferenced` and
//! `storage_bytes`).
//!
//! [`impl_store`] expands one module per concern inside the backend's module, each
//! from the macro of the module of the same name here: [`records`], [`jobs`],
//! [`feed`], [`subscriptions`], [`stores`], [`api_keys`], [`idempotency`] and [`drift`]. What
//! they share (the transaction type, opening the database) is in `common`.

pub(super) mod api_keys;
pub(super) mod drift;
pub(super) mod feed;
pub(super) mod idempotency;
pub(super) mod jobs;
pub(super) mod records;
pub(super) mod stores;
pub(super) mod subscriptions;

use polycart_kit::Entity;

use super::{Error, Result};

/// An entity as stored (its name); an unknown one is corruption.
pub(super) fn entity_of(s: &str) -> Result<Entity> {
    s.parse::<Entity>().map_err(Error::Corrupt)
}

/// A store's entities as stored (comma-separated names).
pub(super) fn entities_of(s: &str) -> Result<Vec<Entity>> {
    s.split(',')
        .filter(|e| !e.is_empty())
        .map(entity_of)
        .collect()
}

/// Expands every concern's `impl` for a backend `$store` whose pool is `self.pool`,
/// whose cipher is `self.cipher` and whose write transaction starts with
/// `self.begin_write()`, on database `$db` ([`super::Backend`] `$backend`). `$lock` follows the `LIMIT 1` of a lease
/// subquery (`FOR UPDATE ... SKIP LOCKED` on PostgreSQL, nothing on SQLite).
macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:ident, $lock:literal) => {
        /// What every concern shares: the transaction, opening the database, the
        /// backend's name.
        mod common {
            use crate::store::{Backend, Result, Store};

            use super::$store;

            pub(super) type Tx = sqlx::Transaction<'static, $db>;

            impl $store {
                /// Runs the embedded migrations (version, description, SQL), then refuses
                /// to start when credentials are stored and no key was given.
                pub(super) async fn ready(self, migrations: &[(i64, &'static str, &'static str)]) -> Result<Self> {
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
                        super::stores::store_credentials(&row, self.cipher.as_ref())?;
                    }
                    let hook_secret = sqlx::query("SELECT id, url, secret FROM subscriptions LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await?;
                    if let Some(row) = hook_secret {
                        super::subscriptions::subscription_secret(&row, self.cipher.as_ref())?;
                    }
                    Ok(self)
                }
            }

            impl Store for $store {
                fn backend(&self) -> Backend {
                    Backend::$backend
                }
            }
        }

        mod stores {
            crate::store::sql::stores::impl_stores!($store, $db);
        }

        mod records {
            crate::store::sql::records::impl_records!($store, $db);
        }

        mod jobs {
            crate::store::sql::jobs::impl_jobs!($store, $db, $lock);
        }

        mod feed {
            crate::store::sql::feed::impl_feed!($store, $db);
        }

        mod subscriptions {
            crate::store::sql::subscriptions::impl_subscriptions!($store, $db, $lock);
        }

        mod api_keys {
            crate::store::sql::api_keys::impl_api_keys!($store, $db);
        }

        mod idempotency {
            crate::store::sql::idempotency::impl_idempotency!($store);
        }

        mod drift {
            crate::store::sql::drift::impl_drift!($store);
        }
    };
}

pub(crate) use impl_store;
