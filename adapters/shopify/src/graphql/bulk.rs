//! What a GraphQL bulk export is made of, without IO: the bulk query of an entity
//! (its selection with connections unpaged, see [`crate::graphql::queries::bulk`]), the
//! mutation that starts it, how a bulk operation's state reads, and how often it is
//! polled. Running one is [`crate::graphql::bulk_list`]; its downloaded JSONL is
//! [`crate::graphql::bulk_file`].

use std::time::Duration;

use polycart_kit::model::Entity;
use serde::Deserialize;

use crate::graphql::queries;

/// Whether `entity` has a bulk path (inventory levels sit under locations, which a
/// bulk query cannot nest deep enough for).
pub fn exportable(entity: Entity) -> bool {
    !matches!(entity, Entity::Inventory)
}

/// The root connection of an entity's bulk query.
fn root(entity: Entity) -> &'static str {
    match entity {
        Entity::Order => "orders",
        Entity::Product => "products",
        Entity::Customer => "customers",
        Entity::Category | Entity::Inventory => "collections",
    }
}

/// The bulk query of an entity, filtered by the search `query` (e.g. updated_at).
pub fn bulk_query(entity: Entity, search: Option<&str>) -> String {
    let filter = search
        .and_then(|s| serde_json::to_string(s).ok())
        .map(|s| format!("(query: {s})"))
        .unwrap_or_default();
    format!(
        "{{ {}{filter} {{ edges {{ node {{ {} }} }} }} }}",
        root(entity),
        queries::bulk(queries::selection(entity), false)
    )
}

/// Whether an Admin API version (`YYYY-MM`, or `unstable`) is `since` or newer.
pub(crate) fn version_at_least(version: &str, since: &str) -> bool {
    version == "unstable" || version >= since
}

/// Whether an entity's export asks Shopify to group children under their parent.
/// Ungrouped output (the default from 2026-01) is faster and fails less, but says
/// nothing of the children's order: fine for an order's lines (put back in id order,
/// the order Shopify adds them in), not for a product's variants and images, whose
/// order is the merchant's.
pub(crate) fn groups_objects(entity: Entity) -> bool {
    entity == Entity::Product
}

/// The mutation that starts a bulk query (`groupObjects` is an argument since
/// 2024-10, `userErrors.code` a field since 2025-01).
pub(crate) fn run_mutation(version: &str, group: bool) -> String {
    let group = if version_at_least(version, "2024-10") {
        format!(", groupObjects: {group}")
    } else {
        String::new()
    };
    let code = if version_at_least(version, "2025-01") {
        " code"
    } else {
        ""
    };
    format!(
        "mutation($q: String!) {{ bulkOperationRunQuery(query: $q{group}) {{ bulkOperation {{ id status }} userErrors {{ field message{code} }} }} }}"
    )
}

/// Reads a bulk operation by id: `node(id:)` answers on every version.
pub(crate) const POLL: &str = "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } } }";

/// The app's latest bulk query, to find out what holds the shop's bulk slot (before
/// 2026-01, when there is one slot).
pub(crate) const CURRENT: &str =
    "{ currentBulkOperation(type: QUERY) { id status query objectCount completedAt } }";

/// The app's recent bulk queries, newest first (2026-01 and later, five slots): what
/// holds the slots, and whether one of them is the export a pass needs (27 points: 2
/// plus one a node).
pub(crate) const RECENT: &str = "{ bulkOperations(first: 25, query: \"operation_type:query\") { edges { node { id status query objectCount completedAt } } } }";

/// A finished export this recent (a killed run's) is adopted instead of exported again.
pub(crate) const ADOPT_FINISHED_WITHIN: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// A bulk operation as polled.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationState {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) error_code: Option<String>,
    /// `UnsignedInt64`, sent as a string.
    pub(crate) object_count: Option<polycart_kit::decode::Id>,
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) query: Option<String>,
    #[serde(default)]
    pub(crate) completed_at: Option<String>,
}

impl OperationState {
    /// Still going (`CREATED`, `RUNNING`, `CANCELING`).
    pub(crate) fn running(&self) -> bool {
        matches!(self.status.as_str(), "CREATED" | "RUNNING" | "CANCELING")
    }

    pub(crate) fn objects(&self) -> Option<u64> {
        self.object_count.as_ref().and_then(|c| c.0.parse().ok())
    }
}

