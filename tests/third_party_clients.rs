//! The simulators against clients nobody here wrote: each platform's own or most-used
//! Python SDK from PyPI (Lazada's official `lazop-sdk` among them; pinned in
//! `tests/third_party/requirements.txt`), unchanged,
//! pointed at a simulator through the SDK's own settings. Each lists every entity to
//! the end with the SDK's pagination, reads incrementally, and writes; the counts and
//! ids are checked against the simulator's own store, the writes by reading back.
//!
//! The SDKs live in a virtualenv under the cargo target dir (made once per set of
//! pins). Skipped with a printed reason when PyPI is unreachable, unless `CI=true`.

mod third_party;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use polycart_kit::sim::{FaultSpec, SimOptions, SimOrderState, SimStore, StoreSize};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn options(seed: u64, size: StoreSize, plan: Option<&str>) -> SimOptions {
    SimOptions {
        seed,
        size,
        plan: plan.map(str::to_owned),
        faults: FaultSpec::none(),
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list of ids: {v}"))
        .iter()
        .map(|i| i.as_u64().expect("an id"))
        .collect()
}

fn sorted(mut ids: Vec<u64>) -> Vec<u64> {
    ids.sort_unstable();
    ids
}

/// The middle of some timestamps: a cutoff that leaves records on both sides.
/// The simulator's live products, customers and categories, by sorted id.
fn catalogue(s: &SimStore) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    (
        sorted(
            s.products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| p.id)
                .collect(),
        ),
        sorted(
            s.customers
                .iter()
                .filter(|c| !c.deleted)
                .map(|c| c.id)
                .collect(),
        ),
        sorted(s.categories.iter().map(|c| c.id).collect()),
    )
}

