//! Listing orders and products, Shopee's way.
//!
//! **Orders.** `get_order_list` filters by `update_time` in a range of at most 15 days
//! and pages inside it with `cursor`/`next_cursor` while `more`. A pass walks windows
//! from the cursor's date (the query's `updated_since`, else `history_days` ago) to
//! now, each `[from, from + 15 days]` (the last one ends at the moment it starts),
//! the next starting one second after the previous ended, so no second is skipped and
//! none is read twice. Empty windows are stepped over within one call (at most
//! [`WINDOWS_PER_CALL`], so a call stays bounded). The numbers of a page are read with
//! `get_order_detail` in one batch (≤ 50) with `response_optional_fields`. The
//! position (`from`, `to`, Shopee's cursor) is the restart-safe [`Cursor`].
//!
//! **Products.** `get_item_list` by `update_time_from` with offset paging (the kit's
//! [`Endpoint`]), then `get_item_base_info` for the page's ids (≤ 50) and
//! `get_model_list` for each item that has models, carried under the item's
//! `model_list` (the composite shape `normalize` also takes).

use chrono::{DateTime, Utc};
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::{Envelope, field, pointer};
use polycart_kit::error::decode_json;
use polycart_kit::paging::{Bound, DateFormat, Offset, Paging, Since, Total, first_second};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    ApiPath, Cursor, Error, IdGrammar, ListQuery, Page, Record, Result, StoreContext,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use url::Url;

use crate::client::{MAX_PAGE, response_of};
use crate::mapping;

/// The widest `get_order_list` range Shopee accepts.
pub const WINDOW_SECONDS: i64 = 15 * 24 * 3600;

/// Empty windows stepped over in one `list` call before it returns an empty page
/// with its cursor.
pub const WINDOWS_PER_CALL: u32 = 64;

/// What `get_order_detail` is asked to add to its default fields.
pub const ORDER_FIELDS: &str = "buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,actual_shipping_fee,goods_to_declare,note,note_update_time,item_list,pay_time,dropshipper,dropshipper_phone,split_up,buyer_cancel_reason,cancel_by,cancel_reason,actual_shipping_fee_confirmed,buyer_cpf_id,fulfillment_flag,pickup_done_time,package_list,shipping_carrier,payment_method,total_amount,invoice_data";

/// Where an order pass is: the window `[from, to]` (unix seconds) and Shopee's cursor
/// inside it (`""`: the window's first page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    #[serde(default)]
    pub cursor: String,
}

impl Window {
    /// The first window from `from`, ending at most 15 days later and not after `now`.
    pub fn starting(from: i64, now: i64) -> Self {
        Self {
            from,
            to: (from.saturating_add(WINDOW_SECONDS)).min(now).max(from),
            cursor: String::new(),
        }
    }

    /// The window after this one, unless this one reached `now`.
    pub fn next(&self, now: i64) -> Option<Self> {
        (self.to < now).then(|| Self::starting(self.to + 1, now))
    }
}

/// The window an order listing starts in.
pub fn first_window(query: &ListQuery, horizon: DateTime<Utc>, now: DateTime<Utc>) -> Window {
    let from = query.updated_since.map_or(horizon, |s| s.max(horizon));
    Window::starting(first_second(from), now.timestamp())
}

/// `get_order_list`'s answer.
#[derive(Debug, Deserialize)]
struct OrderList {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next_cursor: String,
    #[serde(default)]
    order_list: Vec<OrderSn>,
}

#[derive(Debug, Deserialize)]
struct OrderSn {
    order_sn: String,
}

/// The API path `api/v2/{module}/{function}`.
pub fn api(path: &'static str) -> ApiPath {
    ApiPath::new("api/v2").lit(path)
}

