//! The simulator's payloads against BigCommerce's own examples (copied from the API
//! reference into `fixtures/bigcommerce/shape/`), not against the adapter: every field
//! a real payload has, the simulator's has too, with the same JSON type (a `null` on
//! either side passes: the references mark such fields nullable), down through nested
//! objects and the first item of arrays. Webhooks are compared as the simulator
//! delivers them after writes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Setup, raw_get, setup_with};
use polycart_kit::golden::shape_differences;
use polycart_kit::meaning::{self, Rule, adds_up, decimal, every};
use polycart_kit::sim::StoreSize;
use serde_json::{Value, json};

/// A reference payload as it is.
fn payload(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/bigcommerce/shape")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A reference record: the `data` of a v3 envelope, the first item of a list.
fn reference(name: &str) -> Value {
    let v = payload(name);
    first(v.get("data").cloned().unwrap_or(v))
}

fn first(v: Value) -> Value {
    match v {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => other,
    }
}

fn check(name: &str, sim: &Value, failures: &mut Vec<String>) {
    compare(name, &reference(name), &first(sim.clone()), failures);
}

/// The rules of what a payload's values mean, run on the reference and on every record
/// the simulator sent (an array's items, or the one object).
fn mean(name: &str, sim: &Value, rules: &[Rule], failures: &mut Vec<String>) {
    let real = reference(name);
    match sim {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                meaning::check(&format!("{name}[{i}]"), &real, item, rules, failures);
            }
        }
        one => meaning::check(name, &real, one, rules, failures),
    }
}

const V2_ORDER: &[Rule] = &[
    |o| every(o, "$.date_created", "an RFC 2822 date", meaning::rfc2822),
    |o| every(o, "$.date_modified", "an RFC 2822 date", meaning::rfc2822),
    |o| {
        let money = [
            "subtotal_ex_tax",
            "subtotal_inc_tax",
            "total_ex_tax",
            "total_inc_tax",
            "total_tax",
            "refunded_amount",
            "discount_amount",
            "coupon_discount",
            "base_shipping_cost",
        ];
        money
            .iter()
            .flat_map(|k| {
                every(o, k, "money with 4 places", |v| {
                    meaning::decimal_string(v, 4)
                })
            })
            .collect()
    },
    |o| adds_up(o, "total_inc_tax", &["total_ex_tax", "total_tax"]),
    |o| {
        every(
            o,
            "$.currency_code",
            "a currency code",
            meaning::currency_code,
        )
    },
    |o| {
        every(
            o,
            "$.billing_address.country_iso2",
            "a country code",
            meaning::country_code,
        )
    },
];

const V2_ORDER_PRODUCT: &[Rule] = &[
    // A chosen option value is named by its id (the catalog's option value id, as a
    // string); only text-like options carry the text itself.
    |p| {
        meaning::values_at(p, "$.product_options[]")
            .into_iter()
            .filter(|(_, o)| !o["type"].as_str().is_some_and(|t| t.contains("ext")))
            .flat_map(|(at, o)| {
                every(o, "$.value", "an option value id", meaning::id_string)
                    .into_iter()
                    .map(move |p| format!("{at}: {p}"))
            })
            .collect()
    },
    |p| adds_up(p, "price_inc_tax", &["price_ex_tax", "price_tax"]),
    |p| adds_up(p, "total_inc_tax", &["total_ex_tax", "total_tax"]),
    |p| {
        [
            "base_price",
            "price_ex_tax",
            "total_ex_tax",
            "weight",
            "refund_amount",
        ]
        .iter()
        .flat_map(|k| every(p, k, "a 4-place decimal", |v| meaning::decimal_string(v, 4)))
        .collect()
    },
    |p| {
        let refunded = p["quantity_refunded"].as_u64().unwrap_or(0);
        if refunded > p["quantity"].as_u64().unwrap_or(0) {
            vec![format!("quantity_refunded {refunded} exceeds quantity")]
        } else {
            Vec::new()
        }
    },
];

const V2_COUPON: &[Rule] = &[
    // type 1 is a percentage coupon: `amount` is its rate in percent.
    |c| {
        let rate = decimal(&c["amount"]).unwrap_or_default();
        if c["type"] == 1 && !(rate > rust_decimal::Decimal::ZERO && rate <= 100.into()) {
            vec![format!("a percentage coupon's amount {rate} is not a rate")]
        } else {
            Vec::new()
        }
    },
    |c| every(c, "$.discount", "an amount of money", |v| v.is_number()),
];

