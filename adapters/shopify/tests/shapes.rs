//! The REST simulator's payloads against Shopify's own examples (`fixtures/shopify`,
//! copied from the REST Admin API reference), not against the adapter: every field a
//! real order, product, customer or collection has, the simulator's has too, with the
//! same JSON type; and what the values mean (`polycart_kit::meaning`): timestamps with
//! the shop's offset, money as two-place strings, tax rates as fractions, ids that
//! point where they should, discount codes that say how they were computed. Each rule
//! runs on Shopify's example first.

use axum::body::Body;
use http::{Request, StatusCode};
use polycart_kit::golden::shape_differences;
use polycart_kit::meaning::{self, Rule, decimal, every};
use polycart_kit::sim::{FaultSpec, Faults, SimOptions, StoreSize};
use polycart_shopify::sim::{SimState, router};
use serde_json::Value;
use tower::ServiceExt;

fn fixture(path: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/shopify")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

async fn get(app: &axum::Router, token: &str, uri: &str) -> Value {
    let req = Request::get(uri)
        .header("x-shopify-access-token", token)
        .header("host", "shop.test")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn timestamps(v: &Value, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| {
            every(v, p, "RFC 3339 with the shop's offset", |t| {
                meaning::rfc3339_with_offset(t, false)
            })
        })
        .collect()
}

fn money(v: &Value, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| {
            every(v, p, "money with 2 places", |m| {
                meaning::decimal_string(m, 2)
            })
        })
        .collect()
}

const ORDER: &[Rule] = &[
    |o| {
        timestamps(
            o,
            &[
                "$.created_at",
                "$.updated_at",
                "$.processed_at",
                "$.closed_at",
                "$.cancelled_at",
                "$.refunds[].created_at",
                "$.fulfillments[].created_at",
            ],
        )
    },
    |o| {
        money(
            o,
            &[
                "$.total_price",
                "$.subtotal_price",
                "$.total_tax",
                "$.total_discounts",
                "$.total_line_items_price",
                "$.current_total_price",
                "$.line_items[].price",
                "$.line_items[].total_discount",
                "$.line_items[].tax_lines[].price",
                "$.shipping_lines[].price",
                "$.discount_codes[].amount",
                "$.total_price_set.shop_money.amount",
                "$.line_items[].price_set.shop_money.amount",
                "$.refunds[].transactions[].amount",
            ],
        )
    },
    |o| every(o, "$.currency", "a currency code", meaning::currency_code),
    |o| {
        every(
            o,
            "$.total_price_set.shop_money.currency_code",
            "a currency code",
            meaning::currency_code,
        )
    },
    // Tax rates are fractions (0.06), not percentages.
    |o| {
        every(
            o,
            "$.line_items[].tax_lines[].rate",
            "a rate below 1",
            |r| r.as_f64().is_some_and(|r| (0.0..1.0).contains(&r)),
        )
    },
    |o| {
        every(
            o,
            "$.billing_address.country_code",
            "a country code",
            meaning::country_code,
        )
    },
    |o| {
        every(
            o,
            "$.shipping_address.country_code",
            "a country code",
            meaning::country_code,
        )
    },
    // `name` is `#` and the order number; `number` counts from 1 where order_number counts from 1001.
    |o| {
        let n = o["order_number"].as_u64().unwrap_or(0);
        let mut p = every(o, "$.name", "#order_number", |v| {
            v.as_str() == Some(&format!("#{n}"))
        });
        p.extend(every(o, "$.number", "order_number - 1000", |v| {
            v.as_u64() == n.checked_sub(1000)
        }));
        p
    },
    |o| {
        let gid = format!("gid://shopify/Order/{}", o["id"]);
        every(o, "$.admin_graphql_api_id", "the order's GID", |v| {
            v.as_str() == Some(gid.as_str())
        })
    },
    |o| {
        every(
            o,
            "$.discount_codes[].type",
            "fixed_amount, percentage or shipping",
            |t| ["fixed_amount", "percentage", "shipping"].contains(&t.as_str().unwrap_or("")),
        )
    },
    // A percentage application's value is its rate; a code's amount is the money it took.
    |o| {
        meaning::values_at(o, "$.discount_applications[]")
            .into_iter()
            .filter(|(_, a)| a["value_type"] == "percentage")
            .filter(|(_, a)| {
                !decimal(&a["value"])
                    .is_some_and(|v| v > rust_decimal::Decimal::ZERO && v <= 100.into())
            })
            .map(|(at, a)| format!("{at}: a percentage of {}", a["value"]))
            .collect()
    },
    |o| {
        let total = decimal(&o["total_discounts"]).unwrap_or_default();
        let codes: rust_decimal::Decimal = meaning::values_at(o, "$.discount_codes[].amount")
            .into_iter()
            .filter_map(|(_, a)| decimal(a))
            .sum();
        if codes > total {
            vec![format!(
                "discount codes take {codes}, more than total_discounts {total}"
            )]
        } else {
            Vec::new()
        }
    },
    |o| {
        every(o, "$.fulfillments[].order_id", "the order's id", |v| {
            *v == o["id"]
        })
    },
    |o| {
        every(o, "$.refunds[].order_id", "the order's id", |v| {
            *v == o["id"]
        })
    },
    |o| {
        every(
            o,
            "$.line_items[].grams",
            "a whole number of grams",
            Value::is_u64,
        )
    },
];

