//! The simulator's endpoints that polycart's adapter does not read but that clients
//! written against BigCommerce's documentation do (connection checks and the streams
//! of widely used connectors): `/v3/channels`, `/v3/content/pages`,
//! `/v3/catalog/brands` (the generated products' vendors) and
//! `/v3/orders/{id}/transactions` (a payment per paid or authorized order, a refund
//! transaction per refund), all with `meta.pagination`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use polycart_kit::sim::{SimFinancial, SimOrder};
use serde_json::{Value, json};

use super::Sim;
use super::render::{brand_id, iso, v3_number};
use super::routes::{listed, not_found};

type Params = Query<HashMap<String, String>>;
type St = State<Arc<Sim>>;

pub(super) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v3/channels", get(channels))
        .route("/v3/content/pages", get(pages))
        .route("/v3/catalog/brands", get(brands))
        .route("/v3/orders/{id}/transactions", get(transactions))
}

fn opened(sim: &Sim) -> DateTime<Utc> {
    let store = sim.store();
    let first = store.categories.first().map(|c| c.created_at);
    first.unwrap_or_else(Utc::now)
}

async fn channels(State(sim): St, Query(q): Params) -> Response {
    let at = iso(opened(&sim));
    let name = sim.store().name.clone();
    let channel = json!({
        "id": 1,
        "icon_url": "https://s3.amazonaws.com/bc-channel-platform/icons/bigcommerce.svg",
        "is_listable_from_ui": true,
        "is_visible": true,
        "status": "active",
        "name": name,
        "type": "storefront",
        "platform": "bigcommerce",
        "is_enabled": true,
        "date_created": at,
        "date_modified": at,
        "external_id": "",
        "config_meta": { "app": { "id": 0, "sections": [] } },
    });
    listed(vec![channel], &q)
}

async fn pages(State(sim): St, Query(q): Params) -> Response {
    let name = sim.store().name.clone();
    let all: Vec<Value> = [
        ("Shipping & Returns", "/shipping-returns/"),
        ("Contact Us", "/contact-us/"),
        ("About", "/about/"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (title, url))| {
        json!({
            "id": i + 1,
            "channel_id": 1,
            "name": title,
            "is_visible": true,
            "parent_id": 0,
            "sort_order": i,
            "type": if *url == "/contact-us/" { "contact_form" } else { "page" },
            "is_homepage": false,
            "is_customers_only": false,
            "meta_title": format!("{title} | {name}"),
            "meta_keywords": "",
            "meta_description": "",
            "search_keywords": "",
            "url": url,
            "body": format!("<p>{title}</p>"),
        })
    })
    .collect();
    listed(all, &q)
}

async fn brands(State(sim): St, Query(q): Params) -> Response {
    let vendors: BTreeSet<String> = sim
        .store()
        .products
        .iter()
        .filter(|p| !p.deleted)
        .map(|p| p.vendor.clone())
        .collect();
    let all = vendors
        .iter()
        .map(|v| {
            let slug: String = v
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            json!({
                "id": brand_id(v),
                "name": v,
                "page_title": v,
                "meta_keywords": [],
                "meta_description": "",
                "search_keywords": "",
                "image_url": "",
                "custom_url": { "url": format!("/brands/{slug}.html"), "is_customized": false },
            })
        })
        .collect();
    listed(all, &q)
}

/// An order's payment transactions, as the v3 transactions API reports them.
fn order_transactions(o: &SimOrder) -> Vec<Value> {
    // In the currency the buyer paid in.
    let o = &*o.presented();
    let event = match o.financial {
        SimFinancial::Pending | SimFinancial::Voided => None,
        SimFinancial::Authorized => Some("authorization"),
        _ => Some("purchase"),
    };
    let transaction = |id: u64, event: &str, amount, at: DateTime<Utc>, reference: Option<u64>| {
        json!({
            "id": id,
            "order_id": o.id.to_string(),
            "event": event,
            "method": "credit_card",
            "amount": v3_number(amount),
            "currency": o.currency,
            "gateway": "testgateway",
            "gateway_transaction_id": format!("tg-{id}"),
            "date_created": iso(at),
            "test": true,
            "status": "ok",
            "fraud_review": false,
            "reference_transaction_id": reference,
            "offline": null,
            "custom": null,
            "payment_method_id": "testgateway.card",
            "payment_instrument_token": null,
            "avs_result": { "code": "", "message": "", "street_match": "", "postal_match": "" },
            "cvv_result": { "code": "", "message": "" },
            "credit_card": { "card_type": "visa", "card_iin": "411111", "card_last4": "1111", "card_expiry_month": 12, "card_expiry_year": 2030 },
            "gift_certificate": null,
            "store_credit": null,
        })
    };
    let Some(event) = event else {
        return Vec::new();
    };
    let payment = o.id * 10;
    let mut out = vec![transaction(payment, event, o.total(), o.created_at, None)];
    for (i, r) in o.refunds.iter().enumerate() {
        let id = payment + 1 + i as u64;
        out.push(transaction(
            id,
            "refund",
            r.amount,
            r.created_at,
            Some(payment),
        ));
    }
    out
}

async fn transactions(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let all = {
        let store = sim.store();
        match store.orders.iter().find(|o| o.id == id && !o.deleted) {
            Some(o) => order_transactions(o),
            None => return not_found(),
        }
    };
    listed(all, &q)
}
