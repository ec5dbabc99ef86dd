//! Writes through the webservice, JSON in and out (`io_format=JSON`):
//!
//! - order status: `POST /api/order_histories` `{"order_history": {id_order,
//!   id_order_state}}` — a new history row, so never repeated blindly (a POST is
//!   retried only when PrestaShop provably did not get it);
//! - stock: the `stock_availables` row of the product and combination
//!   (`filter[id_product]`, `filter[id_product_attribute]`, 0 for the product itself),
//!   then `PUT /api/stock_availables/{id}` with the whole row and its new `quantity`;
//!   a delta is added to the quantity just read (PrestaShop has no atomic adjustment:
//!   a sale between the read and the write is overwritten);
//! - product price, title, status: the product read whole, `price`, `name` (every
//!   language) or `active` changed, `PUT /api/products/{id}` (PrestaShop replaces the
//!   whole resource) without the fields it refuses to take back (`manufacturer_name`,
//!   `quantity`, `position_in_category`); the combinations' impacts stay, so their
//!   prices move with the product's;
//! - a variant's price: its combination read whole, `price` (an impact on the
//!   product's price) set to the wanted price minus the product's, then
//!   `PUT /api/combinations/{id}`. A combination has no title or status of its own.
//!
//! PUTs carry the whole resource, so repeating one is harmless: they are retried like
//! reads.

use http::Method;
use polycart_kit::model::{OrderStatus, ProductStatus};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{ApiPath, Error, IdGrammar, InventoryChange, Result};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use url::Url;

use crate::PLATFORM;

/// PrestaShop's default order state for a unified status.
pub fn state_id(status: OrderStatus) -> Result<&'static str> {
    Ok(match status {
        OrderStatus::Pending => "10",
        OrderStatus::Processing => "3",
        OrderStatus::Completed => "5",
        OrderStatus::Cancelled => "6",
        OrderStatus::Refunded => "7",
        OrderStatus::Failed => "8",
        OrderStatus::OnHold => return Err(Error::unsupported(PLATFORM, "order status on_hold")),
    })
}

fn json_io(request: Request) -> Request {
    request.query([("io_format", "JSON"), ("output_format", "JSON")])
}

/// Adds a history row moving `order_id` to `state`.
pub(crate) async fn set_order_state(
    t: &Transport,
    root: &Url,
    order_id: &str,
    state: &str,
) -> Result<()> {
    IdGrammar::Numeric.check(order_id)?;
    let body = json!({ "order_history": { "id_order": order_id, "id_order_state": state } });
    let request = json_io(Request::post(ApiPath::new("order_histories").under(root))).json(&body);
    t.send(request).await.map(|_| ())
}

/// Sets or adjusts the stock of a product (`variant` `None`) or combination.
pub(crate) async fn set_stock(
    t: &Transport,
    root: &Url,
    product: &str,
    variant: Option<&str>,
    change: InventoryChange,
) -> Result<()> {
    IdGrammar::Numeric.check(product)?;
    let attribute = variant.map_or(Ok("0"), |v| IdGrammar::Numeric.check(v))?;
    let product_filter = format!("[{product}]");
    let attribute_filter = format!("[{attribute}]");
    let list = Request::get(ApiPath::new("stock_availables").under(root)).query([
        ("output_format", "JSON"),
        ("display", "full"),
        ("filter[id_product]", product_filter.as_str()),
        ("filter[id_product_attribute]", attribute_filter.as_str()),
    ]);
    let answer: Value = t.send(list).await?.json()?;
    let mut row = answer
        .get("stock_availables")
        .and_then(|s| s.get(0))
        .cloned()
        .ok_or_else(|| {
            Error::not_found(format!(
                "stock of product {product} combination {attribute}"
            ))
        })?;
    let current = row
        .get("quantity")
        .and_then(|q| q.as_str().and_then(|s| s.parse().ok()).or(q.as_i64()));
    let quantity = match change {
        InventoryChange::Absolute(n) => n,
        InventoryChange::Delta(d) => {
            current.ok_or_else(|| Error::decode("$.stock_availables[0].quantity", "missing"))? + d
        }
    };
    row["quantity"] = json!(quantity.to_string());
    let id = row
        .get("id")
        .map(|i| i.to_string().trim_matches('"').to_owned())
        .unwrap_or_default();
    let path = ApiPath::new("stock_availables").id(IdGrammar::Numeric, &id)?;
    let put = json_io(Request::new(Method::PUT, path.under(root)))
        .json(&json!({ "stock_available": row }));
    t.send(put).await.map(|_| ())
}