const PRODUCT: &[Rule] = &[
    |p| {
        timestamps(
            p,
            &[
                "$.created_at",
                "$.updated_at",
                "$.published_at",
                "$.variants[].created_at",
            ],
        )
    },
    |p| money(p, &["$.variants[].price", "$.variants[].compare_at_price"]),
    |p| {
        every(p, "$.variants[].product_id", "the product's id", |v| {
            *v == p["id"]
        })
    },
    |p| {
        every(p, "$.images[].product_id", "the product's id", |v| {
            *v == p["id"]
        })
    },
    |p| {
        every(p, "$.status", "active, archived or draft", |s| {
            ["active", "archived", "draft"].contains(&s.as_str().unwrap_or(""))
        })
    },
    // A variant's weight in its unit is its grams.
    |p| {
        meaning::values_at(p, "$.variants[]")
            .into_iter()
            .filter_map(|(at, v)| {
                let per = match v["weight_unit"].as_str()? {
                    "g" => 1.0,
                    "kg" => 1000.0,
                    "lb" => 453.592,
                    "oz" => 28.3495,
                    _ => return Some(format!("{at}: weight_unit {}", v["weight_unit"])),
                };
                let grams = v["grams"].as_f64()?;
                ((v["weight"].as_f64()? * per - grams).abs() > 1.0).then(|| {
                    format!(
                        "{at}: weight {} {} is not {grams} g",
                        v["weight"], v["weight_unit"]
                    )
                })
            })
            .collect()
    },
    // option1 is one of the first option's values.
    |p| {
        let values = p["options"][0]["values"].clone();
        every(
            p,
            "$.variants[].option1",
            "a value of the first option",
            |v| values.as_array().is_some_and(|vs| vs.contains(v)),
        )
    },
];

const CUSTOMER: &[Rule] = &[
    |c| timestamps(c, &["$.created_at", "$.updated_at"]),
    |c| money(c, &["$.total_spent"]),
    |c| {
        every(c, "$.addresses[].customer_id", "the customer's id", |v| {
            *v == c["id"]
        })
    },
    |c| {
        every(
            c,
            "$.addresses[].country_code",
            "a country code",
            meaning::country_code,
        )
    },
    |c| every(c, "$.default_address.default", "true", |v| *v == true),
];

const COLLECTION: &[Rule] = &[|c| timestamps(c, &["$.updated_at", "$.published_at"])];

#[tokio::test]
async fn rest_payloads_have_shopifys_fields_types_and_meanings() {
    let options = SimOptions {
        seed: 8,
        size: StoreSize {
            products: 12,
            customers: 8,
            orders: 60,
        },
        plan: Some("plus".to_owned()),
        faults: FaultSpec::none(),
    };
    let state = SimState::new(&options);
    let app = router(state.clone(), &Faults::new(FaultSpec::none(), 8));
    let t = state.access_token.clone();
    let (discounted, shipped, refunded, product, customer) = {
        let s = state.store();
        let find = |f: &dyn Fn(&polycart_kit::sim::SimOrder) -> bool| {
            s.orders.iter().find(|o| f(o)).unwrap().id
        };
        (
            find(&|o| !o.discount_codes.is_empty()),
            find(&|o| !o.shipments.is_empty()),
            find(&|o| !o.refunds.is_empty()),
            s.products.iter().find(|p| p.variants.len() > 1).unwrap().id,
            s.customers
                .iter()
                .find(|c| !c.addresses.is_empty())
                .unwrap()
                .id,
        )
    };
    let real_order = fixture("order/get-order-450789469-full.json")["order"].clone();
    let mut cases: Vec<(String, Value, Value, &[Rule])> = Vec::new();
    for id in [discounted, shipped, refunded] {
        let o = get(&app, &t, &format!("/admin/api/2026-10/orders/{id}.json")).await;
        cases.push((
            format!("order {id}"),
            real_order.clone(),
            o["order"].clone(),
            ORDER,
        ));
    }
    let p = get(
        &app,
        &t,
        &format!("/admin/api/2026-10/products/{product}.json"),
    )
    .await;
    cases.push((
        "product".into(),
        fixture("product/get-product-632910392.json")["product"].clone(),
        p["product"].clone(),
        PRODUCT,
    ));
    let c = get(
        &app,
        &t,
        &format!("/admin/api/2026-10/customers/{customer}.json"),
    )
    .await;
    cases.push((
        "customer".into(),
        fixture("customer/get-customer-207119551.json")["customer"].clone(),
        c["customer"].clone(),
        CUSTOMER,
    ));
    let custom = get(&app, &t, "/admin/api/2026-10/custom_collections.json").await;
    cases.push((
        "custom collection".into(),
        fixture("category/get-custom-collection-841564295.json")["custom_collection"].clone(),
        custom["custom_collections"][0].clone(),
        COLLECTION,
    ));
    let smart = get(&app, &t, "/admin/api/2026-10/smart_collections.json").await;
    cases.push((
        "smart collection".into(),
        fixture("category/get-smart-collection-482865238.json")["smart_collection"].clone(),
        smart["smart_collections"][0].clone(),
        COLLECTION,
    ));

    let mut failures = Vec::new();
    for (name, real, sim, rules) in &cases {
        assert!(sim.is_object(), "{name}: {sim}");
        failures.extend(
            shape_differences(real, sim)
                .into_iter()
                .map(|d| format!("{name}: {d}")),
        );
        meaning::check(name, real, sim, rules, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
