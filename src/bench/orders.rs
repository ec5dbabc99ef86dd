//! Real-shaped orders for the sync-store benchmarks: copies of a golden unified
//! Shopify order (its raw payload included, as a sync stores it), renumbered, and
//! revised the way a shop changes an order (a new note, a new `updated_at`).

use chrono::{DateTime, Utc};
use polycart_kit::{Entity, Record};

use super::{Error, Result};
use crate::store::{NewStore, PageCommit, Pass, Store};

/// The unified order every benchmark record is a copy of (a real Shopify order).
const TEMPLATE: &str = include_str!(
    "../../fixtures/shopify/order/create-order-with-customer-and-addresses.unified.json"
);

/// Makes the orders of one store from the template.
pub(super) struct Orders {
    template: serde_json::Value,
    store_id: String,
}

impl Orders {
    /// Connects a store of orders named `name` (it is never synced) and returns its
    /// orders' maker.
    pub(super) async fn in_new_store(store: &dyn Store, name: &str) -> Result<Self> {
        let new = NewStore {
            name: name.to_owned(),
            platform: "shopify".into(),
            base_url: "https://bench.example.com".parse().expect("a valid url"),
            credentials: Default::default(),
            settings: Default::default(),
            entities: vec![Entity::Order],
            interval_secs: 3600,
        };
        let store_id = store.add_store(&new).await?.id;
        Self::new(&store_id)
    }

    fn new(store_id: &str) -> Result<Self> {
        Ok(Self {
            template: serde_json::from_str(TEMPLATE)
                .map_err(|e| Error::Invalid(format!("order template: {e}")))?,
            store_id: store_id.to_owned(),
        })
    }

    /// Order number `i`; with `revision`, as changed in that round at that time.
    pub(super) fn order(
        &mut self,
        i: usize,
        revision: Option<(usize, DateTime<Utc>)>,
    ) -> Result<Record> {
        let t = &mut self.template;
        t["platform_id"] = serde_json::Value::String(format!("{}", 5_000_000_000u64 + i as u64));
        t["number"] = serde_json::Value::String(format!("#{}", 1000 + i));
        match revision {
            Some((round, at)) => {
                t["note"] = serde_json::Value::String(format!("changed in round {round}"));
                t["updated_at"] = serde_json::Value::String(at.to_rfc3339());
            }
            None => {
                t["note"] = serde_json::Value::Null;
                t["updated_at"] = serde_json::Value::String("2025-04-02T16:31:36Z".to_owned());
            }
        }
        let mut record = Record::from_json(Entity::Order, &t.to_string())
            .map_err(|e| Error::Invalid(format!("order template: {e}")))?;
        record.assign_store(&self.store_id);
        Ok(record)
    }

    pub(super) fn store_id(&self) -> &str {
        &self.store_id
    }

    /// Orders `first..first + n`, unrevised.
    pub(super) fn range(&mut self, first: usize, n: usize) -> Result<Vec<Record>> {
        (first..first + n).map(|i| self.order(i, None)).collect()
    }
}

/// Commits one page of `store_id`'s orders under `pass`, as a sync commits it.
pub(super) async fn commit(
    store: &dyn Store,
    store_id: &str,
    page: &[Record],
    pass: &Pass,
) -> Result<()> {
    store
        .commit_page(&PageCommit {
            store_id,
            entity: Entity::Order,
            records: page,
            pass,
            fence: None,
            renew_until: Utc::now(),
        })
        .await?;
    Ok(())
}