/// Whether `text` is this adapter's bulk query of `entity`, with any filter: an
/// operation of ours for the entity's pass (one pass per entity runs at a time, so
/// one with another filter is a stale one left by a run that died).
pub(crate) fn same_listing(entity: Entity, text: &str) -> bool {
    let plain = bulk_query(entity, None);
    let head = format!("{{ {}", root(entity));
    let (Some(tail), Some(want)) = (text.strip_prefix(&head), plain.strip_prefix(&head)) else {
        return false;
    };
    tail == want || (tail.starts_with("(query: \"") && tail.ends_with(&format!("\"){want}")))
}

/// What to do with the operations holding the shop's bulk slots when a pass's
/// export is refused for want of one.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SlotPlan {
    /// An operation running (or just finished) the very query needed.
    pub(crate) adopt: Option<String>,
    /// Running operations of ours for the same entity that nothing reads any more:
    /// the adopted one's duplicates, or another filter's (a killed run's).
    pub(crate) cancel: Vec<String>,
}

/// Plans for `ops` (newest first) when `wanted`, an export of `entity`, found no
/// free slot. Operations of other entities are left alone: another pass may be
/// reading them (they end by themselves, freeing their slot).
pub(crate) fn plan_slots(
    entity: Entity,
    wanted: &str,
    ops: &[OperationState],
    now: chrono::DateTime<chrono::Utc>,
) -> SlotPlan {
    let same = |op: &&OperationState| op.query.as_deref() == Some(wanted);
    let fresh = |op: &&OperationState| {
        op.status == "COMPLETED"
            && op
                .completed_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| now - t.with_timezone(&chrono::Utc) <= ADOPT_FINISHED_WITHIN)
    };
    let adopt = ops
        .iter()
        .filter(same)
        .find(fresh)
        .or_else(|| {
            ops.iter()
                .filter(same)
                .find(|op| op.running() && op.status != "CANCELING")
        })
        .map(|op| op.id.clone());
    let cancel = ops
        .iter()
        .filter(|op| matches!(op.status.as_str(), "CREATED" | "RUNNING"))
        .filter(|op| Some(&op.id) != adopt.as_ref())
        .filter(|op| op.query.as_deref().is_some_and(|q| same_listing(entity, q)))
        .map(|op| op.id.clone())
        .collect();
    SlotPlan { adopt, cancel }
}

/// Cancels a bulk operation.
pub(crate) const CANCEL: &str = "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { message } } }";

/// A refusal of `bulkOperationRunQuery` because the shop's bulk slots are taken
/// (`OPERATION_IN_PROGRESS`, `LIMIT_REACHED`, or older versions' message).
pub(crate) fn slot_taken(code: Option<&str>, message: &str) -> bool {
    matches!(code, Some("OPERATION_IN_PROGRESS" | "LIMIT_REACHED"))
        || message.contains("already in progress")
        || message.contains("limit reached")
}

/// How a bulk operation is polled: waits growing from `first` by half each time up to
/// `max`, and at most `per_call` inside one `list` call. A call that runs out of time
/// returns an empty page whose cursor names the operation, so a sync commits its
/// progress (renewing its lease) and a restart polls the same operation again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkPolling {
    pub first: Duration,
    pub max: Duration,
    pub per_call: Duration,
    /// How long a pass waits for a bulk slot held by other exports before it pages
    /// the API instead.
    pub slot_wait: Duration,
}