const V3_PRODUCT: &[Rule] = &[
    |p| {
        every(p, "$.date_created", "RFC 3339 with an offset", |v| {
            meaning::rfc3339_with_offset(v, false)
        })
    },
    |p| {
        every(p, "$.date_modified", "RFC 3339 with an offset", |v| {
            meaning::rfc3339_with_offset(v, false)
        })
    },
    |p| every(p, "$.price", "a number", |v| v.is_number()),
    |p| {
        let id = p["id"].clone();
        every(p, "$.variants[].product_id", "the product's id", |v| {
            *v == id
        })
    },
];

const V3_CUSTOMER: &[Rule] = &[
    |c| {
        every(c, "$.date_created", "RFC 3339 with an offset", |v| {
            meaning::rfc3339_with_offset(v, false)
        })
    },
    |c| {
        every(c, "$.date_modified", "RFC 3339 with an offset", |v| {
            meaning::rfc3339_with_offset(v, false)
        })
    },
];

const V3_REFUND: &[Rule] = &[
    |r| every(r, "$.total_amount", "a number", |v| v.is_number()),
    |r| {
        every(r, "$.created", "RFC 3339 with an offset", |v| {
            meaning::rfc3339_with_offset(v, true)
        })
    },
];

fn compare(name: &str, real: &Value, sim: &Value, failures: &mut Vec<String>) {
    let out = shape_differences(real, sim);
    failures.extend(out.into_iter().map(|d| format!("{name}: {d}")));
}

