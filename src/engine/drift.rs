//! Schema drift during syncs: after the adapter mapped a page, a few of its records'
//! raw payloads are compared with the shape learnt for the platform × entity × API
//! version (`kit::drift`), and what does not fit is counted in the sync store; the
//! deprecations the transport heard for the store, and an API version whose sunset is
//! near, are recorded beside. Off the mapping path, sampled, and never a reason for a
//! sync to fail: a store error here is logged and the page goes on.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use polycart_kit::drift::{self, Shape};
use polycart_kit::{Adapter, Entity, Record};

use crate::store::{DeprecationRow, Store};

/// An API version whose sunset is this close is reported as a deprecation.
pub(crate) const SUNSET_WARNING_DAYS: i64 = 90;

/// Records learnt from when a platform × entity × version has no shape yet.
const LEARN_FROM: usize = 50;

type Key = (String, Entity, String);

/// The shapes this process checks against (loaded from, and saved to, the store).
#[derive(Default)]
pub(crate) struct DriftWatch {
    shapes: Mutex<HashMap<Key, Shape>>,
    /// Stores whose version's near sunset was recorded by this process.
    sunsets_noted: Mutex<HashSet<(String, String)>>,
}

impl DriftWatch {
    /// Checks a page of `entity` records of `store_id` and records what it finds.
    pub(crate) async fn page(
        &self,
        store: &dyn Store,
        store_id: &str,
        adapter: &dyn Adapter,
        entity: Entity,
        records: &[Record],
        now: DateTime<Utc>,
    ) {
        if let Err(e) = self
            .check(store, store_id, adapter, entity, records, now)
            .await
        {
            tracing::warn!(store = store_id, %entity, error = %e, "schema drift not recorded");
        }
    }

    async fn check(
        &self,
        store: &dyn Store,
        store_id: &str,
        adapter: &dyn Adapter,
        entity: Entity,
        records: &[Record],
        now: DateTime<Utc>,
    ) -> crate::store::Result<()> {
        let platform = adapter.platform();
        let version = adapter.api_version();
        let version_name = version
            .as_ref()
            .map_or(drift::UNVERSIONED, |v| v.version.as_str())
            .to_owned();
        self.deprecations(
            store,
            store_id,
            platform,
            version.as_ref(),
            &version_name,
            now,
        )
        .await?;
        let key: Key = (platform.to_owned(), entity, version_name.clone());
        let known = self.has_shape(&key);
        if !known && let Some(shape) = store.load_shape(platform, entity, &version_name).await? {
            self.lock().insert(key.clone(), shape);
        }
        let payloads = |take: &dyn Fn(usize) -> bool| -> Vec<serde_json::Value> {
            records
                .iter()
                .enumerate()
                .filter(|(i, _)| take(*i))
                .filter_map(|(_, r)| r.raw())
                .filter_map(|raw| serde_json::from_str(raw.get()).ok())
                .collect()
        };
        if !self.has_shape(&key) {
            let sample = payloads(&|i| i < LEARN_FROM);
            if sample.is_empty() {
                return Ok(());
            }
            let shape = Shape::learn(&sample);
            store
                .save_shape(platform, entity, &version_name, &shape, now)
                .await?;
            self.lock().insert(key, shape);
            return Ok(());
        }
        let sample = payloads(&drift::sampled);
        let (findings, grown) = {
            let mut shapes = self.lock();
            let shape = shapes.get_mut(&key).expect("the shape was loaded above");
            let mut findings = Vec::new();
            let mut grew = false;
            for value in &sample {
                let (f, g) = shape.observe(value);
                findings.extend(f);
                grew |= g;
            }
            (findings, grew.then(|| shape.clone()))
        };
        if let Some(shape) = grown {
            store
                .save_shape(platform, entity, &version_name, &shape, now)
                .await?;
        }
        if !findings.is_empty() {
            tracing::warn!(
                store = store_id,
                platform,
                %entity,
                api_version = %version_name,
                fields = findings.len(),
                "schema drift: records do not fit the learnt shape (see `polycart drift`)"
            );
        }
        store
            .record_drift(platform, entity, &version_name, &findings, now)
            .await
    }

    /// Records the deprecation the transport heard for the store, and the version's
    /// sunset when it is near.
    async fn deprecations(
        &self,
        store: &dyn Store,
        store_id: &str,
        platform: &str,
        version: Option<&drift::ApiVersion>,
        version_name: &str,
        now: DateTime<Utc>,
    ) -> crate::store::Result<()> {
        let row = |reason: String, sunset| DeprecationRow {
            platform: platform.to_owned(),
            store_id: store_id.to_owned(),
            api_version: version_name.to_owned(),
            reason,
            sunset,
            first_seen: now,
            last_seen: now,
        };
        if let Some(signal) = drift::take_signals(store_id) {
            let sunset = signal.sunset.or_else(|| version.and_then(|v| v.sunset));
            store
                .record_deprecation(&row(signal.reason, sunset))
                .await?;
        }
        if let Some(sunset) = version.and_then(|v| v.sunset)
            && sunset - now <= chrono::Duration::days(SUNSET_WARNING_DAYS)
        {
            let first = self
                .sunsets_noted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((store_id.to_owned(), version_name.to_owned()));
            if first {
                let reason = format!(
                    "{platform} API version {version_name} is supported until {}",
                    sunset.format("%Y-%m-%d")
                );
                store.record_deprecation(&row(reason, Some(sunset))).await?;
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Shape>> {
        self.shapes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn has_shape(&self, key: &Key) -> bool {
        self.lock().contains_key(key)
    }
}
