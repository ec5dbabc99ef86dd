//! Mapping speed of every registered adapter: raw JSON bytes → unified records, on
//! real payloads (each platform's median-sized and largest order fixture, each
//! repeated into a list of 1,000 orders). Reported as orders per second on one core;
//! the benchmark id names the fixture's size in bytes. `drift_check` measures what the
//! sync engine's schema-drift check costs per checked record (parse the raw payload,
//! compare it with the learnt shape); it runs after mapping on a page's first record
//! and every 25th, so a page pays that figure divided by 25 per record.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polycart_kit::Entity;
use polycart_kit::connector::Normalized;

const ORDERS: usize = 1000;

/// A platform's single-order fixtures (as compact JSON text), smallest first.
fn order_fixtures(platform: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(platform)
        .join("order");
    let Ok(connector) = polycart::registry::connector(platform) else {
        return Vec::new();
    };
    let mut found: Vec<String> = polycart_kit::golden::inputs(&dir)
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter(|text| {
            matches!(
                (connector.normalize)(Entity::Order, text, &Default::default()),
                Ok(Normalized::One(_))
            )
        })
        .map(|text| bare_object(&text))
        .collect();
    found.sort_by_key(String::len);
    found.dedup();
    found
}

/// Unwraps `{"order": {...}}` envelopes so the order can be repeated in a bare array.
fn bare_object(text: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(text).expect("fixtures are json");
    match value.as_object() {
        Some(map) if map.len() == 1 && map.values().all(serde_json::Value::is_object) => {
            map.values().next().expect("one value").to_string()
        }
        _ => value.to_string(),
    }
}

fn normalize_orders(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize_orders");
    group.throughput(Throughput::Elements(ORDERS as u64));
    group.sample_size(20);
    for connector in polycart::registry::connectors() {
        let fixtures = order_fixtures(connector.name);
        let (Some(median), Some(largest)) = (fixtures.get(fixtures.len() / 2), fixtures.last())
        else {
            continue;
        };
        for (label, item) in [("median", median), ("largest", largest)] {
            let list = format!("[{}]", vec![item.as_str(); ORDERS].join(","));
            // The list must map as a list of ORDERS orders, or the figure means nothing.
            match (connector.normalize)(Entity::Order, &list, &Default::default()) {
                Ok(Normalized::List(records)) if records.len() == ORDERS => {}
                other => {
                    eprintln!(
                        "{}: the repeated fixture does not map as a list ({other:?}); skipped",
                        connector.name
                    );
                    continue;
                }
            }
            let id = format!("{}/{label}_{}B", connector.name, item.len());
            group.bench_function(id, |b| {
                b.iter(|| {
                    (connector.normalize)(
                        Entity::Order,
                        std::hint::black_box(&list),
                        &Default::default(),
                    )
                    .expect("maps")
                })
            });
        }
    }
    group.finish();
}

fn drift_check(c: &mut Criterion) {
    use polycart_kit::drift::Shape;
    let mut group = c.benchmark_group("drift_check");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    for connector in polycart::registry::connectors() {
        let fixtures = order_fixtures(connector.name);
        let Some(largest) = fixtures.last() else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_str(largest).expect("fixtures are json");
        let mut shape = Shape::learn([&value]);
        let id = format!("{}/largest_{}B", connector.name, largest.len());
        group.bench_function(id, |b| {
            b.iter(|| {
                let record: serde_json::Value =
                    serde_json::from_str(std::hint::black_box(largest)).expect("json");
                shape.observe(&record)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, normalize_orders, drift_check);
criterion_main!(benches);