async fn data(s: &Setup, path: &str) -> Value {
    let (status, body) = raw_get(s, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body.get("data").cloned().unwrap_or(body)
}

#[tokio::test]
async fn simulator_payloads_have_the_fields_of_bigcommerce_examples() {
    let size = StoreSize {
        products: 8,
        customers: 6,
        orders: 40,
    };
    let s = setup_with(size, Some("100000/1000ms"), "", &[]).await;
    let (with_coupon, shipped, refunded, product, unshipped) = s.handle.with_store(|st| {
        let find = |f: &dyn Fn(&polycart_kit::sim::SimOrder) -> bool| {
            st.orders.iter().find(|o| f(o)).map(|o| o.id).unwrap()
        };
        (
            find(&|o| !o.discount_codes.is_empty()),
            find(&|o| !o.shipments.is_empty()),
            find(&|o| !o.refunds.is_empty()),
            st.products
                .iter()
                .find(|p| p.variants.len() > 1)
                .unwrap()
                .id,
            find(&|o| o.shipments.is_empty() && !o.line_items.is_empty()),
        )
    });
    let mut failures = Vec::new();
    let order = data(&s, &format!("/v2/orders/{with_coupon}?include=fees")).await;
    check("v2-get-order", &order, &mut failures);
    mean("v2-get-order", &order, V2_ORDER, &mut failures);
    let products = data(&s, &format!("/v2/orders/{with_coupon}/products")).await;
    check("v2-order-products-subresource", &products, &mut failures);
    mean(
        "v2-order-products-subresource",
        &products,
        V2_ORDER_PRODUCT,
        &mut failures,
    );
    let refunded_lines = data(&s, &format!("/v2/orders/{refunded}/products")).await;
    mean(
        "v2-order-products-subresource",
        &refunded_lines,
        V2_ORDER_PRODUCT,
        &mut failures,
    );
    let addresses = data(&s, &format!("/v2/orders/{with_coupon}/shipping_addresses")).await;
    check(
        "v2-order-shipping-addresses-subresource",
        &addresses,
        &mut failures,
    );
    let coupons = data(&s, &format!("/v2/orders/{with_coupon}/coupons")).await;
    check("v2-order-coupons-subresource", &coupons, &mut failures);
    mean(
        "v2-order-coupons-subresource",
        &coupons,
        V2_COUPON,
        &mut failures,
    );
    let shipments = data(&s, &format!("/v2/orders/{shipped}/shipments")).await;
    check("v2-order-shipments-subresource", &shipments, &mut failures);
    check(
        "v2-order-statuses",
        &data(&s, "/v2/order_statuses").await,
        &mut failures,
    );
    let refunds = data(
        &s,
        &format!("/v3/orders/{refunded}/payment_actions/refunds"),
    )
    .await;
    check("v3-get-refund", &refunds, &mut failures);
    mean("v3-get-refund", &refunds, V3_REFUND, &mut failures);

    let full = data(
        &s,
        &format!("/v3/catalog/products/{product}?include=variants,images,options"),
    )
    .await;
    check("v3-get-product", &full, &mut failures);
    mean("v3-get-product", &full, V3_PRODUCT, &mut failures);
    check("v3-get-variant", &full["variants"], &mut failures);
    check("v3-product-images", &full["images"], &mut failures);
    let customers = data(&s, "/v3/customers?include=addresses").await;
    check("v3-list-customers", &customers, &mut failures);
    mean("v3-list-customers", &customers, V3_CUSTOMER, &mut failures);
    let addresses = data(&s, "/v3/customers/addresses").await;
    check("v3-list-customer-addresses", &addresses, &mut failures);
    check(
        "v3-list-categories",
        &data(&s, "/v3/catalog/categories").await,
        &mut failures,
    );
    let tree = data(&s, "/v3/catalog/trees/categories").await;
    check("v3-tree-categories-get", &tree, &mut failures);
    check(
        "v3-list-category-trees",
        &data(&s, "/v3/catalog/trees").await,
        &mut failures,
    );

    // Webhooks, as the simulator sends them after writes.
    let http = reqwest::Client::new();
    let root = s.server.info.base_url.clone();
    let send = |method: reqwest::Method, path: String, body: Value| {
        http.request(method, format!("{root}{path}"))
            .header("x-auth-token", s.handle.access_token())
            .json(&body)
            .send()
    };
    let hook = json!({ "scope": "store/*", "destination": "http://127.0.0.1:9/hooks" });
    send(reqwest::Method::POST, "/v3/hooks".into(), hook)
        .await
        .unwrap();
    let address = addresses_id(&s, unshipped).await;
    let line = data(&s, &format!("/v2/orders/{unshipped}/products")).await[0]["id"].clone();
    let created = send(
        reqwest::Method::POST,
        format!("/v2/orders/{unshipped}/shipments"),
        json!({ "order_address_id": address, "tracking_number": "EJ958083578US", "shipping_provider": "usps",
                "items": [{ "order_product_id": line, "quantity": 1 }] }),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    check(
        "v2-create-order-shipment",
        &created.json().await.unwrap(),
        &mut failures,
    );
    let status = json!({ "status_id": 12 });
    send(
        reqwest::Method::PUT,
        format!("/v2/orders/{with_coupon}"),
        status,
    )
    .await
    .unwrap();
    let price = json!({ "price": 12.5 });
    send(
        reqwest::Method::PUT,
        format!("/v3/catalog/products/{product}"),
        price,
    )
    .await
    .unwrap();
    let variant = full["variants"][1]["id"].clone();
    let stock = json!({ "reason": "count", "items": [{ "location_id": 1, "variant_id": variant, "quantity": 5 }] });
    send(
        reqwest::Method::PUT,
        "/v3/inventory/adjustments/absolute".into(),
        stock,
    )
    .await
    .unwrap();
    let delivered: BTreeMap<String, Value> = s
        .handle
        .deliveries()
        .into_iter()
        .map(|d| {
            let body: Value = serde_json::from_slice(&d.body).unwrap();
            (body["scope"].as_str().unwrap().to_owned(), body)
        })
        .collect();
    for (scope, name) in [
        ("store/shipment/created", "store-shipment-created"),
        ("store/order/statusUpdated", "store-order-statusUpdated"),
        ("store/product/updated", "store-product-updated"),
        ("store/sku/inventory/updated", "store-sku-inventory-updated"),
    ] {
        match delivered.get(scope) {
            Some(body) => compare(name, &payload(name), body, &mut failures),
            None => failures.push(format!("no {scope} webhook was sent")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn addresses_id(s: &Setup, order: u64) -> Value {
    data(s, &format!("/v2/orders/{order}/shipping_addresses")).await[0]["id"].clone()
}
