//! The Shipment Tracking extension's routes (`wc-shipment-tracking/v3`): tracking items
//! kept in the order's `_wc_shipment_tracking_items` meta, added by POST.

use chrono::Utc;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::routes::{R, Req, St, id, json_response, lock, no_route, order_json, wp_error};

pub(super) fn route(st: &St, req: &Req, seg: &[&str]) -> R {
    match seg {
        ["orders", oid, "shipment-trackings"] => {
            let oid = id(oid)?;
            order_json(st, req, oid)?;
            if req.method == Method::GET {
                let items = lock(&st.extra)
                    .trackings
                    .get(&oid)
                    .cloned()
                    .unwrap_or_default();
                return Ok(json_response(StatusCode::OK, &Value::Array(items)));
            }
            if req.method != Method::POST {
                return Err(no_route());
            }
            let body = req.json_body()?;
            let number = body["tracking_number"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if number.is_empty() {
                return Err(wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_missing_callback_param",
                    "Missing parameter(s): tracking_number",
                ));
            }
            let item = {
                let mut extra = lock(&st.extra);
                extra.next_id += 1;
                let item = json!({
                    "tracking_id": format!("{:x}", extra.next_id),
                    "tracking_provider": body["tracking_provider"].as_str().unwrap_or_default(),
                    "custom_tracking_provider": body["custom_tracking_provider"].as_str().unwrap_or_default(),
                    "custom_tracking_link": body["custom_tracking_link"].as_str().unwrap_or_default(),
                    "tracking_number": number,
                    "date_shipped": Utc::now().timestamp().to_string(),
                });
                extra.trackings.entry(oid).or_default().push(item.clone());
                item
            };
            if let Some(o) = lock(&st.store).order_mut(oid) {
                o.updated_at = Utc::now();
            }
            Ok(json_response(StatusCode::CREATED, &item))
        }
        _ => Err(no_route()),
    }
}
