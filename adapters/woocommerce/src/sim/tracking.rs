//! The Shipment Tracking extension's routes (`wc-shipment-tracking/v3`): tracking items
//! kept in the order's `_wc_shipment_tracking_items` meta, added by POST.

use chrono::Utc;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::routes::{R, Req, St, id, json_response, lock, no_route, order_json, wp_error};

/// The extension's predefined providers (a few of them) and their tracking links.
const PROVIDERS: &[(&str, &str)] = &[
    ("UPS", "https://www.ups.com/track?tracknum="),
    (
        "USPS",
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
    ),
    ("FedEx", "https://www.fedex.com/fedextrack/?trknbr="),
    ("DHL", "https://www.dhl.com/en/express/tracking.html?AWB="),
    (
        "DHL Express",
        "https://www.dhl.com/en/express/tracking.html?AWB=",
    ),
    (
        "Canada Post",
        "https://www.canadapost-postescanada.ca/track-reperage/en#/details/",
    ),
];

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// A stored tracking item as the API shows it: the provider's name and link (a custom
/// provider's when set, else the predefined one's), the shipping date as `Y-m-d`.
fn item_json(item: &Value, site: &str, oid: u64) -> Value {
    let custom = text(item, "custom_tracking_provider");
    let predefined = text(item, "tracking_provider");
    let number = text(item, "tracking_number");
    let provider = if custom.is_empty() {
        predefined
    } else {
        custom
    };
    let link = match text(item, "custom_tracking_link") {
        "" => PROVIDERS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(predefined) || slug(name) == predefined)
            .map(|(_, url)| format!("{url}{number}"))
            .unwrap_or_default(),
        l => l.to_owned(),
    };
    let shipped = text(item, "date_shipped")
        .parse::<i64>()
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let id = text(item, "tracking_id");
    json!({
        "tracking_id": id,
        "tracking_provider": provider,
        "tracking_link": link,
        "tracking_number": number,
        "date_shipped": shipped,
        "_links": {
            "self": [{"href": format!("{site}/wp-json/wc-shipment-tracking/v3/orders/{oid}/shipment-trackings/{id}")}],
            "collection": [{"href": format!("{site}/wp-json/wc-shipment-tracking/v3/orders/{oid}/shipment-trackings")}],
            "up": [{"href": format!("{site}/wp-json/wc/v3/orders/{oid}")}],
        },
    })
}

/// `sanitize_title`, as the extension stores a predefined provider ("DHL Express" →
/// "dhl-express").
fn slug(name: &str) -> String {
    name.to_ascii_lowercase().replace(' ', "-")
}

/// `orders/{id}/shipment-trackings`: GET lists, POST adds (`tracking_number` required;
/// `tracking_provider` for a predefined provider, `custom_tracking_provider` and
/// `custom_tracking_link` for another).
pub(super) fn route(st: &St, req: &Req, seg: &[&str]) -> R {
    let ["orders", oid, "shipment-trackings"] = seg else {
        return Err(no_route());
    };
    let oid = id(oid)?;
    order_json(st, req, oid)?;
    if req.method == Method::GET {
        let items: Vec<Value> = lock(&st.extra)
            .trackings
            .get(&oid)
            .map(|items| items.iter().map(|i| item_json(i, &req.site, oid)).collect())
            .unwrap_or_default();
        return Ok(json_response(StatusCode::OK, &Value::Array(items)));
    }
    if req.method != Method::POST {
        return Err(no_route());
    }
    let body = req.json_body()?;
    let number = text(&body, "tracking_number").to_owned();
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
        // The order meta the extension writes (what `render::order` shows).
        let item = json!({
            "tracking_id": format!("{:032x}", extra.next_id),
            "tracking_provider": slug(text(&body, "tracking_provider")),
            "custom_tracking_provider": text(&body, "custom_tracking_provider"),
            "custom_tracking_link": text(&body, "custom_tracking_link"),
            "tracking_number": number,
            "date_shipped": Utc::now().timestamp().to_string(),
        });
        extra.trackings.entry(oid).or_default().push(item.clone());
        item
    };
    if let Some(o) = lock(&st.store).order_mut(oid) {
        o.updated_at = Utc::now();
    }
    Ok(json_response(
        StatusCode::CREATED,
        &item_json(&item, &req.site, oid),
    ))
}