/// One page of orders from the cursor's window on: order numbers are gathered across
/// windows until the page is full, the windows reach now, or [`WINDOWS_PER_CALL`]
/// windows were asked; then read in one `get_order_detail` batch.
pub async fn orders(
    transport: &Transport,
    root: &Url,
    query: &ListQuery,
    horizon: DateTime<Utc>,
    returns: bool,
    ctx: &StoreContext,
) -> Result<Page> {
    let now = Utc::now();
    let mut window = match &query.cursor {
        Some(c) => c.decode::<Window>()?,
        None => first_window(query, horizon, now),
    };
    if window
        .to
        .checked_sub(window.from)
        .is_none_or(|span| !(0..=WINDOW_SECONDS).contains(&span))
    {
        return Err(Error::invalid(
            "the order cursor's window is not a Shopee window",
        ));
    }
    let size = query.page_size_or(MAX_PAGE) as usize;
    let mut sns: Vec<String> = Vec::with_capacity(size);
    let mut next = Some(window.clone());
    for _ in 0..WINDOWS_PER_CALL {
        let Some(w) = next.take() else { break };
        window = w;
        let room = size.saturating_sub(sns.len());
        let list = order_list(transport, root, &window, room).await?;
        if list.order_list.len() > room.max(1) {
            return Err(Error::decode(
                "$.response.order_list",
                format!(
                    "{} orders where at most {room} were asked",
                    list.order_list.len()
                ),
            ));
        }
        sns.extend(list.order_list.into_iter().map(|o| o.order_sn));
        next = if list.more {
            if list.next_cursor.is_empty() || list.next_cursor == window.cursor {
                return Err(Error::decode(
                    "$.response.next_cursor",
                    "more orders, but no new cursor",
                ));
            }
            Some(Window {
                cursor: list.next_cursor,
                ..window.clone()
            })
        } else {
            window.next(now.timestamp())
        };
        if sns.len() >= size {
            break;
        }
    }
    let refs: Vec<&str> = sns.iter().map(String::as_str).collect();
    let records = order_details(transport, root, &refs, returns, ctx).await?;
    Ok(Page {
        records,
        next: next.map(|n| Cursor::encode(&n)),
    })
}

/// One `get_order_list` call: up to `size` order numbers of `window` from its cursor.
async fn order_list(
    transport: &Transport,
    root: &Url,
    window: &Window,
    size: usize,
) -> Result<OrderList> {
    let mut pairs = vec![
        ("time_range_field", "update_time".to_owned()),
        ("time_from", window.from.to_string()),
        ("time_to", window.to.to_string()),
        ("page_size", size.clamp(1, MAX_PAGE as usize).to_string()),
        ("response_optional_fields", "order_status".to_owned()),
    ];
    if !window.cursor.is_empty() {
        pairs.push(("cursor", window.cursor.clone()));
    }
    let url = api("order/get_order_list").under(root);
    let response = transport.send(Request::get(url).query(pairs)).await?;
    decode_json(response_of(response.text()?)?.get()).map_err(|e| prefix(e, "$.response"))
}

fn prefix(e: Error, at: &str) -> Error {
    match e {
        Error::Decode { path, excerpt } => Error::Decode {
            path: format!("{at}{}", path.strip_prefix('$').unwrap_or(&path)),
            excerpt,
        },
        other => other,
    }
}

/// `get_order_detail` for up to 50 order numbers, mapped in Shopee's order; numbers
/// Shopee no longer has are left out.
pub async fn order_details(
    transport: &Transport,
    root: &Url,
    sns: &[&str],
    returns: bool,
    ctx: &StoreContext,
) -> Result<Vec<Record>> {
    if sns.is_empty() {
        return Ok(Vec::new());
    }
    if sns.len() > MAX_PAGE as usize {
        return Err(Error::invalid("get_order_detail takes at most 50 orders"));
    }
    for sn in sns {
        IdGrammar::Token.check(sn)?;
    }
    let url = api("order/get_order_detail").under(root);
    let request = Request::get(url).query([
        ("order_sn_list", sns.join(",")),
        ("response_optional_fields", ORDER_FIELDS.to_owned()),
    ]);
    let response = transport.send(request).await?;
    let body = response.text()?;
    let envelope = Envelope::At("/response/order_list");
    let mut out = Vec::with_capacity(sns.len());
    for (i, order) in envelope.split(body)?.iter().enumerate() {
        let tracked = with_tracking_numbers(transport, root, order).await?;
        let mut raw: &RawValue = tracked.as_deref().unwrap_or(order);
        let refunded;
        if returns && let Some(r) = with_returns(transport, root, raw).await? {
            refunded = r;
            raw = &refunded;
        }
        out.extend(mapping::order(raw, ctx).map_err(|e| envelope.at_item(e, i))?);
    }
    Ok(out)
}

/// Order statuses after payment: Shopee keeps an escrow for them.
const PAID: &[&str] = &[
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "COMPLETED",
    "TO_RETURN",
    "IN_CANCEL",
    "CANCELLED",
];

