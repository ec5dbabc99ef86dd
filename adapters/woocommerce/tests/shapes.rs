//! The simulator's payloads checked against real WooCommerce payloads (the REST docs'
//! examples under `fixtures/woocommerce`), not against the adapter: every field a real
//! order, refund, product, variation, customer or category carries is present in the
//! simulator's, with the same JSON type (`null` matches anything, as WooCommerce nulls
//! unset dates and images). Plain HTTP with query keys, over the simulator's https mode.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use polycart_kit::meaning::{self, Rule, adds_up, decimal, every};
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_woocommerce::sim::{CONSUMER_KEY, CONSUMER_SECRET, SimConfig, WooCommerceSim};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/woocommerce")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Fields the docs' examples (older WooCommerce) name differently from current
/// WooCommerce, which the simulator follows: an order's refund summaries carry `reason`
/// where WooCommerce before 3.x's v2 controller rewrite sent `refund`.
const RENAMED: &[(&str, &str)] = &[("refunds[0].refund", "refunds[0].reason")];

/// Every path where `sim` lacks a field `real` has, or types it differently.
fn differences(path: &str, real: &Value, sim: &Value, out: &mut Vec<String>) {
    if real.is_null() || sim.is_null() {
        return;
    }
    if kind(real) != kind(sim) {
        out.push(format!(
            "{path}: real is {}, simulator sends {}",
            kind(real),
            kind(sim)
        ));
        return;
    }
    match (real, sim) {
        (Value::Object(r), Value::Object(s)) => {
            for (k, rv) in r {
                // `_links` carries per-record relations (`up`, `customer`) that depend on the record.
                if path.ends_with("._links") {
                    continue;
                }
                let here = format!("{path}.{k}");
                if let Some((_, now)) = RENAMED.iter().find(|(old, _)| here.ends_with(old)) {
                    let now_key = now.rsplit('.').next().unwrap_or(now);
                    if !s.contains_key(now_key) {
                        out.push(format!("{here}: missing (nor its current name {now_key})"));
                    }
                    continue;
                }
                match s.get(k) {
                    None => out.push(format!("{path}.{k}: missing")),
                    Some(sv) => differences(&format!("{path}.{k}"), rv, sv, out),
                }
            }
        }
        (Value::Array(r), Value::Array(s)) => {
            if let (Some(rv), Some(sv)) = (r.first(), s.first()) {
                differences(&format!("{path}[0]"), rv, sv, out);
            }
        }
        _ => {}
    }
}

async fn get(sim: &WooCommerceSim, route: &str) -> Value {
    let url = format!(
        "{}/wp-json/wc/v3/{route}{}consumer_key={CONSUMER_KEY}&consumer_secret={CONSUMER_SECRET}",
        sim.site(),
        if route.contains('?') { "&" } else { "?" }
    );
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200, "{route}");
    r.json().await.unwrap()
}

/// Site-local dates and their `_gmt` twins: both without an offset, the same distance
/// apart on every field of a record (the site's one UTC offset).
fn dates_and_twins(v: &Value, fields: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut offsets = std::collections::BTreeSet::new();
    for f in fields {
        let gmt = format!("{f}_gmt");
        problems.extend(every(
            v,
            f,
            "a date-time without offset",
            meaning::zoneless_date_time,
        ));
        problems.extend(every(
            v,
            &gmt,
            "a date-time without offset",
            meaning::zoneless_date_time,
        ));
        let read = |k: &str| {
            v[k].as_str()
                .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
        };
        if let (Some(local), Some(utc)) = (read(f), read(&gmt)) {
            offsets.insert((local - utc).num_minutes());
        }
    }
    if offsets.len() > 1 {
        problems.push(format!(
            "local dates sit at different offsets from their _gmt twins: {offsets:?} minutes"
        ));
    }
    problems
}

fn money(v: &Value, fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .flat_map(|k| {
            every(v, k, "money as a string", |m| {
                m.is_string() && decimal(m).is_some()
            })
        })
        .collect()
}

const ORDER: &[Rule] = &[
    |o| {
        dates_and_twins(
            o,
            &[
                "date_created",
                "date_modified",
                "date_paid",
                "date_completed",
            ],
        )
    },
    |o| {
        money(
            o,
            &[
                "discount_total",
                "discount_tax",
                "shipping_total",
                "shipping_tax",
                "cart_tax",
                "total",
                "total_tax",
            ],
        )
    },
    |o| every(o, "$.line_items[].price", "a number", |v| v.is_number()),
    // A line's price is its total (after discounts) per unit.
    |o| {
        meaning::values_at(o, "$.line_items[]")
            .into_iter()
            .filter_map(|(at, l)| {
                let (total, qty, price) = (
                    decimal(&l["total"])?,
                    decimal(&l["quantity"])?,
                    decimal(&l["price"])?,
                );
                ((total / qty).round_dp(2) != price.round_dp(2))
                    .then(|| format!("{at}: price {price} is not total {total} / quantity {qty}"))
            })
            .collect()
    },
    // The order's total: its lines after discounts, shipping, fees and all taxes.
    |o| {
        let sum = |path: &str| -> rust_decimal::Decimal {
            meaning::values_at(o, path)
                .into_iter()
                .filter_map(|(_, v)| decimal(v))
                .sum()
        };
        let (Some(total), Some(shipping), Some(tax)) = (
            decimal(&o["total"]),
            decimal(&o["shipping_total"]),
            decimal(&o["total_tax"]),
        ) else {
            return vec!["total, shipping_total or total_tax is missing".to_owned()];
        };
        let lines = sum("$.line_items[].total") + sum("$.fee_lines[].total");
        if total == lines + shipping + tax {
            Vec::new()
        } else {
            vec![format!(
                "total {total} is not lines {lines} + shipping {shipping} + tax {tax}"
            )]
        }
    },
    |o| adds_up(o, "total_tax", &["cart_tax", "shipping_tax"]),
    // A line's taxes name the order's tax rates.
    |o| {
        let rates: Vec<Value> = meaning::values_at(o, "$.tax_lines[].rate_id")
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        every(
            o,
            "$.line_items[].taxes[].id",
            "one of the order's tax rate ids",
            |id| rates.contains(id),
        )
    },
    |o| {
        every(
            o,
            "$.billing.country",
            "a country code",
            meaning::country_code,
        )
    },
    |o| every(o, "$.currency", "a currency code", meaning::currency_code),
    // Refund summaries carry the refunded amount negated.
    |o| {
        every(o, "$.refunds[].total", "a negative amount", |v| {
            v.as_str().is_some_and(|s| s.starts_with('-'))
        })
    },
];

