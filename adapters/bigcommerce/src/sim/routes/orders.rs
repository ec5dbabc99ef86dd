//! v2: the store, order statuses, orders with their sub-resources (products,
//! shipping addresses, coupons, consignments), counts, status updates and shipments.

use super::*;

pub(in crate::sim) async fn time(State(_): St) -> Response {
    Json(json!({ "time": Utc::now().timestamp() })).into_response()
}

pub(in crate::sim) async fn store_info(State(sim): St) -> Response {
    let store = sim.store();
    Json(json!({
        "id": sim.store_hash,
        "domain": format!("{}.example.com", sim.store_hash),
        "secure_url": format!("https://{}.example.com", sim.store_hash),
        "name": store.name,
        "currency": store.currency,
        "currency_symbol": "",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "weight_units": "KGS",
        "dimension_units": "Centimeters",
        "timezone": { "name": "Etc/UTC", "raw_offset": 0, "dst_offset": 0 },
        "plan_name": "Standard",
    }))
    .into_response()
}

pub(in crate::sim) async fn order_statuses(State(_): St) -> Response {
    let list: Vec<Value> = render::STATUSES
        .iter()
        .map(|(id, label, order)| {
            json!({ "id": id, "name": label, "system_label": label, "custom_label": label, "system_description": "", "order": order })
        })
        .collect();
    Json(list).into_response()
}

/// The v2 order filters.
pub(in crate::sim) struct OrderFilter {
    min_modified: Option<DateTime<Utc>>,
    max_modified: Option<DateTime<Utc>>,
    min_created: Option<DateTime<Utc>>,
    max_created: Option<DateTime<Utc>>,
    min_id: Option<i64>,
    max_id: Option<i64>,
    status_id: Option<i64>,
    customer_id: Option<i64>,
}

impl OrderFilter {
    fn parse(q: &HashMap<String, String>) -> Result<Self, String> {
        Ok(Self {
            min_modified: when(q, "min_date_modified")?,
            max_modified: when(q, "max_date_modified")?,
            min_created: when(q, "min_date_created")?,
            max_created: when(q, "max_date_created")?,
            min_id: number(q, "min_id")?,
            max_id: number(q, "max_id")?,
            status_id: number(q, "status_id")?,
            customer_id: number(q, "customer_id")?,
        })
    }

    fn matches(&self, o: &SimOrder, status: i64) -> bool {
        let id = o.id as i64;
        !o.deleted
            && in_range(o.updated_at, self.min_modified, self.max_modified)
            && in_range(o.created_at, self.min_created, self.max_created)
            && self.min_id.is_none_or(|m| id >= m)
            && self.max_id.is_none_or(|m| id <= m)
            && self.status_id.is_none_or(|s| s == status)
            && self
                .customer_id
                .is_none_or(|c| o.customer_id.map_or(0, |x| x as i64) == c)
    }
}

pub(in crate::sim) async fn orders(State(sim): St, Query(q): Params) -> Response {
    let filter = match OrderFilter::parse(&q) {
        Ok(f) => f,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let sort = q.get("sort").map_or("id:asc", String::as_str);
    let (field, direction) = sort.split_once(':').unwrap_or((sort, "asc"));
    if ![
        "id",
        "date_created",
        "date_modified",
        "status_id",
        "customer_id",
    ]
    .contains(&field)
        || !["asc", "desc"].contains(&direction)
    {
        return v2_error(
            StatusCode::BAD_REQUEST,
            format!("unsupported sort {sort:?}"),
        );
    }
    let store = sim.store();
    let mut list: Vec<(&SimOrder, i64)> = store
        .orders
        .iter()
        .map(|o| (o, sim.status_of(o)))
        .filter(|(o, s)| filter.matches(o, *s))
        .collect();
    list.sort_by(|(a, sa), (b, sb)| {
        let by = match field {
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "status_id" => sa.cmp(sb),
            "customer_id" => a.customer_id.cmp(&b.customer_id),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if direction == "desc" {
            by.reverse()
        } else {
            by
        }
    });
    let items = slice(&list, page, limit);
    if items.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let body: Vec<Value> = items
        .iter()
        .map(|(o, s)| {
            let order = render::v2_order(o, *s, sim.api_root());
            with_includes(&sim, &store.products, o, order, &q)
        })
        .collect();
    Json(body).into_response()
}

/// What `include=` adds to an order: `consignments` (line items as links),
/// `consignments.line_items` (full line items) in the `consignment_structure=object`
/// form or the legacy array, and `fees` (none in a generated store).
pub(in crate::sim) fn with_includes(
    sim: &Sim,
    products: &[SimProduct],
    o: &SimOrder,
    mut order: Value,
    q: &HashMap<String, String>,
) -> Value {
    let list = q.get("include").map(String::as_str).unwrap_or("");
    let has = |x: &str| list.split(',').any(|i| i.trim() == x);
    let lines = has("consignments.line_items");
    if lines || has("consignments") {
        let object = q
            .get("consignment_structure")
            .is_some_and(|s| s == "object");
        order["consignments"] = render::v2_consignments(o, products, sim.api_root(), lines, object);
    }
    if has("fees") {
        order["fees"] = json!([]);
    }
    order
}

/// `GET /v2/orders/{id}/consignments`: line items as links.
pub(in crate::sim) async fn consignments(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => {
            let object = q
                .get("consignment_structure")
                .is_some_and(|s| s == "object");
            Json(render::v2_consignments(
                o,
                &store.products,
                sim.api_root(),
                false,
                object,
            ))
            .into_response()
        }
        Err(e) => e,
    }
}

/// Shipping quotes of an address or consignment: none for orders that were not placed
/// on a storefront, which BigCommerce answers with a `204`.
pub(in crate::sim) async fn shipping_quotes(
    State(sim): St,
    Path((id, address)): Path<(u64, u64)>,
) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) if render::address_id(o) == address => StatusCode::NO_CONTENT.into_response(),
        Ok(_) => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
        Err(e) => e,
    }
}