/// The returns of one order polycart reads at most.
const MAX_RETURNS: usize = 20;

#[derive(Debug, Deserialize)]
struct EscrowReturns {
    #[serde(default)]
    return_order_sn_list: Vec<String>,
}

/// The order with `"escrow_detail": <get_escrow_detail response>` and
/// `"return_detail_list": [<get_return_detail response>…]` added, for a paid order;
/// `None` otherwise. An order Shopee keeps no escrow for (`error_not_found`) is left
/// as it is.
async fn with_returns(
    transport: &Transport,
    root: &Url,
    order: &RawValue,
) -> Result<Option<Box<RawValue>>> {
    let picked =
        polycart_kit::envelope::fields(order.get(), &["order_sn", "order_status", "pay_time"])?;
    let status: Option<String> = picked[1].and_then(|v| serde_json::from_str(v.get()).ok());
    let paid = picked[2].is_some_and(|v| v.get() != "0" && v.get() != "null");
    if !paid || !status.is_some_and(|s| PAID.contains(&s.as_str())) {
        return Ok(None);
    }
    let Some(sn) = picked[0] else {
        return Ok(None);
    };
    let sn: String = decode_json(sn.get())?;
    IdGrammar::Token.check(&sn)?;
    let url = api("payment/get_escrow_detail").under(root);
    let escrow = match transport
        .send(Request::get(url).query([("order_sn", sn.as_str())]))
        .await
    {
        Ok(r) => r,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let escrow = response_of(escrow.text()?)?.get().to_owned();
    let numbers: EscrowReturns = decode_json(&escrow).map_err(|e| prefix(e, "$.escrow_detail"))?;
    let mut returns = Vec::new();
    for return_sn in numbers.return_order_sn_list.iter().take(MAX_RETURNS) {
        IdGrammar::Token.check(return_sn)?;
        let url = api("returns/get_return_detail").under(root);
        let answer = transport
            .send(Request::get(url).query([("return_sn", return_sn.as_str())]))
            .await?;
        returns.push(response_of(answer.text()?)?.get().to_owned());
    }
    let with_escrow = with_member(order.get(), "escrow_detail", &escrow)?;
    let list = format!("[{}]", returns.join(","));
    with_member(with_escrow.get(), "return_detail_list", &list).map(Some)
}

/// Order statuses whose parcels have (or had) a tracking number.
const SHIPPED: &[&str] = &[
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "COMPLETED",
    "TO_RETURN",
];

#[derive(Debug, Deserialize)]
struct Parcel {
    package_number: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tracking {
    #[serde(default)]
    tracking_number: String,
}

/// The order with `"tracking_numbers": {package_number: tracking_number}` added, read
/// with `logistics.get_tracking_number` per parcel of a shipped order (Shopee's order
/// detail carries no tracking number); `None` when the order has no shipped parcel.
async fn with_tracking_numbers(
    transport: &Transport,
    root: &Url,
    order: &RawValue,
) -> Result<Option<Box<RawValue>>> {
    let picked =
        polycart_kit::envelope::fields(order.get(), &["order_sn", "order_status", "package_list"])?;
    let status: Option<String> = picked[1].and_then(|v| serde_json::from_str(v.get()).ok());
    if !status.is_some_and(|s| SHIPPED.contains(&s.as_str())) {
        return Ok(None);
    }
    let (Some(sn), Some(packages)) = (picked[0], picked[2]) else {
        return Ok(None);
    };
    let sn: String = decode_json(sn.get())?;
    let parcels: Vec<Parcel> =
        decode_json(packages.get()).map_err(|e| prefix(e, "$.package_list"))?;
    let mut numbers = serde_json::Map::new();
    for parcel in parcels.iter().take(MAX_PAGE as usize) {
        let Some(package) = parcel.package_number.as_deref().filter(|p| !p.is_empty()) else {
            continue;
        };
        IdGrammar::Token.check(&sn)?;
        IdGrammar::Token.check(package)?;
        let url = api("logistics/get_tracking_number").under(root);
        let request =
            Request::get(url).query([("order_sn", sn.as_str()), ("package_number", package)]);
        let response = transport.send(request).await?;
        let t: Tracking = decode_json(response_of(response.text()?)?.get())?;
        if !t.tracking_number.is_empty() {
            numbers.insert(
                package.to_owned(),
                serde_json::Value::String(t.tracking_number),
            );
        }
    }
    if numbers.is_empty() {
        return Ok(None);
    }
    let member = serde_json::Value::Object(numbers).to_string();
    with_member(order.get(), "tracking_numbers", &member).map(Some)
}

/// The item statuses a listing asks for: every item a seller still has.
const ITEM_STATUSES: &[(&str, &str)] = &[
    ("item_status", "NORMAL"),
    ("item_status", "UNLIST"),
    ("item_status", "BANNED"),
    ("item_status", "REVIEWING"),
];

/// `GET /api/v2/product/get_item_list?offset&page_size&update_time_from&item_status…`:
/// the page's item ids.
pub const ITEM_LIST: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("api/v2/product/get_item_list"),
    call: Call::Get,
    params: ITEM_STATUSES,
    headers: &[],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "page_size",
        total: Some(Total::At("/response/total_count")),
    }),
    envelope: Envelope::At("/response/item"),
    since: Some(Since {
        bound: Bound::Inclusive("update_time_from"),
        format: DateFormat::UnixSeconds,
    }),
    filters: None,
    max_page: MAX_PAGE,
    map: ids_only,
};

