//! Mapping speed of every registered adapter: raw JSON bytes → unified records, on
//! real-shaped payloads (each platform's largest order fixture, repeated into a list
//! envelope of 1,000 orders). Reported as orders per second on one core.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polycart_kit::Entity;
use polycart_kit::connector::Normalized;

const ORDERS: usize = 1000;

/// The largest single-order fixture of a platform, as raw JSON text.
fn largest_order_fixture(platform: &str) -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(platform).join("order");
    let mut best: Option<String> = None;
    for path in polycart_kit::golden::inputs(&dir) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let connector = polycart::registry::connector(platform).ok()?;
        if matches!((connector.normalize)(Entity::Order, &text), Ok(Normalized::One(_)))
            && best.as_ref().is_none_or(|b| text.len() > b.len())
        {
            best = Some(text);
        }
    }
    best
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
        let Some(one) = largest_order_fixture(connector.name) else { continue };
        let item = bare_object(&one);
        let list = format!("[{}]", vec![item.as_str(); ORDERS].join(","));
        // The list must map as a list of ORDERS orders, or the figure means nothing.
        match (connector.normalize)(Entity::Order, &list) {
            Ok(Normalized::List(records)) if records.len() == ORDERS => {}
            other => {
                eprintln!("{}: the repeated fixture does not map as a list ({other:?}); skipped", connector.name);
                continue;
            }
        }
        group.bench_function(connector.name, |b| {
            b.iter(|| (connector.normalize)(Entity::Order, std::hint::black_box(&list)).expect("maps"))
        });
    }
    group.finish();
}

criterion_group!(benches, normalize_orders);
criterion_main!(benches);
