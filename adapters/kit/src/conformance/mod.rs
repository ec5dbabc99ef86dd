//! The conformance suite every adapter runs against its simulator, driven by the
//! connector alone: [`Suite`] starts the simulator through `Connector::simulate`,
//! connects a store through `Connector::connect`, and derives its checks from the
//! connected adapter's capabilities, so behaviour (paging to the end, resuming from a
//! stored cursor, incremental reads, retries, refusals, writes, webhook signatures)
//! cannot drift per platform. The simulator is driven through its
//! [`SimHandle`](crate::sim::SimHandle): truth, touch, delete, armed faults, webhooks.
//!
//! # How an adapter opts in
//!
//! 1. Its simulator implements [`crate::sim::SimHandle`] and its `simulate` returns
//!    the server with it: `SimServer::start(..)?.with_info(..).with_handle(handle)`.
//! 2. `tests/conformance.rs` is one line per configuration:
//!
//! ```ignore
//! polycart_kit::conformance_tests!(polycart_acme::connector());
//! // or, with store settings, a plan or a store size:
//! mod rest {
//!     use polycart_kit::conformance::Suite;
//!     polycart_kit::conformance_tests!(Suite::new(polycart_acme::connector()).setting("api", "rest"));
//! }
//! ```
//!
//! The macro writes one `#[test]` per check ([`CHECKS`]), so a failure names the check
//! and the platform. A check the capabilities exclude (no `count`, no incremental
//! filter, no writes, no webhooks) passes after printing why it was skipped; so does
//! one needing a simulator operation its [`SimHandle`](crate::sim::SimHandle) answers
//! `Unsupported` for (printed with the simulator's reason). Every other mismatch
//! panics with `platform[settings] check: entity: what went wrong`.
//!
//! The free functions at the end ([`paginates_to_the_end`], ...) are the suite's
//! building blocks, usable on their own for a platform's quirk tests.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::adapter::{Adapter, Cursor, ListQuery};
use crate::model::{Entity, Record};
use crate::walk::collect_all;

#[cfg(feature = "sim")]
mod suite;
#[cfg(feature = "sim")]
mod writes;

#[cfg(feature = "sim")]
pub use suite::Suite;

/// Calls `$callback!($($args)* ; [every check])`: the one list of check names.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ($callback:ident ( $($args:tt)* )) => {
        $crate::$callback!( $($args)* ; [
            full_sync_equals_truth,
            resumes_from_a_stored_cursor,
            get_matches_list,
            count_matches_truth,
            incremental_reads_changes,
            change_mid_pass_skips_nothing,
            paging_edge_empty,
            paging_edge_one_page,
            paging_edge_one_page_plus_one,
            deletions_disappear,
            throttled_with_retry_after,
            throttled_without_retry_after,
            server_errors_retried,
            html_on_success_retried,
            truncated_body_retried,
            auth_failure_typed_not_retried,
            wrong_credentials_refused,
            writes_round_trip,
            writes_not_retried_blindly,
            webhook_signature_accepted,
            webhook_signature_rejected,
        ]);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_names {
    (; [$($check:ident),* $(,)?]) => {
        /// Every check of the suite, by name, in the order [`Suite::run`] runs them.
        pub const CHECKS: &[&str] = &[$(stringify!($check)),*];
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    ($suite:expr ; [$($check:ident),* $(,)?]) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::Suite::from($suite).run_blocking(stringify!($check));
            }
        )*
    };
}

/// One `#[test]` per conformance check for a connector (or a configured [`Suite`]).
/// See the module documentation.
#[macro_export]
macro_rules! conformance_tests {
    ($suite:expr) => {
        $crate::__conformance_checks!(__conformance_test_fns($suite));
    };
}

__conformance_checks!(__conformance_names());

// ---------------------------------------------------------------------------------
// Building blocks: each panics with a message naming the platform.

pub(crate) fn ids(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.platform_id().to_owned()).collect()
}

fn assert_unique(adapter: &dyn Adapter, entity: Entity, records: &[Record]) {
    let mut seen = HashSet::new();
    for id in ids(records) {
        assert!(
            seen.insert(id.clone()),
            "{}: {entity} {id} listed twice",
            adapter.platform()
        );
    }
}