const REFUND: &[Rule] = &[
    |r| dates_and_twins(r, &["date_created"]),
    |r| {
        every(r, "$.amount", "a positive amount as a string", |v| {
            v.is_string() && decimal(v).is_some_and(|d| d > rust_decimal::Decimal::ZERO)
        })
    },
    |r| {
        every(r, "$.line_items[].quantity", "a negative quantity", |v| {
            v.as_i64().is_some_and(|q| q < 0)
        })
    },
];

const PRODUCT: &[Rule] = &[
    |p| dates_and_twins(p, &["date_created", "date_modified"]),
    |p| {
        ["price", "regular_price", "sale_price"]
            .iter()
            .flat_map(|k| {
                every(p, k, "a price as a string, or empty", |v| {
                    v.as_str()
                        .is_some_and(|s| s.is_empty() || decimal(v).is_some())
                })
            })
            .collect()
    },
    // On sale means a sale price below the regular one.
    |p| {
        if p["on_sale"] != true {
            return Vec::new();
        }
        match (decimal(&p["sale_price"]), decimal(&p["regular_price"])) {
            (Some(sale), Some(regular)) if sale < regular => Vec::new(),
            _ => vec![format!(
                "on sale with sale_price {} and regular_price {}",
                p["sale_price"], p["regular_price"]
            )],
        }
    },
    // Stock is counted only where it is managed.
    |p| {
        if p["manage_stock"] == false && !p["stock_quantity"].is_null() {
            vec![format!(
                "stock_quantity {} without manage_stock",
                p["stock_quantity"]
            )]
        } else {
            Vec::new()
        }
    },
];

const CUSTOMER: &[Rule] = &[
    |c| dates_and_twins(c, &["date_created", "date_modified"]),
    |c| {
        every(
            c,
            "$.billing.country",
            "a country code",
            meaning::country_code,
        )
    },
];

#[tokio::test]
async fn simulator_payloads_have_the_real_fields_and_types() {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 12,
            customers: 6,
            orders: 40,
        },
        ..SimOptions::default()
    };
    let sim = WooCommerceSim::start(
        options,
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        SimConfig {
            https: true,
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let simple = sim.simple_products()[0];
    let variable = sim.variable_products().remove(0);
    let variable = (variable.0, variable.1[0]);
    let (order, refunded, customer, child_category) = sim.with_store(|s| {
        (
            s.orders[0].id,
            s.orders.iter().find(|o| !o.refunds.is_empty()).unwrap().id,
            s.customers[0].id,
            s.categories
                .iter()
                .find(|c| c.parent_id.is_some())
                .unwrap()
                .id,
        )
    });
    let refunds = fixture("refund/order-723-with-refunds.json");
    let cases = [
        (
            "order",
            fixture("order/retrieve-order-727.json"),
            get(&sim, &format!("orders/{order}")).await,
        ),
        (
            "order with refunds",
            refunds["order"].clone(),
            get(&sim, &format!("orders/{refunded}")).await,
        ),
        (
            "refund",
            refunds["refunds"][1].clone(),
            get(&sim, &format!("orders/{refunded}/refunds")).await[0].clone(),
        ),
        (
            "simple product",
            fixture("product/retrieve-simple-product.json"),
            get(&sim, &format!("products/{simple}")).await,
        ),
        (
            "variable product",
            fixture("product/create-variable-product.json"),
            get(&sim, &format!("products/{}", variable.0)).await,
        ),
        (
            "variation",
            fixture("inventory/retrieve-variation.json"),
            get(
                &sim,
                &format!("products/{}/variations/{}", variable.0, variable.1),
            )
            .await,
        ),
        (
            "customer",
            fixture("customer/retrieve-customer.json"),
            get(&sim, &format!("customers/{customer}")).await,
        ),
        (
            "category",
            fixture("category/retrieve-category.json"),
            get(&sim, &format!("products/categories/{child_category}")).await,
        ),
    ];
    let mut problems = Vec::new();
    for (name, real, simulated) in &cases {
        differences(name, real, simulated, &mut problems);
        let rules: &[Rule] = match *name {
            "order" | "order with refunds" => ORDER,
            "refund" => REFUND,
            "simple product" | "variable product" | "variation" => PRODUCT,
            "customer" => CUSTOMER,
            _ => &[],
        };
        meaning::check(name, real, simulated, rules, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    sim.shutdown().await;
}
