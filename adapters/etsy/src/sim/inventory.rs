//! Listing inventory in the simulator: `GET /listings/{id}/inventory` and
//! `PUT` (`updateListingInventory`), which replaces the whole inventory and is
//! checked as Etsy checks it: every product with one offering carrying `price`,
//! `quantity` and `is_enabled` and `readiness_state_id`, prices 0.20–50,000, stock
//! 0–999, no parentheses in property values, and prices (stock) equal across products
//! that agree on the properties `price_on_property` (`quantity_on_property`) names.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;

use super::render::{self, OnProperty, property_id};
use super::{EtsySim, error, listing_number, not_found};

pub(super) async fn get_inventory(State(sim): State<EtsySim>, Path(id): Path<String>) -> Response {
    let Some(n) = listing_number(&sim, &id) else {
        return not_found(&format!("Listing {id} not found"));
    };
    let s = sim.store();
    match s.products.iter().find(|p| p.id == n) {
        Some(p) => axum::Json(render::inventory(
            p,
            &sim.on_of(p),
            s.currency,
            sim.readiness_state_id,
        ))
        .into_response(),
        None => not_found(&format!("Listing {id} not found")),
    }
}

/// One product of a PUT body, read.
struct PutProduct {
    sku: String,
    values: Vec<(i64, String)>,
    price: Decimal,
    quantity: i64,
}

fn read_put(body: &Value) -> Result<(Vec<PutProduct>, OnProperty), String> {
    let products = body
        .get("products")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or("products is required and must not be empty")?;
    let ids = |k: &str| -> Result<Vec<i64>, String> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_i64().ok_or(format!("{k} must hold integers")))
                .collect(),
            Some(_) => Err(format!("{k} must be an array")),
        }
    };
    let on = OnProperty {
        price: ids("price_on_property")?,
        quantity: ids("quantity_on_property")?,
        sku: ids("sku_on_property")?,
    };
    let mut out = Vec::new();
    for p in products {
        if p.get("product_id").is_some() {
            return Err("product_id is not a field of an inventory update".into());
        }
        let offerings = p
            .get("offerings")
            .and_then(Value::as_array)
            .filter(|o| o.len() == 1)
            .ok_or("each product needs exactly one offering")?;
        let o = &offerings[0];
        if o.get("readiness_state_id").is_none() {
            return Err("readiness_state_id is required on each offering".into());
        }
        let price: Decimal = o
            .get("price")
            .and_then(Value::as_number)
            .and_then(|n| n.to_string().parse().ok())
            .ok_or("offering price must be a number")?;
        if price < Decimal::new(20, 2) || price > Decimal::from(50_000) {
            return Err("Price must be between 0.20 and 50000.00".into());
        }
        let quantity = o
            .get("quantity")
            .and_then(Value::as_i64)
            .filter(|q| (0..=999).contains(q))
            .ok_or("offering quantity must be between 0 and 999")?;
        if o.get("is_enabled").and_then(Value::as_bool).is_none() {
            return Err("offering is_enabled must be a boolean".into());
        }
        let mut values = Vec::new();
        for v in p
            .get("property_values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = v
                .get("property_id")
                .and_then(Value::as_i64)
                .ok_or("property_id is required")?;
            let value = v
                .get("values")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .ok_or("property values need values")?;
            if value.contains(['(', ')']) {
                return Err("parenthesis characters are not allowed in property values".into());
            }
            values.push((id, value.to_owned()));
        }
        out.push(PutProduct {
            sku: p
                .get("sku")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            values,
            price,
            quantity,
        });
    }
    // What Etsy checks: products that agree on every property of *_on_property agree
    // on the value too.
    let agree = |props: &[i64], value: &dyn Fn(&PutProduct) -> String| -> bool {
        let mut seen: HashMap<Vec<String>, String> = HashMap::new();
        out.iter().all(|p| {
            let key: Vec<String> = props
                .iter()
                .map(|id| {
                    p.values
                        .iter()
                        .find(|(i, _)| i == id)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect();
            let v = value(p);
            seen.entry(key).or_insert_with(|| v.clone()) == &v
        })
    };
    if !agree(&on.price, &|p| p.price.normalize().to_string()) {
        return Err("Products have different prices but price_on_property does not name the properties they differ by".into());
    }
    if !agree(&on.quantity, &|p| p.quantity.to_string()) {
        return Err("Products have different quantities but quantity_on_property does not name the properties they differ by".into());
    }
    Ok((out, on))
}

/// `updateListingInventory`: the whole inventory replaced. The simulator keeps the
/// listing's variations: each product of the body must be one of them.
pub(super) async fn put_inventory(
    State(sim): State<EtsySim>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Expected a JSON body");
    };
    let Some(n) = listing_number(&sim, &id) else {
        return not_found(&format!("Listing {id} not found"));
    };
    let (products, on) = match read_put(&body) {
        Ok(x) => x,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let mut s = sim.store();
    let currency = s.currency;
    let Some(p) = s.product_mut(n) else {
        return not_found(&format!("Listing {id} not found"));
    };
    let option_ids: Vec<i64> = p
        .options
        .iter()
        .enumerate()
        .map(|(i, (name, _))| property_id(name, i))
        .collect();
    if products.len() != p.variants.len() {
        return error(
            StatusCode::BAD_REQUEST,
            "The simulator keeps a listing's variations: send every product",
        );
    }
    let mut targets = Vec::new();
    for put in &products {
        let found = p.variants.iter().position(|v| {
            option_ids.len() == put.values.len()
                && option_ids
                    .iter()
                    .zip(&v.option_values)
                    .all(|(pid, val)| put.values.iter().any(|(i, x)| i == pid && x == val))
        });
        match found {
            Some(i) if !targets.contains(&i) => targets.push(i),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "A product's property_values match none of the listing's variations",
                );
            }
        }
    }
    for (put, i) in products.iter().zip(targets) {
        let v = &mut p.variants[i];
        v.price = put.price;
        v.sku = put.sku.clone();
        if let Some((first, rest)) = v.stock.split_first_mut() {
            first.1 = put.quantity;
            for r in rest {
                r.1 = 0;
            }
        }
    }
    p.updated_at = Utc::now();
    let answer = render::inventory(p, &on, currency, sim.readiness_state_id);
    sim.on_property().insert(n, on);
    axum::Json(answer).into_response()
}
