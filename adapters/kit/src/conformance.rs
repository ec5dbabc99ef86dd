//! The conformance suite every adapter runs against its simulator, chosen by its
//! capabilities: the same questions asked of every platform, so behaviour (paging to
//! the end, resuming from a stored cursor, incremental reads) cannot drift per adapter.
//! Each check panics with a message naming the platform and what went wrong.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::adapter::{Adapter, Cursor, ListQuery};
use crate::model::{Entity, Record};
use crate::walk::collect_all;

fn ids(records: &[Record]) -> Vec<String> {
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
        "{}: first page + resumed rest != full listing",
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
                "{}: get {} failed: {e}",
                adapter.platform(),
                record.platform_id()
            )
        });
    assert_eq!(got.platform_id(), record.platform_id());
    assert_eq!(got.updated_at(), record.updated_at());
}

/// `count` agrees with paging to the end.
pub async fn count_matches_listing(adapter: &dyn Adapter, entity: Entity, listed: usize) {
    let n = adapter
        .count(&ListQuery::new(entity))
        .await
        .unwrap_or_else(|e| panic!("{}: count failed: {e}", adapter.platform()));
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
