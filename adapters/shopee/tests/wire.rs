//! The simulator's listing and write answers against Shopee's own samples
//! (`fixtures/shopee/wire/`): every field of the real answer is there with its JSON
//! type (`polycart_kit::golden::shape_differences`). Requests are signed here by hand
//! from the documented scheme, not with the adapter's signer.

use std::net::SocketAddr;

use chrono::Utc;
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::golden::shape_differences;
use polycart_kit::sim::{SimHandle, SimOptions};
use polycart_shopee::sim::{PARTNER_ID, SHOP_ID, ShopeeSim, start};
use serde_json::Value;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/shopee/wire")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A Shop-API URL for `path` with `query`, signed as Shopee documents.
fn signed(origin: &str, sim: &ShopeeSim, path: &str, query: &str) -> String {
    let ts = Utc::now().timestamp();
    let token = "simaccess1x0";
    let base = format!("{PARTNER_ID}{path}{ts}{token}{SHOP_ID}");
    let sign = hex(&hmac_sha256(sim.partner_key().as_bytes(), base.as_bytes()));
    format!(
        "{origin}{path}?partner_id={PARTNER_ID}&timestamp={ts}&access_token={token}&shop_id={SHOP_ID}&sign={sign}&{query}"
    )
}

fn same_shape(real: &Value, sim: &Value) {
    // `request_id` and `response` must be there; `warning` Shopee sends on some calls.
    let mut diff = shape_differences(real, sim);
    diff.retain(|d| !d.starts_with("$.warning"));
    assert!(diff.is_empty(), "{diff:?}\nsimulator: {sim}");
}

#[tokio::test]
async fn listings_and_writes_answer_in_shopees_shapes() {
    let (server, sim) = start(SimOptions::default(), local()).await.unwrap();
    let origin = server.origin();
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    // A window of 15 days that holds orders: the first order's.
    let first = {
        let s = sim.store();
        s.orders
            .iter()
            .map(|o| o.updated_at.timestamp())
            .min()
            .unwrap()
    };
    let list = get(signed(
        &origin,
        &sim,
        "/api/v2/order/get_order_list",
        &format!(
            "time_range_field=update_time&time_from={first}&time_to={}&page_size=1",
            first + 15 * 86_400
        ),
    ))
    .await;
    same_shape(&fixture("get-order-list.json"), &list);
    assert_eq!(list["response"]["more"], true, "{list}");

    let items = get(signed(
        &origin,
        &sim,
        "/api/v2/product/get_item_list",
        "offset=0&page_size=1&item_status=NORMAL&item_status=UNLIST&item_status=BANNED",
    ))
    .await;
    same_shape(&fixture("get-item-list.json"), &items);

    let shipped = sim
        .store()
        .orders
        .iter()
        .find(|o| !o.shipments.is_empty())
        .map(|o| (polycart_shopee::sim::render::order_sn(o), o.shipments[0].id))
        .unwrap();
    let tracking = get(signed(
        &origin,
        &sim,
        "/api/v2/logistics/get_tracking_number",
        &format!("order_sn={}&package_number=OFG{}", shipped.0, shipped.1),
    ))
    .await;
    same_shape(&fixture("get-tracking-number.json"), &tracking);

    let item: u64 = sim.truth(polycart_kit::Entity::Product).unwrap()[0]
        .parse()
        .unwrap();
    let modelled = sim
        .store()
        .products
        .iter()
        .find(|p| p.id == item)
        .map(|p| (polycart_shopee::sim::render::has_model(p), p.variants[0].id))
        .unwrap();
    let mut entry = serde_json::json!({ "seller_stock": [{ "stock": 3 }] });
    if modelled.0 {
        entry["model_id"] = modelled.1.into();
    }
    let stock: Value = http
        .post(signed(&origin, &sim, "/api/v2/product/update_stock", ""))
        .json(&serde_json::json!({ "item_id": item, "stock_list": [entry] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    same_shape(&fixture("update-stock.json"), &stock);
    assert_eq!(stock["response"]["success_list"][0]["stock"], 3, "{stock}");
}
