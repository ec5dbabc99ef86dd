//! The API2Cart-compatible endpoint driven the way API2Cart's SDKs call it
//! (`/v1.1/{method}.json`, `x-api-key` / `x-store-key` headers, query parameters for
//! reads, JSON bodies for writes) against a simulator of every platform polycart
//! speaks: connect with `account.cart.add`, sync, then list, count and read orders,
//! products, customers and categories, page to the end with `start`/`count` and with
//! `page_cursor`, filter, select fields, write a product update and a shipment
//! (replayed by its idempotency key, never written twice) and meet the documented
//! errors. Every answer is then validated against the response schemas of API2Cart's
//! own OpenAPI description (`../shared/api2cart/openapi.yaml`, read at test time;
//! without it that part says so and is skipped).

mod api_client;
mod schema_check;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use polycart::api::api2cart::carts;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};

/// An API2Cart client: one API key, optionally one store key; every answer is kept
/// for the schema check.
struct Client<'a> {
    router: &'a axum::Router,
    api_key: String,
    log: &'a Mutex<Vec<(String, Value)>>,
}

impl Client<'_> {
    /// Calls `method` as the SDKs do: `verb`, the query string, a JSON body.
    async fn call(
        &self,
        verb: &str,
        method: &str,
        store_key: Option<&str>,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Value {
        let mut uri = format!("/v1.1/{method}.json");
        if !query.is_empty() {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            uri = format!("{uri}?{q}");
        }
        let mut headers = vec![("x-api-key", self.api_key.as_str())];
        if let Some(s) = store_key {
            headers.push(("x-store-key", s));
        }
        let answer = api_client::send(
            self.router,
            verb,
            &uri,
            None,
            &headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await;
        assert_eq!(
            answer.status, 200,
            "{method}: HTTP {} {}",
            answer.status, answer.body
        );
        self.log
            .lock()
            .unwrap()
            .push((method.to_owned(), answer.body.clone()));
        answer.body
    }

    async fn get(&self, method: &str, store: &str, query: &[(&str, &str)]) -> Value {
        self.call("GET", method, Some(store), query, None).await
    }

    /// A successful call's `result`.
    async fn ok(&self, method: &str, store: &str, query: &[(&str, &str)]) -> Value {
        let body = self.get(method, store, query).await;
        assert_eq!(body["return_code"], 0, "{method} {query:?}: {body}");
        body["result"].clone()
    }
}

fn code(body: &Value) -> i64 {
    body["return_code"].as_i64().unwrap_or(-1)
}

/// The listing's key, count key and id field of each entity's methods.
const ENTITIES: &[(&str, &str, &str, &str)] = &[
    ("order", "order", "orders_count", "order"),
    ("product", "product", "products_count", "product"),
    ("customer", "customer", "customers_count", "customer"),
    ("category", "category", "categories_count", "category"),
];

/// Pages `{entity}.list` to the end with `start`/`count`, then with `page_cursor`;
/// both see every record once.
async fn page_both_ways(
    c: &Client<'_>,
    store: &str,
    entity: &str,
    list_key: &str,
    count_key: &str,
    label: &str,
) -> Vec<String> {
    let method = format!("{entity}.list");
    let total = c.ok(&format!("{entity}.count"), store, &[]).await[count_key]
        .as_u64()
        .unwrap() as usize;
    let mut by_offset = Vec::new();
    let mut start = 0;
    loop {
        let s = start.to_string();
        let r = c
            .ok(
                &method,
                store,
                &[("start", &s), ("count", "3"), ("params", "force_all")],
            )
            .await;
        assert_eq!(
            r[count_key].as_u64(),
            Some(total as u64),
            "{label} {method}: count in the listing"
        );
        let items = r[list_key].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        by_offset.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        start += items.len();
        assert!(start <= total + 3, "{label} {method}: paging does not end");
    }
    let mut by_cursor = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![("count", "3")];
        if let Some(cur) = &cursor {
            q.push(("page_cursor", cur.as_str()));
        }
        let body = c.get(&method, store, &q).await;
        assert_eq!(code(&body), 0, "{label} {method}: {body}");
        by_cursor.extend(
            body["result"][list_key]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match body["pagination"]["next"]
            .as_str()
            .filter(|n| !n.is_empty())
        {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
        assert!(
            by_cursor.len() <= total,
            "{label} {method}: cursor paging does not end"
        );
    }
    assert_eq!(
        by_offset.len(),
        total,
        "{label} {method}: start/count sees every record"
    );
    assert_eq!(by_offset, by_cursor, "{label} {method}: both pagings agree");
    assert_eq!(
        by_offset.iter().collect::<BTreeSet<_>>().len(),
        total,
        "{label}: no repeats"
    );
    by_offset
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api2cart_client_reads_and_writes_every_platform() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a2c.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[5u8; 32])))
        .await
        .unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let router = api::router(Arc::new(AppState::new(
        engine.clone(),
        Arc::new(TransportMetrics::default()),
        KeyQuota {
            per_second: 10_000,
            burst: 10_000,
        },
    )));
    let (_, admin) = db.create_api_key("admin", None).await.unwrap();
    let log = Mutex::new(Vec::new());
    let c = Client {
        router: &router,
        api_key: admin.clone(),
        log: &log,
    };

    // Errors before any store: a wrong key, an unknown method, a missing store key.
    let wrong = Client {
        router: &router,
        api_key: "not-a-key".into(),
        log: &log,
    };
    assert_eq!(
        code(
            &wrong
                .call("GET", "account.cart.list", None, &[], None)
                .await
        ),
        2
    );
    assert_eq!(
        code(&c.call("GET", "order.refund.add", None, &[], None).await),
        3
    );
    assert_eq!(
        code(&c.call("GET", "order.list", None, &[], None).await),
        101
    );
    assert_eq!(code(&c.get("order.list", "st_nope", &[]).await), 101);

    // Connect every platform's simulator as API2Cart's account.cart.add would.
    let mut sims: Vec<SimServer> = Vec::new();
    let mut stores: Vec<(String, String)> = Vec::new();
    for connector in polycart::registry::connectors() {
        let sim = (connector.simulate)(
            SimOptions {
                seed: 7,
                size: StoreSize {
                    products: 7,
                    customers: 7,
                    orders: 7,
                },
                ..SimOptions::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let cart = carts::by_platform(connector.name).expect("every platform has a cart_id");
        let mut body = json!({
            "cart_id": cart.cart_ids[0],
            "store_url": sim.info.base_url,
            "custom_label": format!("{} sim", connector.name),
        });
        for (name, value) in &sim.info.credentials {
            body[cart.field(name)] = json!(value);
        }
        let answer = c
            .call("POST", "account.cart.add", None, &[], Some(body))
            .await;
        assert_eq!(code(&answer), 0, "{}: {answer}", connector.name);
        let key = answer["result"]["store_key"].as_str().unwrap().to_owned();
        stores.push((connector.name.to_owned(), key));
        sims.push(sim);
    }
    let listed = c.call("GET", "account.cart.list", None, &[], None).await;
    assert_eq!(
        listed["result"]["carts_count"].as_u64(),
        Some(stores.len() as u64)
    );

    // Sync them.
    let mut pairs = Vec::new();
    for (_, id) in &stores {
        for e in db.get_store(id).await.unwrap().entities {
            pairs.push((id.clone(), e));
        }
    }
    let stop = AtomicBool::new(false);
    for (store, entity, r) in engine
        .sync_all(pairs, SyncMode::Auto, &NoProgress, &stop)
        .await
    {
        assert!(r.as_ref().is_ok_and(|r| r.done), "{store} {entity}: {r:?}");
    }

    let mut wrote_products = 0;
    let mut shipped = 0;
    for (platform, store) in &stores {
        let label = platform.as_str();
        let info = c.ok("cart.info", store, &[]).await;
        let supported: BTreeSet<String> = info["additional_fields"]["supported_methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        let methods = c.ok("cart.methods", store, &[]).await;
        assert_eq!(methods["method"].as_array().unwrap().len(), supported.len());

        for (entity, list_key, count_key, _) in ENTITIES {
            if !supported.contains(&format!("{entity}.list")) {
                // A method the platform cannot serve answers 109, not an empty list.
                let body = c.get(&format!("{entity}.list"), store, &[]).await;
                assert_eq!(code(&body), 109, "{label} {entity}.list: {body}");
                continue;
            }
            let ids = page_both_ways(&c, store, entity, list_key, count_key, label).await;
            let Some(first) = ids.first() else { continue };
            // info by id, with default and selected fields.
            let one = c
                .ok(&format!("{entity}.info"), store, &[("id", first)])
                .await;
            assert_eq!(
                one["id"].as_str(),
                Some(first.as_str()),
                "{label} {entity}.info"
            );
            let only = c
                .ok(
                    &format!("{entity}.info"),
                    store,
                    &[("id", first), ("params", "id"), ("exclude", "")],
                )
                .await;
            assert_eq!(
                only.as_object().unwrap().len(),
                1,
                "{label} params=id: {only}"
            );
            let tree = format!("{{return_code,result{{{list_key}{{id}}}}}}");
            let pruned = c
                .get(
                    &format!("{entity}.list"),
                    store,
                    &[("response_fields", &tree), ("count", "2")],
                )
                .await;
            assert!(pruned.get("return_message").is_none(), "{label}: {pruned}");
            for item in pruned["result"][list_key].as_array().unwrap() {
                assert_eq!(item.as_object().unwrap().len(), 1, "{label}: {item}");
            }
            // Filters: ids, and dates on both sides.
            let picked = c
                .ok(&format!("{entity}.list"), store, &[("ids", first)])
                .await;
            assert_eq!(
                picked[count_key].as_u64(),
                Some(1),
                "{label} ids filter: {picked}"
            );
            let future = c
                .ok(
                    &format!("{entity}.count"),
                    store,
                    &[("created_from", "2100-01-01 00:00:00")],
                )
                .await;
            assert_eq!(future[count_key].as_u64(), Some(0), "{label} created_from");
            let past = c
                .ok(
                    &format!("{entity}.count"),
                    store,
                    &[("modified_to", "1990-01-01 00:00:00")],
                )
                .await;
            assert_eq!(past[count_key].as_u64(), Some(0), "{label} modified_to");
            // Errors: a missing record, a count over 250, a date that does not parse.
            let missing = c
                .get(
                    &format!("{entity}.info"),
                    store,
                    &[("id", "no-such-record-42")],
                )
                .await;
            assert_eq!(code(&missing), 112, "{label}: {missing}");
            assert_eq!(
                code(
                    &c.get(&format!("{entity}.list"), store, &[("count", "251")])
                        .await
                ),
                109
            );
            assert_eq!(
                code(
                    &c.get(
                        &format!("{entity}.list"),
                        store,
                        &[("created_from", "soon")]
                    )
                    .await
                ),
                109
            );
        }

        if supported.contains("product.child_item.list") {
            let children = c
                .ok("product.child_item.list", store, &[("count", "250")])
                .await;
            let all = children["children"].as_array().unwrap();
            assert_eq!(
                children["total_count"].as_u64(),
                Some(all.len() as u64),
                "{label}"
            );
            if let Some(child) = all.first() {
                let (id, parent) = (
                    child["id"].as_str().unwrap(),
                    child["parent_id"].as_str().unwrap(),
                );
                let one = c
                    .ok(
                        "product.child_item.info",
                        store,
                        &[("id", id), ("product_id", parent)],
                    )
                    .await;
                assert_eq!(one["id"].as_str(), Some(id), "{label}");
            }
        }
        if supported.contains("order.list") {
            let statuses = c.ok("order.status.list", store, &[]).await;
            assert!(
                !statuses["cart_order_statuses"]
                    .as_array()
                    .unwrap()
                    .is_empty()
            );
        }

        // A product update through the write path.
        let caps = &info["additional_fields"]["capabilities"]["writes"];
        if supported.contains("product.update") && supported.contains("product.list") {
            let first = c.ok("product.list", store, &[("count", "1")]).await["product"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let (field, value) = if caps["product_price"] == true {
                ("price", json!(12))
            } else if caps["product_title"] == true {
                ("name", json!("Renamed by an API2Cart client"))
            } else if caps["inventory_set"] == true {
                ("quantity", json!(5))
            } else {
                ("status", json!("disabled"))
            };
            let body = json!({ "id": first, field: value });
            let answer = c
                .call("PUT", "product.update", Some(store), &[], Some(body))
                .await;
            if code(&answer) == 0 {
                assert_eq!(answer["result"]["updated_items"], 1);
                if field == "price" || field == "name" {
                    let after = c
                        .ok(
                            "product.info",
                            store,
                            &[("id", &first), ("params", "force_all")],
                        )
                        .await;
                    let shown = if field == "price" {
                        json!(after[field].as_f64())
                    } else {
                        after[field].clone()
                    };
                    let want = if field == "price" {
                        json!(12.0)
                    } else {
                        value.clone()
                    };
                    assert_eq!(shown, want, "{label}: product.info shows the update");
                }
            } else {
                // A platform that prices per variant (Lazada's SKUs) answers 109 with
                // why; an API2Cart client then updates the variant.
                assert_eq!(
                    code(&answer),
                    109,
                    "{label} product.update {field}: {answer}"
                );
                let children = c
                    .ok("product.child_item.list", store, &[("product_id", &first)])
                    .await;
                let child = children["children"][0]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{label}: {answer} and no variant to update"))
                    .to_owned();
                let body = json!({ "id": child, "product_id": first, field: value });
                let answer = c
                    .call(
                        "PUT",
                        "product.variant.update",
                        Some(store),
                        &[],
                        Some(body),
                    )
                    .await;
                assert_eq!(
                    code(&answer),
                    0,
                    "{label} product.variant.update {field}: {answer}"
                );
                let after = c
                    .ok(
                        "product.child_item.info",
                        store,
                        &[("id", &child), ("product_id", &first)],
                    )
                    .await;
                assert_eq!(
                    after["id"].as_str(),
                    Some(child.as_str()),
                    "{label}: {after}"
                );
            }
            wrote_products += 1;
        }

        // A shipment with tracking, replayed by its idempotency key.
        if supported.contains("order.shipment.add") && supported.contains("order.list") {
            // The first order the platform lets ship (a simulator's cancelled or
            // already shipped orders refuse, as the platform would).
            let orders = c.ok("order.list", store, &[("count", "7")]).await["order"].clone();
            let mut shipped_one = None;
            let mut refusals = Vec::new();
            for order in orders.as_array().unwrap() {
                let order_id = order["id"].as_str().unwrap().to_owned();
                let body = json!({
                    "order_id": order_id,
                    "tracking_numbers": [{"carrier_id": "ups", "tracking_number": "1Z999AA10123456784"}],
                    "tracking_link": "https://example.com/track/1Z999AA10123456784",
                    "send_notifications": false,
                    "idempotency_key": format!("ship-{store}-{order_id}"),
                });
                let answer = c
                    .call(
                        "POST",
                        "order.shipment.add",
                        Some(store),
                        &[],
                        Some(body.clone()),
                    )
                    .await;
                if code(&answer) == 0 {
                    shipped_one = Some((order_id, body, answer));
                    break;
                }
                refusals.push(answer);
            }
            let Some((order_id, body, first)) = shipped_one else {
                panic!("{label}: no order could be shipped: {refusals:#?}");
            };
            let shipments = c
                .ok("order.shipment.list", store, &[("order_id", &order_id)])
                .await;
            let n = shipments["shipment_count"].as_u64().unwrap();
            // A platform whose orders carry shipments lists the new one by its id
            // (WooCommerce keeps tracking as order notes: no shipment id).
            if let Some(id) = first["result"]["shipment_id"]
                .as_str()
                .filter(|i| !i.is_empty())
            {
                let listed: Vec<&str> = shipments["shipment"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["id"].as_str())
                    .collect();
                assert!(
                    listed.contains(&id),
                    "{label}: shipment {id} is listed: {shipments}"
                );
            }
            let again = c
                .call("POST", "order.shipment.add", Some(store), &[], Some(body))
                .await;
            assert_eq!(
                again["result"], first["result"],
                "{label}: the key replays the answer"
            );
            let after = c
                .ok("order.shipment.list", store, &[("order_id", &order_id)])
                .await;
            assert_eq!(
                after["shipment_count"].as_u64(),
                Some(n),
                "{label}: never shipped twice"
            );
            shipped += 1;
        }
    }
    assert!(
        wrote_products >= 10,
        "most platforms took a product update ({wrote_products})"
    );
    assert!(shipped >= 10, "most platforms took a shipment ({shipped})");

    // A key limited to one store reaches only it, and cannot manage stores.
    let (first_platform, first_store) = &stores[0];
    let (_, scoped) = db
        .create_api_key("scoped", Some(std::slice::from_ref(first_store)))
        .await
        .unwrap();
    let s = Client {
        router: &router,
        api_key: scoped,
        log: &log,
    };
    assert_eq!(
        code(&s.get("cart.info", first_store, &[]).await),
        0,
        "{first_platform}"
    );
    assert_eq!(code(&s.get("cart.info", &stores[1].1, &[]).await), 101);
    assert_eq!(
        code(
            &s.call("DELETE", "cart.delete", Some(first_store), &[], None)
                .await
        ),
        5
    );
    let listed = s.call("GET", "account.cart.list", None, &[], None).await;
    assert_eq!(listed["result"]["carts_count"], 1);

    // cart.delete removes a store.
    let (_, last) = stores.last().unwrap();
    assert_eq!(
        code(&c.call("DELETE", "cart.delete", Some(last), &[], None).await),
        0
    );
    assert_eq!(code(&c.get("cart.info", last, &[]).await), 101);

    let log = log.into_inner().unwrap();
    conformance(&log, 20);
    drop(sims);
}

/// Every answer validates against its method's response schema in API2Cart's
/// description.
fn conformance(log: &[(String, Value)], at_least: usize) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/api2cart/openapi.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "skipping the schema conformance check: {} is not there (CI has shared/ beside the clone)",
            path.display()
        );
        return;
    };
    let doc: Value = serde_yaml_ng::from_str(&text).expect("API2Cart's description parses");
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for (method, body) in log {
        let Some(item) = doc["paths"].get(format!("/{method}.json")) else {
            // Methods API2Cart does not describe (cart.list) have no schema.
            continue;
        };
        let schema = ["get", "post", "put", "delete"]
            .iter()
            .find_map(|verb| item.get(*verb))
            .map(|op| &op["responses"]["200"]["content"]["application/json"]["schema"])
            .expect("a 200 response");
        checked.insert(method.clone());
        let v = schema_check::violations(&doc, schema, body);
        if !v.is_empty() {
            problems
                .entry(method.clone())
                .or_default()
                .extend(v.into_iter().take(10));
        }
    }
    assert!(
        checked.len() >= at_least,
        "answers of most methods were checked: {checked:?}"
    );
    assert!(
        problems.is_empty(),
        "answers that do not validate: {problems:#?}"
    );
}