impl Default for BulkPolling {
    fn default() -> Self {
        Self {
            // A poll costs one point: polling early and often loses little of the time
            // between the export's end and its discovery (a first wait of 1 s lost
            // 1.6 s of a 3 s export).
            first: Duration::from_millis(250),
            max: Duration::from_secs(10),
            per_call: Duration::from_secs(20),
            slot_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl BulkPolling {
    /// The wait before poll number `n` (0 is the first poll after the start).
    pub fn delay(&self, n: u32) -> Duration {
        let grown = self.first.as_secs_f64() * 1.5f64.powi(n.min(64) as i32);
        Duration::from_secs_f64(grown.min(self.max.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_queries_page_nothing_and_nest_no_connection_under_a_list() {
        for e in [
            Entity::Order,
            Entity::Product,
            Entity::Customer,
            Entity::Category,
        ] {
            let q = bulk_query(e, Some("updated_at:>='2025-01-01T00:00:00Z'"));
            assert!(!q.contains("first:") && !q.contains("pageInfo"), "{q}");
            assert!(!q.contains("nodes {"), "bulk reads edges: {q}");
            assert!(
                q.starts_with(&format!(
                    "{{ {}(query: \"updated_at:>='2025-01-01T00:00:00Z'\")",
                    root(e)
                )),
                "{q}"
            );
            let depth = q.chars().fold((0i32, 0i32), |(d, max), c| match c {
                '{' => (d + 1, max.max(d + 1)),
                '}' => (d - 1, max),
                _ => (d, max),
            });
            assert_eq!(depth.0, 0, "balanced: {q}");
        }
        let orders = bulk_query(Entity::Order, None);
        assert!(orders.contains("refunds { id note"), "{orders}");
        assert!(!orders.contains("refundLineItems"), "{orders}");
    }

    #[test]
    fn the_mutation_follows_the_api_version() {
        assert!(run_mutation("2026-01", false).contains("groupObjects: false"));
        assert!(run_mutation("2026-01", true).contains("groupObjects: true"));
        assert!(run_mutation("2026-01", false).contains("message code"));
        assert!(!run_mutation("2024-07", false).contains("groupObjects"));
        assert!(!run_mutation("2024-10", false).contains(" code"));
        assert!(run_mutation("unstable", false).contains("groupObjects"));
    }

    #[test]
    fn polling_backs_off_to_its_ceiling() {
        let p = BulkPolling::default();
        let delays: Vec<Duration> = (0..14).map(|n| p.delay(n)).collect();
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[1], Duration::from_millis(375));
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert!(delays[8] < Duration::from_secs(10));
        assert_eq!(delays[13], Duration::from_secs(10));
    }

    fn op(id: &str, status: &str, query: &str, completed: Option<&str>) -> OperationState {
        OperationState {
            id: id.to_owned(),
            status: status.to_owned(),
            error_code: None,
            object_count: None,
            url: None,
            query: Some(query.to_owned()),
            completed_at: completed.map(str::to_owned),
        }
    }

    #[test]
    fn slots_plan_adopts_the_same_query_and_cancels_only_our_stale_ones() {
        let now = chrono::Utc::now();
        let full = bulk_query(Entity::Order, None);
        let since = bulk_query(Entity::Order, Some("updated_at:>='2025-01-01T00:00:00Z'"));
        let products = bulk_query(Entity::Product, None);
        assert!(same_listing(Entity::Order, &full) && same_listing(Entity::Order, &since));
        assert!(!same_listing(Entity::Order, &products));
        assert!(!same_listing(
            Entity::Order,
            "{ orders { edges { node { id } } } }"
        ));
        let recent = (now - chrono::TimeDelta::minutes(2)).to_rfc3339();
        let old = (now - chrono::TimeDelta::hours(2)).to_rfc3339();
        // Newest first: a running duplicate, our stale incremental, another entity's.
        let ops = [
            op("5", "RUNNING", &full, None),
            op("4", "RUNNING", &since, None),
            op("3", "RUNNING", &products, None),
            op("2", "RUNNING", &full, None),
            op("1", "COMPLETED", &full, Some(&old)),
        ];
        assert_eq!(
            plan_slots(Entity::Order, &full, &ops, now),
            SlotPlan {
                adopt: Some("5".into()),
                cancel: vec!["4".into(), "2".into()],
            }
        );
        // A just-finished export of the same query beats a running one.
        let mut with_done = ops.to_vec();
        with_done.insert(1, op("6", "COMPLETED", &full, Some(&recent)));
        let plan = plan_slots(Entity::Order, &full, &with_done, now);
        assert_eq!(plan.adopt.as_deref(), Some("6"));
        assert_eq!(plan.cancel, ["5", "4", "2"]);
        // Nothing of ours: wait (other entities' exports are left alone).
        assert_eq!(
            plan_slots(
                Entity::Customer,
                &bulk_query(Entity::Customer, None),
                &ops,
                now
            ),
            SlotPlan::default()
        );
    }

    #[test]
    fn a_taken_slot_is_recognised() {
        assert!(slot_taken(Some("OPERATION_IN_PROGRESS"), "x"));
        assert!(slot_taken(
            None,
            "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/1."
        ));
        assert!(!slot_taken(Some("INVALID"), "Invalid bulk query"));
    }
}
