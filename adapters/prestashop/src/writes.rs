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
//! - product price: the product read whole, `price` changed, `PUT /api/products/{id}`
//!   (PrestaShop replaces the whole resource) without the fields it refuses to take
//!   back (`manufacturer_name`, `quantity`, `position_in_category`).

use http::Method;
use polycart_kit::model::OrderStatus;
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{ApiPath, Error, IdGrammar, InventoryChange, Result};
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