/// The item list's records are ids, read by [`products`], not mapped.
fn ids_only(_: &RawValue, _: &StoreContext) -> Result<Vec<Record>> {
    Ok(Vec::new())
}

/// The kit's offset cursor (`{"offset": n}`), written here when a page of stock levels
/// ends before the items the listing answered.
#[derive(Debug, Serialize, Deserialize)]
struct OffsetState {
    offset: u64,
}

/// Maps a (composite) item to records: products, or stock levels.
pub type ItemMap = mapping::Map;

/// One page of products (or their stock levels, with `map`): the ids from
/// `get_item_list`, the items read in one batch.
pub async fn products(
    transport: &Transport,
    root: &Url,
    query: &ListQuery,
    map: ItemMap,
    levels: bool,
    ctx: &StoreContext,
) -> Result<Page> {
    let page = ITEM_LIST
        .fetch(Target::new(transport, root), query, &[])
        .await?;
    let mut ids = Vec::with_capacity(page.items.len());
    for (i, item) in page.items.iter().enumerate() {
        let id = field(item.get(), "item_id")?
            .ok_or_else(|| Error::decode(format!("$.response.item[{i}].item_id"), "missing"))?;
        ids.push(id.get().trim_matches('"').to_owned());
    }
    if !levels {
        let records = items(transport, root, &ids, map, ctx).await?;
        return Ok(Page {
            records,
            next: page.next,
        });
    }
    // Stock levels: an item brings one per model, so a page takes whole items while
    // their levels fit the page (at least one item), and the next page starts at the
    // first item left over.
    let limit = query.page_size_or(MAX_PAGE) as usize;
    let all = items(transport, root, &ids, map, ctx).await?;
    let item_of = |r: &Record| match r {
        Record::Inventory(l) => l.product_id.clone(),
        _ => None,
    };
    let mut records: Vec<Record> = Vec::new();
    let mut taken = 0;
    for id in &ids {
        let one: Vec<&Record> = all
            .iter()
            .filter(|r| item_of(r).as_deref() == Some(id.as_str()))
            .collect();
        if taken > 0 && records.len() + one.len() > limit {
            break;
        }
        records.extend(one.into_iter().cloned());
        taken += 1;
    }
    let next = if taken < ids.len() {
        let start = match &query.cursor {
            Some(c) => c.decode::<OffsetState>()?.offset,
            None => 0,
        };
        Some(Cursor::encode(&OffsetState {
            offset: start + taken as u64,
        }))
    } else {
        page.next
    };
    Ok(Page { records, next })
}