pub(in crate::sim) async fn orders_count(State(sim): St, Query(q): Params) -> Response {
    let filter = match OrderFilter::parse(&q) {
        Ok(f) => f,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    let mut per_status: BTreeMap<i64, u64> = BTreeMap::new();
    let mut count = 0u64;
    for o in &store.orders {
        let s = sim.status_of(o);
        if filter.matches(o, s) {
            count += 1;
            *per_status.entry(s).or_default() += 1;
        }
    }
    let statuses: Vec<Value> = render::STATUSES
        .iter()
        .map(|(id, label, order)| {
            json!({ "id": id, "name": label, "system_label": label, "custom_label": label, "system_description": "",
                    "count": per_status.get(id).copied().unwrap_or(0), "url": format!("{}/v2/orders?status_id={id}", sim.api_root()), "sort_order": order })
        })
        .collect();
    Json(json!({ "statuses": statuses, "count": count })).into_response()
}

pub(in crate::sim) fn find_order(store: &SimStore, id: u64) -> Result<&SimOrder, Response> {
    store
        .orders
        .iter()
        .find(|o| o.id == id && !o.deleted)
        .ok_or_else(|| {
            v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            )
        })
}

pub(in crate::sim) async fn order(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => {
            let order = render::v2_order(o, sim.status_of(o), sim.api_root());
            Json(with_includes(&sim, &store.products, o, order, &q)).into_response()
        }
        Err(e) => e,
    }
}

pub(in crate::sim) async fn order_put(
    State(sim): St,
    Path(id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    let status = match body.get("status_id") {
        None => None,
        Some(v) => match v.as_i64().filter(|s| (0..=14).contains(s)) {
            Some(s) => Some(s),
            None => return v2_error(StatusCode::BAD_REQUEST, "status_id must be 0 to 14"),
        },
    };
    let (rendered, previous) = {
        let mut store = sim.store();
        let previous = match find_order(&store, id) {
            Ok(o) => sim.status_of(o),
            Err(e) => return e,
        };
        let Some(o) = store.order_mut(id) else {
            return v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            );
        };
        o.updated_at = now();
        if let Some(m) = body.get("customer_message").and_then(Value::as_str) {
            o.note = Some(m.to_owned());
        }
        if let Some(s) = status {
            sim.set_status(id, s);
        }
        let o = &*o;
        (
            render::v2_order(o, sim.status_of(o), sim.api_root()),
            previous,
        )
    };
    if let Some(s) = status {
        sim.fire(
            "store/order/statusUpdated",
            json!({ "type": "order", "id": id, "status": { "previous_status_id": previous, "new_status_id": s } }),
        );
    }
    sim.fire("store/order/updated", json!({ "type": "order", "id": id }));
    Json(rendered).into_response()
}

pub(in crate::sim) async fn order_sub(
    State(sim): St,
    Path((id, sub)): Path<(u64, String)>,
    Query(q): Params,
) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Some(items) = sub_resource(&sim, &store.products, o, &sub) else {
        return v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    page_or_204(items, page, limit)
}

