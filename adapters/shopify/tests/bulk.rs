//! Full passes through GraphQL bulk operations, behind `Adapter::list` with
//! `ListQuery::bulk`: the same records as paging (refund and fulfillment lines
//! included, which bulk queries cannot carry), restart-safe cursors, an operation
//! already running adopted, a busy slot, failed or expired operations and empty
//! results falling back or ending cleanly.

mod common;

use std::time::Duration;

use polycart_kit::Adapter;
use polycart_kit::adapter::{Cursor, ListQuery};
use polycart_kit::model::{Entity, Record};
use polycart_kit::sim::FaultSpec;
use polycart_kit::walk::collect_all;
use polycart_shopify::BulkPolling;
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;
use serde_json::Value;

fn fast() -> BulkPolling {
    BulkPolling {
        first: Duration::from_millis(5),
        max: Duration::from_millis(40),
        per_call: Duration::from_secs(10),
        slot_wait: Duration::from_millis(300),
    }
}

/// The first page with records (a pass starts with an empty page naming its
/// operation, committed before the export is waited for).
async fn first_records(adapter: &ShopifyAdapter, query: ListQuery) -> polycart_kit::adapter::Page {
    let mut query = query;
    loop {
        let page = adapter.list(&query).await.unwrap();
        if !page.records.is_empty() || page.next.is_none() {
            return page;
        }
        query = query.with_cursor(page.next);
    }
}

fn bulk(entity: Entity) -> ListQuery {
    let mut q = ListQuery::new(entity);
    q.bulk = true;
    q
}

/// A record without its raw payload (bulk and paged raw payloads differ in shape).
fn unified(r: &Record) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    v.as_object_mut().unwrap().remove("raw");
    v
}

fn sorted(records: &[Record]) -> Vec<Value> {
    let mut out: Vec<Value> = records.iter().map(unified).collect();
    out.sort_by_key(|v| v["platform_id"].as_str().unwrap().parse::<u64>().unwrap());
    out
}

async fn start(version: Option<&str>) -> (ShopifySim, ShopifyAdapter) {
    let (sim, _) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    let adapter = connect(&sim, version, fast());
    (sim, adapter)
}

fn connect(sim: &ShopifySim, version: Option<&str>, polling: BulkPolling) -> ShopifyAdapter {
    let secret = sim.state.api_secret.clone();
    let extra: Vec<(&str, &str)> = version.map(|v| ("api_version", v)).into_iter().collect();
    common::adapter_with(sim, "graphql", Some("plus"), &secret, &extra).with_bulk_polling(polling)
}

#[tokio::test]
async fn a_full_pass_through_bulk_gives_the_records_paging_gives() {
    let (sim, adapter) = start(None).await;
    assert!(adapter.capabilities().bulk_export);
    for (n, entity) in [
        Entity::Order,
        Entity::Product,
        Entity::Customer,
        Entity::Category,
    ]
    .into_iter()
    .enumerate()
    {
        let through_bulk = collect_all(&adapter, bulk(entity).page_size(7))
            .await
            .unwrap();
        assert_eq!(
            sim.state.bulk_operations_created(),
            n + 1,
            "{entity}: one bulk operation per full pass"
        );
        let paged = collect_all(&adapter, ListQuery::new(entity)).await.unwrap();
        assert_eq!(
            sorted(&through_bulk),
            sorted(&paged),
            "{entity}: bulk and paged listings differ"
        );
    }
    // Refund and fulfillment lines came in although bulk queries cannot nest them.
    let orders = collect_all(&adapter, bulk(Entity::Order)).await.unwrap();
    let lines = |f: fn(&polycart_kit::model::Order) -> usize| {
        orders
            .iter()
            .map(|r| match r {
                Record::Order(o) => f(o),
                _ => 0,
            })
            .sum::<usize>()
    };
    assert!(lines(|o| o.refunds.iter().map(|r| r.line_items.len()).sum()) > 0);
    assert!(lines(|o| o.shipments.iter().map(|s| s.line_items.len()).sum()) > 0);
}

#[tokio::test]
async fn the_bulk_cursor_resumes_in_a_restarted_process() {
    let (sim, adapter) = start(None).await;
    let all = collect_all(&adapter, bulk(Entity::Order)).await.unwrap();
    let first = first_records(&adapter, bulk(Entity::Order).page_size(8)).await;
    assert_eq!(first.records.len(), 8);
    let stored = first.next.expect("more pages").as_str().to_owned();
    assert!(stored.contains("BulkOperation"), "{stored}");
    let created = sim.state.bulk_operations_created();

    // A new process: nothing cached, the operation found again by its id.
    let restarted = connect(&sim, None, fast());
    let rest = collect_all(
        &restarted,
        bulk(Entity::Order)
            .page_size(8)
            .with_cursor(Some(Cursor::new(stored))),
    )
    .await
    .unwrap();
    assert_eq!(
        sim.state.bulk_operations_created(),
        created,
        "resuming starts no new operation"
    );
    let mut combined = first.records.clone();
    combined.extend(rest);
    assert_eq!(sorted(&combined), sorted(&all));
}