/// What a product write changes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProductChange<'a> {
    pub title: Option<&'a str>,
    /// `active`: "1" or "0".
    pub active: Option<&'static str>,
    pub price: Option<Decimal>,
}

/// PrestaShop's `active` for a unified status (anything not active is disabled).
pub(crate) fn active(status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Active => "1",
        _ => "0",
    }
}

/// The fields PrestaShop lists in a product but refuses in a PUT.
const NOT_WRITABLE: [&str; 3] = ["manufacturer_name", "quantity", "position_in_category"];

/// Reads `collection/{id}` whole (`{"product": {...}}`), as `key`.
async fn read_whole(
    t: &Transport,
    root: &Url,
    collection: &'static str,
    key: &str,
    id: &str,
) -> Result<Value> {
    let path = ApiPath::new(collection).id(IdGrammar::Numeric, id)?;
    let request = Request::get(path.under(root)).query([("output_format", "JSON")]);
    let answer: Value = t.send(request).await?.json()?;
    answer
        .get(key)
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| Error::decode("$", format!("no {key:?} in the answer")))
}

/// Writes `resource` back whole.
async fn put_whole(
    t: &Transport,
    root: &Url,
    collection: &'static str,
    key: &str,
    id: &str,
    resource: Value,
) -> Result<()> {
    let path = ApiPath::new(collection).id(IdGrammar::Numeric, id)?;
    let put = json_io(Request::new(Method::PUT, path.under(root))).json(&json!({ key: resource }));
    t.send(put).await.map(|_| ())
}

/// A decimal field of a resource (`"29.000000"`).
fn decimal(resource: &Value, field: &str, what: &str) -> Result<Decimal> {
    resource
        .get(field)
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_f64().map(|f| f.to_string()))
        })
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| Error::decode(format!("$.{what}.{field}"), "not a decimal"))
}

/// Changes a product's price, title or status.
pub(crate) async fn update_product(
    t: &Transport,
    root: &Url,
    product: &str,
    change: &ProductChange<'_>,
) -> Result<()> {
    let mut p = read_whole(t, root, "products", "product", product).await?;
    if let Some(price) = change.price {
        p["price"] = json!(price.to_string());
    }
    if let Some(active) = change.active {
        p["active"] = json!(active);
    }
    if let Some(title) = change.title {
        p["name"] = match p.get("name") {
            Some(Value::Array(languages)) => Value::Array(
                languages
                    .iter()
                    .map(|l| json!({ "id": l.get("id").cloned().unwrap_or(json!("1")), "value": title }))
                    .collect(),
            ),
            _ => json!(title),
        };
    }
    if let Some(fields) = p.as_object_mut() {
        for field in NOT_WRITABLE {
            fields.remove(field);
        }
    }
    put_whole(t, root, "products", "product", product, p).await
}

/// Sets a combination's price: its impact becomes `price` minus the product's price.
pub(crate) async fn update_combination(
    t: &Transport,
    root: &Url,
    product: &str,
    combination: &str,
    change: &ProductChange<'_>,
) -> Result<()> {
    if change.title.is_some() || change.active.is_some() {
        return Err(Error::unsupported(
            PLATFORM,
            "a combination's title or status (they are its product's)",
        ));
    }
    let Some(price) = change.price else {
        return Err(Error::invalid("nothing to change on the combination"));
    };
    let mut c = read_whole(t, root, "combinations", "combination", combination).await?;
    let owner = c
        .get("id_product")
        .map(|v| v.to_string().trim_matches('"').to_owned());
    if owner.as_deref() != Some(product) {
        return Err(Error::not_found(format!(
            "combination {combination} of product {product}"
        )));
    }
    let p = read_whole(t, root, "products", "product", product).await?;
    let base = decimal(&p, "price", "product")?;
    c["price"] = json!((price - base).to_string());
    put_whole(t, root, "combinations", "combination", combination, c).await
}