/// `get_item_base_info` for up to 50 items, each with its `get_model_list` answer
/// under `model_list` when it has models, mapped.
pub async fn items(
    transport: &Transport,
    root: &Url,
    ids: &[String],
    map: ItemMap,
    ctx: &StoreContext,
) -> Result<Vec<Record>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    if ids.len() > MAX_PAGE as usize {
        return Err(Error::invalid("get_item_base_info takes at most 50 items"));
    }
    for id in ids {
        IdGrammar::Numeric.check(id)?;
    }
    let url = api("product/get_item_base_info").under(root);
    let response = transport
        .send(Request::get(url).query([("item_id_list", ids.join(","))]))
        .await?;
    let body = response.text()?;
    let envelope = Envelope::At("/response/item_list");
    let mut out = Vec::new();
    for (i, item) in envelope.split(body)?.iter().enumerate() {
        let has_model = pointer(item.get(), "/has_model")?.is_some_and(|v| v.get() == "true");
        let composite;
        let raw: &RawValue = if has_model {
            let id = field(item.get(), "item_id")?
                .map(|v| v.get().trim_matches('"').to_owned())
                .ok_or_else(|| Error::decode(envelope.item_path(i), "no item_id"))?;
            let models = model_list(transport, root, &id).await?;
            composite = with_models(item.get(), &models)?;
            &composite
        } else {
            item
        };
        out.extend(map(raw, ctx).map_err(|e| envelope.at_item(e, i))?);
    }
    Ok(out)
}

/// `get_model_list`'s `response` for an item, as raw JSON.
async fn model_list(transport: &Transport, root: &Url, item_id: &str) -> Result<String> {
    IdGrammar::Numeric.check(item_id)?;
    let url = api("product/get_model_list").under(root);
    let response = transport
        .send(Request::get(url).query([("item_id", item_id)]))
        .await?;
    Ok(response_of(response.text()?)?.get().to_owned())
}

/// The item object with `"model_list": <models>` added (raw JSON kept as received).
pub fn with_models(item: &str, models: &str) -> Result<Box<RawValue>> {
    with_member(item, "model_list", models)
}

/// The JSON object `object` with the member `name` (whose value is the JSON text
/// `value`) added at its end; the rest kept byte for byte.
pub fn with_member(object: &str, name: &'static str, value: &str) -> Result<Box<RawValue>> {
    let trimmed = object.trim_end();
    let Some(body) = trimmed.strip_suffix('}') else {
        return Err(Error::decode("$", "an item is not a JSON object"));
    };
    let empty = body.trim_end().ends_with('{');
    let text = format!("{body}{}\"{name}\":{value}}}", if empty { "" } else { "," });
    RawValue::from_string(text).map_err(|e| Error::decode(format!("$.{name}"), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn windows_walk_from_the_start_to_now_without_gaps_or_overlaps() {
        let start = at("2025-01-01T00:00:00Z");
        let now = at("2025-03-10T12:00:00Z");
        let query = ListQuery::new(polycart_kit::Entity::Order).updated_since(start);
        let horizon = at("2020-01-01T00:00:00Z");
        let mut w = first_window(&query, horizon, now);
        assert_eq!(w.from, start.timestamp());
        let mut windows = vec![w.clone()];
        while let Some(n) = w.next(now.timestamp()) {
            assert_eq!(n.from, w.to + 1, "no second skipped or read twice");
            w = n;
            windows.push(w.clone());
        }
        assert!(windows.iter().all(|w| w.to - w.from <= WINDOW_SECONDS));
        assert_eq!(windows.last().unwrap().to, now.timestamp());
        // 68.5 days: four full windows and a shorter fifth.
        assert_eq!(windows.len(), 5);
        assert!(windows[..4].iter().all(|w| w.to - w.from == WINDOW_SECONDS));
    }

    #[test]
    fn a_start_before_the_horizon_starts_at_the_horizon() {
        let now = at("2025-03-10T00:00:00Z");
        let horizon = at("2025-03-01T00:00:00Z");
        let query =
            ListQuery::new(polycart_kit::Entity::Order).updated_since(at("2000-01-01T00:00:00Z"));
        let w = first_window(&query, horizon, now);
        assert_eq!(w.from, horizon.timestamp());
        assert_eq!(w.to, now.timestamp());
        assert_eq!(w.next(now.timestamp()), None);
        let full = first_window(&ListQuery::new(polycart_kit::Entity::Order), horizon, now);
        assert_eq!(full.from, horizon.timestamp());
    }

    #[test]
    fn models_are_added_to_the_item_as_received() {
        let item = r#"{"item_id":1,"price_info":[{"original_price":1.10}]}"#;
        let joined = with_models(item, r#"{"model":[]}"#).unwrap();
        assert_eq!(
            joined.get(),
            r#"{"item_id":1,"price_info":[{"original_price":1.10}],"model_list":{"model":[]}}"#
        );
        assert_eq!(
            with_models("{}", "{}").unwrap().get(),
            r#"{"model_list":{}}"#
        );
        assert!(with_models("[1]", "{}").is_err());
    }
}