#[tokio::test]
async fn a_running_operation_is_waited_for_and_adopted_after_a_restart() {
    // 2025-10: one bulk query at a time per shop.
    let (sim, _) = start(None).await;
    let patient = BulkPolling {
        per_call: Duration::from_millis(60),
        ..fast()
    };
    let adapter = connect(&sim, Some("2025-10"), patient);
    sim.state.hold_bulk_operations(true);
    let waiting = adapter.list(&bulk(Entity::Order)).await.unwrap();
    assert!(waiting.records.is_empty(), "nothing to serve while it runs");
    let cursor = waiting.next.expect("a cursor naming the operation");
    let again = adapter
        .list(&bulk(Entity::Order).with_cursor(Some(cursor.clone())))
        .await
        .unwrap();
    assert_ne!(
        again.next,
        Some(cursor),
        "each waiting page moves the cursor"
    );

    // A restarted process that lost the cursor asks for the same query: adopted.
    let restarted = connect(&sim, Some("2025-10"), patient);
    let adopted = restarted.list(&bulk(Entity::Order)).await.unwrap();
    assert!(adopted.records.is_empty());
    assert_eq!(sim.state.bulk_operations_created(), 1);
    // Another entity meets the busy slot, waits for it (`slot_wait`), then pages the
    // API instead and says so for its run's record.
    let products = collect_all(&restarted, bulk(Entity::Product))
        .await
        .unwrap();
    assert_eq!(products.len(), common::SIZE.products);
    assert_eq!(sim.state.bulk_operations_created(), 1);
    let notes = restarted.take_notes(Entity::Product);
    assert!(
        notes.len() == 1 && notes[0].contains("bulk slots stayed taken"),
        "{notes:?}"
    );
    assert!(
        restarted.take_notes(Entity::Product).is_empty(),
        "taken once"
    );
    assert!(restarted.take_notes(Entity::Order).is_empty());

    sim.state.hold_bulk_operations(false);
    let orders = collect_all(&restarted, bulk(Entity::Order).with_cursor(adopted.next))
        .await
        .unwrap();
    assert_eq!(orders.len(), common::SIZE.orders);
    assert_eq!(sim.state.bulk_operations_created(), 1);
}

#[tokio::test]
async fn failed_cancelled_and_expired_operations_fall_back_to_paging() {
    let (sim, adapter) = start(None).await;
    let paged = sorted(
        &collect_all(&adapter, ListQuery::new(Entity::Customer))
            .await
            .unwrap(),
    );

    sim.state.fail_next_bulk_operation("TIMEOUT");
    let after_failure = collect_all(&adapter, bulk(Entity::Customer)).await.unwrap();
    assert_eq!(
        sorted(&after_failure),
        paged,
        "partial data is never served"
    );
    let notes = adapter.take_notes(Entity::Customer);
    assert!(
        notes.len() == 1 && notes[0].contains("ended FAILED (TIMEOUT)"),
        "{notes:?}"
    );

    // Someone cancels the operation a pass is waiting for.
    sim.state.hold_bulk_operations(true);
    let waiting = connect(
        &sim,
        None,
        BulkPolling {
            per_call: Duration::from_millis(30),
            ..fast()
        },
    );
    let page = waiting.list(&bulk(Entity::Customer)).await.unwrap();
    let cursor: Value = serde_json::from_str(page.next.as_ref().unwrap().as_str()).unwrap();
    let cancel = serde_json::json!({
        "query": "mutation($id: ID!) { bulkOperationCancel(id: $id) { userErrors { message } } }",
        "variables": {"id": cursor["bulk"]},
    });
    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/admin/api/2026-01/graphql.json",
            sim.server.info.base_url
        ))
        .header("x-shopify-access-token", &sim.state.access_token)
        .json(&cancel)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["bulkOperationCancel"]["userErrors"],
        serde_json::json!([])
    );
    sim.state.hold_bulk_operations(false);
    let after_cancel = collect_all(&waiting, bulk(Entity::Customer).with_cursor(page.next))
        .await
        .unwrap();
    assert_eq!(sorted(&after_cancel), paged);

    // Results expire after a week: a cursor into one restarts from paging.
    let first = first_records(&adapter, bulk(Entity::Customer).page_size(4)).await;
    sim.state.expire_bulk_operations();
    let restarted = connect(&sim, None, fast());
    let rest = collect_all(
        &restarted,
        bulk(Entity::Customer).page_size(4).with_cursor(first.next),
    )
    .await
    .unwrap();
    assert_eq!(sorted(&rest), paged, "the pass starts over, paged");
}

#[tokio::test]
async fn an_export_that_matched_nothing_is_an_empty_listing() {
    let (sim, adapter) = start(None).await;
    let future = chrono::Utc::now() + chrono::Duration::days(1);
    // The first page names the export (empty, with a cursor), the next ends the pass.
    let records = collect_all(&adapter, bulk(Entity::Order).updated_since(future))
        .await
        .unwrap();
    assert!(records.is_empty());
    assert_eq!(sim.state.bulk_operations_created(), 1);
}