/// Callbacks an API2Cart receiver got: the headers that name the event, and the body.
#[derive(Clone, Default)]
struct Callbacks(Arc<Mutex<Vec<Received>>>);

/// One callback: its `x-webhook-*` headers and its body.
type Received = (BTreeMap<String, String>, Vec<u8>);

async fn start_callback_receiver(got: Callbacks) -> String {
    let app = axum::Router::new().route(
        "/a2c",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    let named = headers
                        .iter()
                        .filter(|(k, _)| k.as_str().starts_with("x-webhook-"))
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                        .collect();
                    got.0.lock().unwrap().push((named, body.to_vec()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/a2c")
}

/// webhook.events / create / list / count / update / delete, and the callbacks a
/// sync causes: one per new product, in API2Cart's shape, signed with the API key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api2cart_webhooks_deliver_api2cart_callbacks() {
    use polycart_kit::auth::hmac;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hooks.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[6u8; 32])))
        .await
        .unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions {
            delivery_backoff: chrono::Duration::zero(),
            ..EngineOptions::default()
        },
    ));
    let router = api::router(Arc::new(AppState::new(
        engine.clone(),
        Arc::new(TransportMetrics::default()),
        KeyQuota {
            per_second: 10_000,
            burst: 10_000,
        },
    )));
    let (_, admin) = db.create_api_key("admin", None).await.unwrap();
    let log = Mutex::new(Vec::new());
    let c = Client {
        router: &router,
        api_key: admin.clone(),
        log: &log,
    };
    let connector = polycart::registry::connector("shopify").unwrap();
    let sim = (connector.simulate)(
        SimOptions {
            seed: 11,
            size: StoreSize {
                products: 5,
                customers: 2,
                orders: 2,
            },
            ..SimOptions::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let cart = carts::by_platform(connector.name).unwrap();
    let mut body = json!({"cart_id": cart.cart_ids[0], "store_url": sim.info.base_url});
    for (name, value) in &sim.info.credentials {
        body[cart.field(name)] = json!(value);
    }
    let answer = c
        .call("POST", "account.cart.add", None, &[], Some(body))
        .await;
    assert_eq!(code(&answer), 0, "{answer}");
    let store = answer["result"]["store_key"].as_str().unwrap().to_owned();

    // The events: every action of each synced entity.
    let events = c.ok("webhook.events", &store, &[]).await;
    let names: BTreeSet<String> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["webhook_name"].as_str().unwrap().to_owned())
        .collect();
    for name in ["product.add", "product.update", "order.add", "order.update"] {
        assert!(names.contains(name), "{name} in {names:?}");
    }

    // Bad webhooks: an unknown event, a missing callback, a callback that is no URL.
    let create = |body: Value| c.call("POST", "webhook.create", Some(&store), &[], Some(body));
    let bad =
        create(json!({"entity": "basket", "action": "add", "callback": "http://127.0.0.1:9/x"}))
            .await;
    assert_eq!(code(&bad), 109, "{bad}");
    let bad = create(json!({"entity": "product", "action": "add"})).await;
    assert_eq!(code(&bad), 114, "{bad}");
    let bad = create(json!({"entity": "product", "action": "add", "callback": "ftp://x"})).await;
    assert_eq!(code(&bad), 109, "{bad}");

    let bad = create(
        json!({"entity": "product", "action": "add", "callback": "http://127.0.0.1:9/x",
        "filtering_conditions": {"field": "sku", "operator": "eq", "value": "a"}}),
    )
    .await;
    assert_eq!(code(&bad), 109, "{bad}");
    assert_eq!(c.ok("webhook.count", &store, &[]).await["count"], 0);

    let got = Callbacks::default();
    let callback = start_callback_receiver(got.clone()).await;
    let made = create(json!({
        "entity": "product", "action": "add", "callback": callback,
        "label": "new products", "fields": "id,name",
    }))
    .await;
    assert_eq!(code(&made), 0, "{made}");
    let hook_id = made["result"]["id"].as_i64().unwrap();
    let other = create(
        json!({"entity": "order", "action": "update", "callback": callback, "active": false}),
    )
    .await;
    assert_eq!(code(&other), 0, "{other}");
    let other_id = other["result"]["id"].as_i64().unwrap();
    assert_ne!(hook_id, other_id);

    let listed = c.ok("webhook.list", &store, &[]).await;
    let hooks = listed["webhook"].as_array().unwrap();
    assert_eq!(hooks.len(), 2, "{listed}");
    assert_eq!(hooks[0]["id"], hook_id);
    assert_eq!(hooks[0]["entity"], "product");
    assert_eq!(hooks[0]["action"], "add");
    assert_eq!(hooks[0]["callback"], callback);
    assert_eq!(hooks[0]["label"], "new products");
    assert_eq!(hooks[1]["active"], false);
    let only = c.ok("webhook.list", &store, &[("entity", "order")]).await;
    assert_eq!(only["webhook"].as_array().unwrap().len(), 1);
    let counted = c.ok("webhook.count", &store, &[("active", "true")]).await;
    assert_eq!(counted["count"], 1);

    // A sync adds the products: one callback each, with only the fields asked for.
    let stop = AtomicBool::new(false);
    let pairs: Vec<_> = db
        .get_store(&store)
        .await
        .unwrap()
        .entities
        .into_iter()
        .map(|e| (store.clone(), e))
        .collect();
    for (_, entity, r) in engine
        .sync_all(pairs, SyncMode::Auto, &NoProgress, &stop)
        .await
    {
        assert!(r.as_ref().is_ok_and(|r| r.done), "{entity}: {r:?}");
    }
    for _ in 0..200 {
        if engine.deliver_once().await.unwrap().is_none() {
            break;
        }
    }
    let calls = got.0.lock().unwrap().clone();
    let products = c.ok("product.count", &store, &[]).await["products_count"]
        .as_u64()
        .unwrap();
    assert!(products > 0);
    assert_eq!(calls.len() as u64, products, "one callback per new product");
    let mut ids = BTreeSet::new();
    for (headers, body) in &calls {
        assert_eq!(headers["x-webhook-entity"], "product");
        assert_eq!(headers["x-webhook-action"], "add");
        assert_eq!(headers["x-webhook-id"], hook_id.to_string());
        assert!(headers["x-webhook-timestamp"].parse::<i64>().is_ok());
        assert!(
            hmac::verify_base64_hmac_sha256(
                admin.as_bytes(),
                body,
                &headers["x-webhook-signature"]
            ),
            "the signature is the base64 HMAC-SHA256 of the body with the API key"
        );
        assert!(!hmac::verify_base64_hmac_sha256(
            b"another key",
            body,
            &headers["x-webhook-signature"]
        ));
        let record: Value = serde_json::from_slice(body).unwrap();
        let keys: BTreeSet<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["id", "name"]), "{record}");
        ids.insert(record["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), calls.len(), "no product twice");
    // Each matches product.info's id.
    let first = ids.iter().next().unwrap();
    assert_eq!(
        c.ok("product.info", &store, &[("id", first)]).await["id"],
        *first
    );

    // A write through /v1.1 is an update event: product.update's callback follows it.
    let updates = Callbacks::default();
    let update_url = start_callback_receiver(updates.clone()).await;
    let made =
        create(json!({"entity": "product", "action": "update", "callback": update_url})).await;
    assert_eq!(code(&made), 0, "{made}");
    let update_id = made["result"]["id"].as_i64().unwrap();
    let wrote = c
        .call(
            "PUT",
            "product.update",
            Some(&store),
            &[],
            Some(json!({"id": first, "name": "Renamed by a write"})),
        )
        .await;
    assert_eq!(code(&wrote), 0, "{wrote}");
    for _ in 0..50 {
        if engine.deliver_once().await.unwrap().is_none() {
            break;
        }
    }
    let calls = updates.0.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "one update callback for one write");
    let (headers, body) = &calls[0];
    assert_eq!(headers["x-webhook-action"], "update");
    assert!(hmac::verify_base64_hmac_sha256(
        admin.as_bytes(),
        body,
        &headers["x-webhook-signature"]
    ));
    let record: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(record["id"], *first);
    assert_eq!(record["name"], "Renamed by a write", "{record}");
    let gone = c
        .call(
            "DELETE",
            "webhook.delete",
            Some(&store),
            &[("id", &update_id.to_string())],
            None,
        )
        .await;
    assert_eq!(code(&gone), 0);

    // order.update with a comment alone adds an order note; without either it is 114.
    let orders = c.ok("order.list", &store, &[]).await;
    let order_id = orders["order"][0]["id"].as_str().unwrap().to_owned();
    let noted = c
        .call(
            "PUT",
            "order.update",
            Some(&store),
            &[],
            Some(json!({"order_id": order_id, "comment": "called the customer"})),
        )
        .await;
    assert_eq!(code(&noted), 0, "{noted}");
    assert_eq!(noted["result"]["updated_items"], 1);
    let nothing = c
        .call(
            "PUT",
            "order.update",
            Some(&store),
            &[],
            Some(json!({"order_id": order_id})),
        )
        .await;
    assert_eq!(code(&nothing), 114, "{nothing}");
    // Group prices are not modelled: 109, and cart.methods does not offer them.
    let priced = c
        .call(
            "PUT",
            "product.price.update",
            Some(&store),
            &[],
            Some(json!({"product_id": first, "group_prices": [{"group_id": "1", "price": 5}]})),
        )
        .await;
    assert_eq!(code(&priced), 109, "{priced}");
    let methods = c.ok("cart.methods", &store, &[]).await.to_string();
    assert!(!methods.contains("product.price.update"), "{methods}");
    assert!(methods.contains("webhook.create"), "{methods}");

    // update: deactivate; delete; an unknown id is 112.
    let update = |body: Value| c.call("PUT", "webhook.update", Some(&store), &[], Some(body));
    let up = update(json!({"id": hook_id.to_string(), "active": false, "label": "paused"})).await;
    assert_eq!(code(&up), 0, "{up}");
    let up = update(json!({"id": other_id.to_string(), "callback": format!("{callback}?moved=1")}))
        .await;
    assert_eq!(code(&up), 0, "{up}");
    let listed = c
        .ok("webhook.list", &store, &[("ids", &hook_id.to_string())])
        .await;
    assert_eq!(listed["webhook"][0]["active"], false);
    assert_eq!(listed["webhook"][0]["label"], "paused");
    let listed = c
        .ok("webhook.list", &store, &[("ids", &other_id.to_string())])
        .await;
    assert_eq!(
        listed["webhook"][0]["callback"],
        format!("{callback}?moved=1")
    );
    assert_eq!(code(&update(json!({"id": "999"})).await), 112);
    let bad = update(json!({"id": hook_id.to_string(), "callback": "ftp://x"})).await;
    assert_eq!(code(&bad), 109, "{bad}");
    for id in [hook_id, other_id] {
        let gone = c
            .call(
                "DELETE",
                "webhook.delete",
                Some(&store),
                &[("id", &id.to_string())],
                None,
            )
            .await;
        assert_eq!(code(&gone), 0, "{gone}");
        assert_eq!(gone["result"]["status"], true);
    }
    let again = c
        .call(
            "DELETE",
            "webhook.delete",
            Some(&store),
            &[("id", &hook_id.to_string())],
            None,
        )
        .await;
    assert_eq!(code(&again), 112);
    assert_eq!(c.ok("webhook.count", &store, &[]).await["count"], 0);

    // idempotency_key: a repeat answers the first webhook, never makes a second.
    let keyed = json!({"entity": "order", "action": "add", "callback": callback, "idempotency_key": "hook-1"});
    let once = create(keyed.clone()).await;
    let twice = create(keyed).await;
    assert_eq!(code(&once), 0, "{once}");
    assert_eq!(once["result"], twice["result"]);
    assert_eq!(c.ok("webhook.count", &store, &[]).await["count"], 1);
    let reused = create(json!({"entity": "order", "action": "delete", "callback": callback, "idempotency_key": "hook-1"})).await;
    assert_eq!(code(&reused), 109, "{reused}");

    // Another tenant's key does not see the store's webhooks.
    let (_, stranger) = db
        .create_api_key("stranger", Some(&["st_other".to_owned()]))
        .await
        .unwrap();
    let s = Client {
        router: &router,
        api_key: stranger,
        log: &log,
    };
    assert_eq!(code(&s.get("webhook.list", &store, &[]).await), 101);

    let log = log.into_inner().unwrap();
    conformance(&log, 6);
    drop(sim);
}