pub(in crate::sim) async fn order_sub_item(
    State(sim): St,
    Path((id, sub, item)): Path<(u64, String, u64)>,
) -> Response {
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let items = sub_resource(&sim, &store.products, o, &sub).unwrap_or_default();
    match items
        .into_iter()
        .find(|i| i.get("id").and_then(Value::as_u64) == Some(item))
    {
        Some(found) => Json(found).into_response(),
        None => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

/// The items of an order's sub-resource (`shippingaddresses` is the spelling of the
/// links BigCommerce puts in orders; both resolve).
pub(in crate::sim) fn sub_resource(
    sim: &Sim,
    products: &[SimProduct],
    o: &SimOrder,
    sub: &str,
) -> Option<Vec<Value>> {
    Some(match sub {
        "products" => render::v2_products(o, products),
        "shipping_addresses" | "shippingaddresses" => {
            render::v2_shipping_addresses(o, sim.api_root())
        }
        "coupons" => render::v2_coupons(o),
        _ => return None,
    })
}

pub(in crate::sim) fn page_or_204(items: Vec<Value>, page: usize, limit: usize) -> Response {
    let items = slice(&items, page, limit);
    if items.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    Json(items).into_response()
}

pub(in crate::sim) async fn shipments(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => page_or_204(
            o.shipments
                .iter()
                .map(|s| render::v2_shipment(o, s))
                .collect(),
            page,
            limit,
        ),
        Err(e) => e,
    }
}

pub(in crate::sim) async fn shipment_get(
    State(sim): St,
    Path((id, sid)): Path<(u64, u64)>,
) -> Response {
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match o.shipments.iter().find(|s| s.id == sid) {
        Some(s) => Json(render::v2_shipment(o, s)).into_response(),
        None => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

pub(in crate::sim) fn carrier_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "ups" => "UPS",
        "usps" => "USPS",
        "fedex" => "FedEx",
        "canadapost" => "Canada Post",
        "dhl" => "DHL Express",
        "auspost" => "Australia Post",
        "royalmail" => "Royal Mail",
        _ => return None,
    })
}

pub(in crate::sim) async fn shipment_post(
    State(sim): St,
    Path(id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    let created = {
        let mut store = sim.store();
        let sid = store.fresh_id();
        let o = match find_order(&store, id) {
            Ok(o) => o,
            Err(e) => return e,
        };
        if body.get("order_address_id").and_then(Value::as_u64) != Some(render::address_id(o)) {
            return v2_error(
                StatusCode::BAD_REQUEST,
                "order_address_id does not belong to this order",
            );
        }
        let Some(items) = body
            .get("items")
            .and_then(Value::as_array)
            .filter(|i| !i.is_empty())
        else {
            return v2_error(StatusCode::BAD_REQUEST, "items are required");
        };
        let mut lines = Vec::new();
        for item in items {
            let (Some(li), Some(qty)) = (
                item.get("order_product_id").and_then(Value::as_u64),
                item.get("quantity")
                    .and_then(Value::as_u64)
                    .and_then(|q| u32::try_from(q).ok())
                    .filter(|q| *q > 0),
            ) else {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    "each item needs order_product_id and a positive quantity",
                );
            };
            let Some(line) = o.line_items.iter().find(|l| l.id == li) else {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    format!("order product {li} is not in this order"),
                );
            };
            if render::shipped_of(o, li) + qty > line.quantity {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    format!("order product {li} has fewer than {qty} left to ship"),
                );
            }
            lines.push((li, qty));
        }
        let code = body
            .get("shipping_provider")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let tracking = body
            .get("tracking_number")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let carrier = carrier_name(&code)
            .map(str::to_owned)
            .or_else(|| {
                body.get("tracking_carrier")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let at = now();
        let shipment = SimShipment {
            id: sid,
            tracking_url: if code.is_empty() || tracking.is_empty() {
                String::new()
            } else {
                format!("https://tracking.example.com/{code}/{tracking}")
            },
            carrier,
            tracking_number: tracking,
            status: "success".into(),
            lines,
            created_at: at,
        };
        let Some(o) = store.order_mut(id) else {
            return v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            );
        };
        o.shipments.push(shipment);
        o.updated_at = at;
        let all = o
            .line_items
            .iter()
            .all(|l| render::shipped_of(o, l.id) >= l.quantity);
        o.fulfillment = if all {
            SimFulfillment::Fulfilled
        } else {
            SimFulfillment::Partial
        };
        sim.set_status(id, if all { 2 } else { 3 });
        let o = &*o;
        let s = o.shipments.last().expect("just pushed");
        render::v2_shipment(o, s)
    };
    let sid = created.get("id").cloned().unwrap_or(Value::Null);
    sim.fire(
        "store/shipment/created",
        json!({ "type": "shipment", "id": sid, "orderId": id }),
    );
    sim.fire("store/order/updated", json!({ "type": "order", "id": id }));
    (StatusCode::CREATED, Json(created)).into_response()
}