fn median(mut times: Vec<DateTime<Utc>>) -> DateTime<Utc> {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_api_python_sdk_lists_filters_and_writes_unchanged() {
    let Some(python) = third_party::python() else {
        return;
    };
    let size = StoreSize {
        products: 40,
        customers: 30,
        orders: 600,
    };
    let sim = polycart_shopify::sim::ShopifySim::start(options(11, size, Some("plus")), loopback())
        .await
        .expect("the simulator starts");
    let (orders, (products, customers, collections), cutoff, product_id, order_id) = {
        let store = sim.state.store();
        let orders: Vec<_> = store.orders.iter().filter(|o| !o.deleted).collect();
        let cutoff = median(orders.iter().map(|o| o.updated_at).collect());
        let open = orders
            .iter()
            .find(|o| o.state == SimOrderState::Open)
            .expect("an open order");
        (
            orders
                .iter()
                .map(|o| (o.id, o.updated_at))
                .collect::<Vec<_>>(),
            catalogue(&store),
            cutoff,
            store.products[0].id,
            open.id,
        )
    };
    let config = json!({
        "base_url": sim.server.info.base_url,
        "shop": "polycart-sim.myshopify.com",
        "access_token": sim.state.access_token,
        "api_version": "2026-10",
        "updated_at_min": cutoff.to_rfc3339(),
        "product_id": product_id,
        "new_price": "12.34",
        "order_id": order_id,
    });
    let seen = third_party::run(&python, "shopify_client.py", &config, &[]).await;

    assert_eq!(
        ids(&seen["orders"]),
        sorted(orders.iter().map(|o| o.0).collect())
    );
    assert_eq!(seen["orders_pages"], 3, "600 orders in pages of 250");
    assert_eq!(ids(&seen["products"]), products);
    assert_eq!(ids(&seen["customers"]), customers);
    let custom: BTreeSet<u64> = ids(&seen["custom_collections"]).into_iter().collect();
    let smart: BTreeSet<u64> = ids(&seen["smart_collections"]).into_iter().collect();
    assert!(custom.is_disjoint(&smart));
    assert_eq!(sorted(custom.union(&smart).copied().collect()), collections);

    assert_eq!(
        seen["since_2000"],
        orders.len(),
        "updated_at_min=2000-01-01 is every order"
    );
    let recent = sorted(
        orders
            .iter()
            .filter(|o| o.1 >= cutoff)
            .map(|o| o.0)
            .collect(),
    );
    assert_eq!(sorted(ids(&seen["incremental"])), recent);
    assert_eq!(seen["incremental_count"], recent.len());
    let stamps: Vec<DateTime<Utc>> = seen["incremental_updated_at"]
        .as_array()
        .expect("timestamps")
        .iter()
        .map(|t| {
            t.as_str()
                .and_then(|t| t.parse().ok())
                .expect("a timestamp")
        })
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "order=updated_at asc: {stamps:?}"
    );

    let store = sim.state.store();
    let product = store
        .products
        .iter()
        .find(|p| p.id == product_id)
        .expect("the product");
    assert_eq!(product.variants[0].price, Decimal::new(1234, 2));
    assert_eq!(seen["variant"]["price"], "12.34");
    let closed = store
        .orders
        .iter()
        .find(|o| o.id == order_id)
        .expect("the order");
    assert_eq!(closed.state, SimOrderState::Completed);
    assert!(seen["closed_order"]["closed_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_python_wrapper_lists_filters_and_writes_unchanged() {
    use polycart_woocommerce::sim::{CONSUMER_KEY, CONSUMER_SECRET, SimConfig, WooCommerceSim};
    let Some(python) = third_party::python() else {
        return;
    };
    let size = StoreSize {
        products: 30,
        customers: 120,
        orders: 250,
    };
    let sim = WooCommerceSim::start(options(12, size, None), loopback(), SimConfig::default())
        .await
        .expect("the simulator starts");
    let (orders, (products, customers, categories), cutoff, order_id) = sim.with_store(|s| {
        let orders: Vec<(u64, DateTime<Utc>)> = s
            .orders
            .iter()
            .filter(|o| !o.deleted)
            .map(|o| (o.id, o.updated_at))
            .collect();
        let pending = s
            .orders
            .iter()
            .find(|o| !o.deleted && o.state == SimOrderState::Open)
            .expect("a processing order");
        (
            orders.clone(),
            catalogue(s),
            median(orders.iter().map(|o| o.1).collect()),
            pending.id,
        )
    });
    let variable = sim.variable_products();
    let product_id = sim.simple_products()[0];
    let config = json!({
        "url": sim.site(),
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "modified_after": cutoff.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "product_id": product_id,
        "new_price": "12.34",
        "order_id": order_id,
    });
    let seen = third_party::run(&python, "woocommerce_client.py", &config, &[]).await;

    assert_eq!(
        ids(&seen["orders"]),
        sorted(orders.iter().map(|o| o.0).collect())
    );
    assert_eq!(seen["orders_total"], orders.len());
    assert_eq!(seen["orders_pages"], 3, "250 orders in pages of 100");
    assert_eq!(ids(&seen["products"]), products);
    assert_eq!(ids(&seen["customers"]), customers);
    assert_eq!(seen["customers_pages"], 2);
    assert_eq!(ids(&seen["categories"]), categories);
    let variations = sorted(
        variable
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .collect(),
    );
    assert_eq!(ids(&seen["variations"]), variations);
    assert_eq!(ids(&seen["variation_ids_listed"]), variations);

    // modified_after is strictly after (WordPress's date query), read as UTC with dates_are_gmt.
    let recent = sorted(
        orders
            .iter()
            .filter(|o| o.1 > cutoff)
            .map(|o| o.0)
            .collect(),
    );
    assert_eq!(sorted(ids(&seen["incremental"])), recent);
    assert_eq!(seen["incremental_total"], recent.len());
    let stamps: Vec<&str> = seen["incremental_modified_gmt"]
        .as_array()
        .expect("dates")
        .iter()
        .map(|t| t.as_str().expect("a date"))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "orderby=modified&order=asc: {stamps:?}"
    );

    assert_eq!(seen["product_write"]["status"], 200);
    assert_eq!(seen["product_write"]["regular_price"], "12.34");
    assert_eq!(seen["order_write"]["status"], 200);
    assert_eq!(seen["order_write"]["order_status"], "completed");
    sim.with_store(|s| {
        let p = s
            .products
            .iter()
            .find(|p| p.id == product_id)
            .expect("the product");
        assert_eq!(p.variants[0].price, Decimal::new(1234, 2));
    });
    // Read back over the REST API (as if behind TLS, where query-string keys work).
    sim.configure(|c| c.https = true);
    let url = format!(
        "{}/wp-json/wc/v3/orders/{order_id}?consumer_key={CONSUMER_KEY}&consumer_secret={CONSUMER_SECRET}",
        sim.site()
    );
    let order: Value = reqwest::get(url)
        .await
        .expect("the order")
        .json()
        .await
        .expect("JSON");
    assert_eq!(order["status"], "completed");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bigcommerce_python_sdk_lists_filters_and_writes_unchanged() {
    let Some(python) = third_party::python() else {
        return;
    };
    let size = StoreSize {
        products: 30,
        customers: 40,
        orders: 300,
    };
    let (server, handle) = polycart_bigcommerce::sim::start(options(13, size, None), loopback())
        .await
        .expect("the simulator starts");
    let base = server.info.base_url.clone();
    let upstream: SocketAddr = url::Url::parse(&base)
        .expect("a URL")
        .socket_addrs(|| None)
        .expect("an address")[0];
    let front = third_party::TlsFront::start(upstream).await;
    let truth = handle.with_store(|s| {
        let orders: Vec<(u64, DateTime<Utc>)> = s
            .orders
            .iter()
            .filter(|o| !o.deleted)
            .map(|o| (o.id, o.updated_at))
            .collect();
        let with_options: Vec<u64> = s
            .orders
            .iter()
            .filter(|o| {
                o.line_items.iter().any(|l| {
                    s.products
                        .iter()
                        .any(|p| p.id == l.product_id && !p.options.is_empty())
                })
            })
            .take(4)
            .map(|o| o.id)
            .collect();
        let variants: Vec<u64> = s
            .products
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| p.variants.iter().map(|v| v.id))
            .collect();
        (
            orders,
            catalogue(s),
            sorted(variants),
            with_options,
            s.products
                .iter()
                .map(|p| (p.id, p.updated_at))
                .collect::<Vec<_>>(),
        )
    });
    let (orders, (products, customers, categories), variants, with_options, product_times) = truth;
    let cutoff = median(orders.iter().map(|o| o.1).collect());
    let product_cutoff = median(product_times.iter().map(|p| p.1).collect());
    let order_id = orders[0].0;
    let config = json!({
        "client_id": "polycart-tests",
        "store_hash": handle_store_hash(&base),
        "access_token": handle.access_token(),
        "min_date_modified": cutoff.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        "date_modified_min": product_cutoff.to_rfc3339(),
        "option_orders": with_options,
        "order_id": order_id,
        "status_id": 10,
        "product_id": products[0],
        "new_price": 12.5,
    });
    let env = [
        ("BC_API_ENDPOINT", front.addr.to_string()),
        (
            "REQUESTS_CA_BUNDLE",
            front.ca_file.path().display().to_string(),
        ),
    ];
    let seen = third_party::run(&python, "bigcommerce_client.py", &config, &env).await;

    assert_eq!(
        ids(&seen["orders"]),
        sorted(orders.iter().map(|o| o.0).collect())
    );
    assert_eq!(seen["orders_count"], orders.len());
    assert_eq!(ids(&seen["products"]), products);
    assert_eq!(seen["products_total"], products.len());
    assert_eq!(ids(&seen["customers"]), customers);
    assert_eq!(ids(&seen["categories"]), categories);
    assert_eq!(ids(&seen["variants"]), variants);

    let recent = sorted(
        orders
            .iter()
            .filter(|o| o.1 >= cutoff)
            .map(|o| o.0)
            .collect(),
    );
    assert_eq!(ids(&seen["incremental"]), recent);
    assert_eq!(seen["incremental_count"], recent.len());
    let recent_products = sorted(
        product_times
            .iter()
            .filter(|p| p.1 >= product_cutoff)
            .map(|p| p.0)
            .collect(),
    );
    assert_eq!(ids(&seen["incremental_products"]), recent_products);

    // An order product's option: `value` is the chosen option value's id, as a string
    // a client can read as a number, naming the same value as the catalog variant.
    let options = seen["options"].as_array().expect("options");
    assert!(!options.is_empty(), "the orders picked have options");
    for o in options {
        assert_eq!(o["type"], "Multiple choice");
        let value: u64 = o["value"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("value is an id string: {o}"));
        let chosen = o["variant_option_values"]
            .as_array()
            .expect("the variant's option values")
            .iter()
            .find(|v| v["option_id"] == o["product_option_id"])
            .unwrap_or_else(|| panic!("the variant has the option: {o}"));
        assert_eq!(chosen["id"], value, "{o}");
        assert_eq!(chosen["label"], o["display_value"], "{o}");
        assert_eq!(chosen["option_display_name"], o["display_name"], "{o}");
    }

    assert_eq!(seen["order_write"]["status_id"], 10);
    assert_eq!(seen["order_write"]["status"], "Completed");
    assert_eq!(seen["product_write"]["price"], 12.5);
    let http = reqwest::Client::new();
    let read = |path: String| {
        http.get(format!("{base}{path}"))
            .header("X-Auth-Token", handle.access_token())
            .header("Accept", "application/json")
            .send()
    };
    let order: Value = read(format!("/v2/orders/{order_id}"))
        .await
        .expect("the order")
        .json()
        .await
        .expect("JSON");
    assert_eq!(order["status_id"], 10);
    let product: Value = read(format!("/v3/catalog/products/{}", products[0]))
        .await
        .expect("the product")
        .json()
        .await
        .expect("JSON");
    assert_eq!(product["data"]["price"], 12.5);
}

/// The store hash of a `.../stores/{hash}` base URL.
fn handle_store_hash(base: &str) -> &str {
    base.rsplit('/').next().expect("a store hash")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etsy_python_sdk_lists_filters_and_writes_unchanged() {
    let Some(python) = third_party::python() else {
        return;
    };
    use polycart_etsy::sim::Ids;
    let size = StoreSize {
        products: 30,
        customers: 10,
        orders: 250,
    };
    // The SDK does not pace itself; Etsy raises an app's limits on request.
    let (server, sim) = polycart_etsy::sim::start(options(17, size, Some("qps=1000")), loopback())
        .await
        .expect("the simulator starts");
    let (receipts, since, recent, listings, listing, receipt, sections) = {
        let s = sim.store();
        let orders: Vec<_> = s.orders.iter().filter(|o| !o.deleted).collect();
        let since = median(orders.iter().map(|o| o.updated_at).collect()).timestamp();
        let recent = sorted(
            orders
                .iter()
                .filter(|o| o.updated_at.timestamp() >= since)
                .map(|o| Ids::RECEIPT + o.id)
                .collect(),
        );
        let listing = s
            .products
            .iter()
            .find(|p| !p.deleted && p.variants.len() > 1)
            .expect("a listing with variations")
            .id;
        (
            sorted(orders.iter().map(|o| Ids::RECEIPT + o.id).collect()),
            since,
            recent,
            sorted(
                s.products
                    .iter()
                    .filter(|p| !p.deleted)
                    .map(|p| Ids::LISTING + p.id)
                    .collect(),
            ),
            listing,
            orders.last().expect("orders").id,
            s.categories.len(),
        )
    };
    let origin = server.origin();
    let c = &server.info.credentials;
    let config = json!({
        "origin": origin,
        "shop_id": sim.shop_id,
        // The 2026 header: the SDK sends its keystring argument as x-api-key.
        "api_key": format!("{}:{}", c["keystring"], c["shared_secret"]),
        "access_token": c["access_token"],
        "refresh_token": c["refresh_token"],
        "since": since,
        "listing_id": Ids::LISTING + listing,
        "quantity": 7,
        "receipt_id": Ids::RECEIPT + receipt,
    });
    let seen = third_party::run(&python, "etsy_client.py", &config, &[]).await;

    assert_eq!(sorted(ids(&seen["receipts"])), receipts);
    assert_eq!(sorted(ids(&seen["incremental"])), recent);
    assert_eq!(sorted(ids(&seen["listings"])), listings);
    assert!(seen["receipt_total"]["divisor"].is_u64());
    assert_eq!(seen["sections"], sections);
    let quantities = seen["quantities"].as_array().expect("quantities");
    assert!(!quantities.is_empty() && quantities.iter().all(|q| q == 7));
    assert_eq!(seen["shipment"]["tracking_code"], "1ZTHIRDPARTY");
    let s = sim.store();
    let p = s
        .products
        .iter()
        .find(|p| p.id == listing)
        .expect("the listing");
    assert!(p.variants.iter().all(|v| v.total_stock() == 7));
    let o = s
        .orders
        .iter()
        .find(|o| o.id == receipt)
        .expect("the receipt");
    assert_eq!(
        o.shipments.last().map(|t| t.tracking_number.as_str()),
        Some("1ZTHIRDPARTY")
    );
}

#[tokio::test]
async fn lazada_official_python_sdk_lists_filters_writes_and_rotates_tokens_unchanged() {
    let Some(python) = third_party::python() else {
        return;
    };
    let size = StoreSize {
        products: 30,
        customers: 10,
        orders: 120,
    };
    let (server, sim) = polycart_lazada::sim::start(options(17, size, None), loopback())
        .await
        .expect("the simulator starts");
    let (orders, products, categories, order_times, item, sku) = {
        let s = sim.store();
        let orders: Vec<u64> = s
            .orders
            .iter()
            .filter(|o| !o.deleted)
            .map(|o| o.id)
            .collect();
        let times: Vec<(u64, DateTime<Utc>)> =
            s.orders.iter().map(|o| (o.id, o.updated_at)).collect();
        let p = s
            .products
            .iter()
            .find(|p| !p.deleted && p.variants.len() > 1)
            .expect("a product with SKUs");
        (
            sorted(orders),
            catalogue(&s).0,
            catalogue(&s).2,
            times,
            p.id,
            p.variants[1].id,
        )
    };
    let cutoff = median(order_times.iter().map(|o| o.1).collect());
    let config = json!({
        "url": server.info.base_url,
        "app_key": server.info.credentials["app_key"],
        "app_secret": server.info.credentials["app_secret"],
        "access_token": sim.access_token(),
        "refresh_token": sim.refresh_token(),
        "update_after": cutoff.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00")).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "item_id": item.to_string(),
        "sku_id": sku.to_string(),
        "new_price": "12.5",
        "new_quantity": 33,
    });
    // The SDK logs under $HOME/logs: keep that in the target dir.
    let env = [("HOME", env!("CARGO_TARGET_TMPDIR").to_owned())];
    let seen = third_party::run(&python, "lazada_client.py", &config, &env).await;

    assert_eq!(ids(&seen["orders"]), orders, "{seen}");
    assert_eq!(seen["orders_total"], orders.len());
    // Lazada keeps whole seconds: the cutoff's second is included.
    let recent = sorted(
        order_times
            .iter()
            .filter(|o| o.1.timestamp() >= cutoff.timestamp())
            .map(|o| o.0)
            .collect(),
    );
    assert_eq!(ids(&seen["incremental"]), recent);
    let units: std::collections::BTreeMap<String, u64> = {
        let s = sim.store();
        s.orders
            .iter()
            .map(|o| {
                (
                    o.id.to_string(),
                    o.line_items.iter().map(|l| u64::from(l.quantity)).sum(),
                )
            })
            .collect()
    };
    for (order, count) in seen["items"].as_object().expect("items by order") {
        assert_eq!(
            count.as_u64(),
            units.get(order).copied(),
            "one item per unit of {order}"
        );
    }
    assert_eq!(ids(&seen["products"]), products);
    assert_eq!(seen["products_total"], products.len());
    assert_eq!(ids(&seen["categories"]), categories);
    assert_eq!(seen["written"]["price"], "12.5");
    assert_eq!(seen["written"]["quantity"], 33);
    assert_eq!(seen["reused_refresh"], "IllegalRefreshToken");
    assert_eq!(seen["old_token"], "IllegalAccessToken");
    assert_eq!(seen["new_token"], "0");
    assert_eq!(seen["forged"], "IncompleteSignature");
    let v = sim
        .store()
        .products
        .iter()
        .find(|p| p.id == item)
        .and_then(|p| {
            p.variants
                .iter()
                .find(|v| v.id == sku)
                .map(|v| (v.price, v.total_stock()))
        })
        .expect("the written SKU");
    assert_eq!(v, (Decimal::new(125, 1), 33));
}