/// Lists `entity` with small pages to the end: exactly `expected` distinct records.
pub async fn paginates_to_the_end(
    adapter: &dyn Adapter,
    entity: Entity,
    page_size: u32,
    expected: usize,
) -> Vec<Record> {
    let records = collect_all(adapter, ListQuery::new(entity).page_size(page_size))
        .await
        .unwrap_or_else(|e| panic!("{}: listing {entity}s failed: {e}", adapter.platform()));
    assert_unique(adapter, entity, &records);
    assert_eq!(
        records.len(),
        expected,
        "{}: {entity} count after paging",
        adapter.platform()
    );
    for r in &records {
        assert_eq!(r.entity(), entity);
        assert_eq!(r.platform(), adapter.platform());
    }
    records
}

/// Reads one page, keeps only the cursor's text (as the sync store would), then
/// resumes from it with a fresh query: together the two parts are the whole listing.
pub async fn resumes_from_cursor(adapter: &dyn Adapter, entity: Entity, page_size: u32) {
    let all = collect_all(adapter, ListQuery::new(entity).page_size(page_size))
        .await
        .unwrap_or_else(|e| panic!("{}: listing {entity}s failed: {e}", adapter.platform()));
    let first = adapter
        .list(&ListQuery::new(entity).page_size(page_size))
        .await
        .unwrap_or_else(|e| panic!("{}: first page failed: {e}", adapter.platform()));
    let Some(cursor) = first.next.clone() else {
        panic!(
            "{}: {entity}s fit one page of {page_size}; use a smaller page",
            adapter.platform()
        );
    };
    let stored = cursor.as_str().to_owned();
    let resumed = ListQuery::new(entity)
        .page_size(page_size)
        .with_cursor(Some(Cursor::new(stored)));
    let rest = collect_all(adapter, resumed)
        .await
        .unwrap_or_else(|e| panic!("{}: resuming failed: {e}", adapter.platform()));
    let mut combined = ids(&first.records);
    combined.extend(ids(&rest));
    let mut expected = ids(&all);
    combined.sort();
    expected.sort();
    assert_eq!(
        combined,
        expected,
        "{}: {entity}: first page + resumed rest != full listing",
        adapter.platform()
    );
}

/// Lists records updated since `since`: every id in `must_include` is there, and
/// nothing updated before `since` (less the adapter's documented overlap) is.
pub async fn incremental_sees_updates(
    adapter: &dyn Adapter,
    entity: Entity,
    since: DateTime<Utc>,
    must_include: &[String],
) -> Vec<Record> {
    let records = collect_all(adapter, ListQuery::new(entity).updated_since(since))
        .await
        .unwrap_or_else(|e| panic!("{}: incremental listing failed: {e}", adapter.platform()));
    let got: HashSet<String> = ids(&records).into_iter().collect();
    for id in must_include {
        assert!(
            got.contains(id),
            "{}: updated {entity} {id} missing from incremental read",
            adapter.platform()
        );
    }
    for r in &records {
        if let Some(u) = r.updated_at() {
            assert!(
                u >= since,
                "{}: {entity} {} updated {u} is before {since}",
                adapter.platform(),
                r.platform_id()
            );
        }
    }
    records
}

/// `get` of a listed record returns the same record.
pub async fn get_matches_list(adapter: &dyn Adapter, record: &Record) {
    let got = adapter
        .get(record.entity(), record.platform_id())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{}: get {} {} failed: {e}",
                adapter.platform(),
                record.entity(),
                record.platform_id()
            )
        });
    assert_eq!(
        got.platform_id(),
        record.platform_id(),
        "{}: get {} {} returned another record",
        adapter.platform(),
        record.entity(),
        record.platform_id()
    );
    assert_eq!(
        got.updated_at(),
        record.updated_at(),
        "{}: get {} {}: another modification time than listed",
        adapter.platform(),
        record.entity(),
        record.platform_id()
    );
}

/// `count` agrees with paging to the end.
pub async fn count_matches_listing(adapter: &dyn Adapter, entity: Entity, listed: usize) {
    let n = adapter
        .count(&ListQuery::new(entity))
        .await
        .unwrap_or_else(|e| panic!("{}: count of {entity}s failed: {e}", adapter.platform()));
    assert_eq!(
        n as usize,
        listed,
        "{}: count of {entity}s",
        adapter.platform()
    );
}

/// A webhook with a wrong signature, or none, is refused as an auth error.
pub fn rejects_bad_webhook_signature(
    adapter: &dyn Adapter,
    headers: &http::HeaderMap,
    body: &[u8],
) {
    match adapter.verify_webhook(headers, body) {
        Err(crate::Error::Auth { .. }) => {}
        other => panic!(
            "{}: a badly signed webhook gave {other:?}",
            adapter.platform()
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_names_are_unique() {
        let mut names = super::CHECKS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), super::CHECKS.len());
    }
}