#[tokio::test]
async fn incremental_bulk_reads_only_what_changed() {
    let (sim, adapter) = start(None).await;
    let now = chrono::Utc::now();
    let touched = sim.state.store().touch_some(3, 2, now);
    let changed = collect_all(
        &adapter,
        bulk(Entity::Order).updated_since(now - chrono::Duration::seconds(1)),
    )
    .await
    .unwrap();
    let mut got: Vec<String> = changed.iter().map(|r| r.platform_id().to_owned()).collect();
    let mut want: Vec<String> = touched.iter().map(u64::to_string).collect();
    got.sort();
    want.sort();
    want.dedup();
    assert_eq!(got, want);
}

#[tokio::test]
async fn slow_polls_and_downloads_give_empty_pages_not_long_calls() {
    // Every response is delayed up to 60 ms; no call may wait more than 40 ms.
    let faults = FaultSpec::parse("latency=60ms").unwrap();
    let (sim, _) = common::start("graphql", Some("plus"), faults).await;
    let adapter = connect(
        &sim,
        None,
        BulkPolling {
            per_call: Duration::from_millis(40),
            ..fast()
        },
    );
    use futures::StreamExt;
    let mut pages = std::pin::pin!(polycart_kit::walk::pages(&adapter, bulk(Entity::Customer)));
    let (mut empty, mut records) = (0, Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        if page.records.is_empty() && page.next.is_some() {
            empty += 1;
        }
        records.extend(page.records);
    }
    assert!(empty >= 1, "the export was waited for across calls");
    assert_eq!(records.len(), common::SIZE.customers);
    assert_eq!(sim.state.bulk_operations_created(), 1);
}

/// A pass's records through bulk, following waiting pages, with a fresh adapter.
async fn pass(sim: &ShopifySim, version: Option<&str>, entity: Entity) -> Vec<Record> {
    collect_all(&connect(sim, version, fast()), bulk(entity))
        .await
        .unwrap()
}

#[tokio::test]
async fn operations_of_killed_runs_are_adopted_not_paged_around() {
    // 2026-01: five slots. Five runs each start the order export and die before
    // committing anything (their operations keep running, held).
    let (sim, adapter) = start(None).await;
    let paged = sorted(
        &collect_all(&adapter, ListQuery::new(Entity::Order))
            .await
            .unwrap(),
    );
    sim.state.hold_bulk_operations(true);
    for _ in 0..5 {
        let killed = connect(&sim, None, fast());
        let page = killed.list(&bulk(Entity::Order)).await.unwrap();
        assert!(page.records.is_empty() && page.next.is_some());
    }
    assert_eq!(sim.state.bulk_operations_created(), 5);
    // The next run finds every slot taken by its own query: it adopts the newest and
    // cancels the other four, so other entities get slots again.
    let next = connect(&sim, None, fast());
    let page = next.list(&bulk(Entity::Order)).await.unwrap();
    assert!(page.records.is_empty());
    assert_eq!(sim.state.bulk_operations_created(), 5, "none started");
    assert_eq!(
        sim.state.bulk_operation_statuses(),
        ["CANCELED", "CANCELED", "CANCELED", "CANCELED", "RUNNING"]
    );
    sim.state.hold_bulk_operations(false);
    let products = pass(&sim, None, Entity::Product).await;
    assert_eq!(products.len(), common::SIZE.products);
    assert_eq!(
        sim.state.bulk_operations_created(),
        6,
        "products exported in bulk"
    );
    let orders = collect_all(&next, bulk(Entity::Order).with_cursor(page.next))
        .await
        .unwrap();
    assert_eq!(sorted(&orders), paged, "nothing lost or doubled");
    assert!(next.take_notes(Entity::Order).is_empty(), "never paged");
    assert!(next.take_notes(Entity::Product).is_empty());
}

#[tokio::test]
async fn a_stale_export_of_ours_with_another_filter_is_cancelled_and_exported_again() {
    // 2025-10, one slot: a killed incremental pass's export still runs.
    let (sim, adapter) = start(None).await;
    let paged = sorted(
        &collect_all(&adapter, ListQuery::new(Entity::Order))
            .await
            .unwrap(),
    );
    sim.state.hold_bulk_operations(true);
    let killed = connect(&sim, Some("2025-10"), fast());
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    killed
        .list(&bulk(Entity::Order).updated_since(since))
        .await
        .unwrap();
    // A full pass now: the stale one is ours (same listing, another filter).
    let full = connect(&sim, Some("2025-10"), fast());
    let page = full.list(&bulk(Entity::Order)).await.unwrap();
    assert!(page.records.is_empty() && page.next.is_some());
    assert_eq!(sim.state.bulk_operation_statuses(), ["CANCELED", "RUNNING"]);
    sim.state.hold_bulk_operations(false);
    let orders = collect_all(&full, bulk(Entity::Order).with_cursor(page.next))
        .await
        .unwrap();
    assert_eq!(sorted(&orders), paged);
    assert!(full.take_notes(Entity::Order).is_empty());
}
