//! Etsy's writes.
//!
//! - **Price and stock** (`update_product` price, `set_inventory`):
//!   `PUT /listings/{listing_id}/inventory` replaces a listing's whole inventory, so
//!   the current one is read first (`GET …/inventory`), changed for the named
//!   products (Etsy's product is the variant) and sent back whole, prices as decimal
//!   numbers (`amount / divisor`, which the OAS asks for). Etsy refuses an inventory
//!   whose prices (stock) differ between products that agree on every property of
//!   `price_on_property` (`quantity_on_property`): a change that needs more
//!   properties names them all. The PUT sets absolute values, so repeating it is
//!   harmless; a stock delta is applied to the value just read, once.
//! - **Titles** (`update_product` title): `PATCH /shops/{shop_id}/listings/{id}`
//!   (`updateListing`) with `title` (1–140 characters), idempotent.
//! - **Shipments** (`create_shipment`): `POST /shops/{shop_id}/receipts/{id}/tracking`
//!   (`createReceiptShipment`) with `tracking_code` and `carrier_name`; it adds a
//!   shipment and emails the buyer, so it is never repeated blindly (the transport
//!   retries a POST only when Etsy provably did not act: a 429, a refused
//!   connection). Etsy ships whole receipts.

use std::collections::{BTreeMap, BTreeSet};

use http::Method;
use polycart_kit::{Entity, Error, InventoryChange, Record, Result, WriteOp};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::adapter::EtsyAdapter;
use crate::{PLATFORM, mapping, wire};

/// The most an Etsy offering stocks.
pub(crate) const MAX_STOCK: i64 = 999;

/// A change to some of a listing's products.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Change {
    Price(Decimal),
    Stock(InventoryChange),
}

/// Which products a change is for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Which {
    All,
    Product(String),
    Sku(String),
}

/// Applies `change` to the named products of `inv` and makes the `*_on_property`
/// lists hold what the new values depend on.
pub(crate) fn apply(inv: &mut wire::Inventory, which: &Which, change: Change) -> Result<()> {
    inv.products.retain(|p| !p.is_deleted);
    let mut hit = false;
    for p in &mut inv.products {
        let chosen = match which {
            Which::All => true,
            Which::Product(id) => &p.product_id.0 == id,
            Which::Sku(sku) => p.sku.as_deref() == Some(sku.as_str()),
        };
        if !chosen {
            continue;
        }
        hit = true;
        p.offerings.retain(|o| !o.is_deleted);
        let o = p
            .offerings
            .first_mut()
            .ok_or_else(|| Error::invalid(format!("product {} has no offering", p.product_id.0)))?;
        match change {
            Change::Price(price) => {
                let m = o.price.as_mut().ok_or_else(|| {
                    Error::invalid(format!("product {} has no price to change", p.product_id.0))
                })?;
                let divisor = Decimal::from(m.divisor);
                let minor = price * divisor;
                if minor.fract() != Decimal::ZERO || m.divisor <= 0 {
                    return Err(Error::invalid(format!(
                        "{price} has more decimal places than the currency"
                    )));
                }
                m.amount = i64::try_from(minor)
                    .map_err(|_| Error::invalid(format!("{price} is out of range")))?;
            }
            Change::Stock(c) => {
                let now = o.quantity.unwrap_or(0);
                let next = match c {
                    InventoryChange::Absolute(n) => n,
                    InventoryChange::Delta(d) => now.saturating_add(d),
                };
                if !(0..=MAX_STOCK).contains(&next) {
                    return Err(Error::invalid(format!(
                        "stock of product {} would be {next}; Etsy takes 0 to {MAX_STOCK}",
                        p.product_id.0
                    )));
                }
                o.quantity = Some(next);
            }
        }
    }
    if !hit {
        return Err(Error::not_found(match which {
            Which::All => "the listing has no product".to_owned(),
            Which::Product(id) => format!("product {id} in the listing"),
            Which::Sku(sku) => format!("a product with SKU {sku:?} in the listing"),
        }));
    }
    let all: Vec<i64> = inv
        .products
        .iter()
        .flat_map(|p| p.property_values.iter().map(|v| v.property_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    match change {
        Change::Price(_) => {
            let price = |p: &wire::InventoryProduct| {
                offering_key(p, |o| o.price.as_ref().map(|m| m.amount))
            };
            if !depends_only_on(&inv.products, &inv.price_on_property, price) {
                inv.price_on_property = all;
            }
        }
        Change::Stock(_) => {
            let stock = |p: &wire::InventoryProduct| offering_key(p, |o| o.quantity);
            if !depends_only_on(&inv.products, &inv.quantity_on_property, stock) {
                inv.quantity_on_property = all;
            }
        }
    }
    Ok(())
}

fn offering_key(
    p: &wire::InventoryProduct,
    f: impl Fn(&wire::Offering) -> Option<i64>,
) -> Option<i64> {
    p.offerings.first().and_then(f)
}

/// Whether `value` is the same for all products that agree on the properties
/// `props` (all products, when `props` is empty): what Etsy checks on a PUT.
pub(crate) fn depends_only_on(
    products: &[wire::InventoryProduct],
    props: &[i64],
    value: impl Fn(&wire::InventoryProduct) -> Option<i64>,
) -> bool {
    let mut seen: BTreeMap<Vec<(i64, Vec<String>)>, Option<i64>> = BTreeMap::new();
    for p in products {
        let key: Vec<(i64, Vec<String>)> = props
            .iter()
            .map(|id| {
                let values = p
                    .property_values
                    .iter()
                    .find(|v| v.property_id == *id)
                    .map(|v| v.values.clone())
                    .unwrap_or_default();
                (*id, values)
            })
            .collect();
        let v = value(p);
        match seen.get(&key) {
            Some(prev) if *prev != v => return false,
            Some(_) => {}
            None => {
                seen.insert(key, v);
            }
        }
    }
    true
}

/// A price as the JSON number Etsy's PUT takes, refused when a float would not
/// carry it exactly.
fn price_number(m: &wire::Money) -> Result<Value> {
    let exact = Decimal::from(m.amount) / Decimal::from(m.divisor.max(1));
    let float: f64 = exact
        .to_string()
        .parse()
        .map_err(|_| Error::invalid(format!("{exact} is not a price")))?;
    let back: Decimal = format!("{float}")
        .parse()
        .map_err(|_| Error::invalid(format!("{exact} is not a price")))?;
    if back != exact {
        return Err(Error::invalid(format!("{exact} cannot be sent exactly")));
    }
    serde_json::Number::from_f64(float)
        .map(Value::Number)
        .ok_or_else(|| Error::invalid(format!("{exact} is not a price")))
}

/// The `updateListingInventory` body for `inv`: every product and offering as read
/// (ids, deletion flags and read-only names left out), with their current values.
pub(crate) fn put_body(inv: &wire::Inventory) -> Result<Value> {
    let mut products = Vec::with_capacity(inv.products.len());
    for p in inv.products.iter().filter(|p| !p.is_deleted) {
        let mut offerings = Vec::new();
        for o in p.offerings.iter().filter(|o| !o.is_deleted) {
            let price = o.price.as_ref().ok_or_else(|| {
                Error::invalid(format!("product {} has no price", p.product_id.0))
            })?;
            offerings.push(json!({
                "price": price_number(price)?,
                "quantity": o.quantity.unwrap_or(0),
                "is_enabled": o.is_enabled,
                "readiness_state_id": o.readiness_state_id,
            }));
        }
        products.push(json!({
            "sku": p.sku.clone().unwrap_or_default(),
            "property_values": p.property_values.iter().map(|v| json!({
                "property_id": v.property_id,
                "value_ids": v.value_ids,
                "scale_id": v.scale_id,
                "property_name": v.property_name,
                "values": v.values,
            })).collect::<Vec<_>>(),
            "offerings": offerings,
        }));
    }
    let mut body = json!({
        "products": products,
        "price_on_property": inv.price_on_property,
        "quantity_on_property": inv.quantity_on_property,
        "sku_on_property": inv.sku_on_property,
    });
    if let Some(r) = &inv.readiness_state_on_property {
        body["readiness_state_on_property"] = json!(r);
    }
    Ok(body)
}

/// `update_product` (price) and `set_inventory`: read, change, put back whole.
pub(crate) async fn inventory(a: &EtsyAdapter, op: &WriteOp) -> Result<Record> {
    let (listing, which, change) = match op {
        WriteOp::UpdateProduct {
            product_id,
            variant_id,
            title,
            status,
            price,
            compare_at_price,
        } => {
            if status.is_some() || compare_at_price.is_some() {
                return Err(Error::unsupported(
                    PLATFORM,
                    "listing status and compare-at price",
                ));
            }
            if let Some(title) = title {
                if variant_id.is_some() {
                    return Err(Error::invalid(
                        "an Etsy product (variant) has no title of its own",
                    ));
                }
                update_title(a, product_id, title).await?;
                if price.is_none() {
                    return a.read(Entity::Product, product_id).await;
                }
            }
            let price = price.ok_or_else(|| Error::invalid("nothing to update: no price"))?;
            if price.is_sign_negative() {
                return Err(Error::invalid("a price cannot be negative"));
            }
            let which = variant_id.clone().map_or(Which::All, Which::Product);
            (product_id.clone(), which, Change::Price(price))
        }
        WriteOp::SetInventory {
            product_id,
            variant_id,
            sku,
            location_id,
            change,
        } => {
            if location_id.is_some() {
                return Err(Error::invalid("Etsy has no inventory locations"));
            }
            let listing = product_id
                .clone()
                .ok_or_else(|| Error::invalid("Etsy stock is set by product_id (the listing)"))?;
            let which = match (variant_id, sku) {
                (Some(v), _) => Which::Product(v.clone()),
                (None, Some(s)) => Which::Sku(s.clone()),
                (None, None) => Which::All,
            };
            (listing, which, Change::Stock(*change))
        }
        other => return Err(Error::unsupported(PLATFORM, other.name())),
    };
    // The listing must be this shop's (Etsy serves any shop's listing to a read).
    a.own_listing(&listing).await?;
    let path = polycart_kit::ApiPath::new("listings")
        .id(polycart_kit::IdGrammar::Numeric, &listing)?
        .lit("inventory");
    let url = path.under(a.api_root());
    let current: wire::Inventory = a
        .transport()
        .send(polycart_kit::transport::Request::get(url))
        .await?
        .json()?;
    let mut next = current;
    if which == Which::All && matches!(change, Change::Stock(_)) && next.products.len() > 1 {
        return Err(Error::invalid(
            "the listing has several products: name one (variant_id or sku)",
        ));
    }
    apply(&mut next, &which, change)?;
    let body = put_body(&next)?;
    // Absolute values: a repeated PUT leaves the same inventory.
    a.transport()
        .send(a.request(Method::PUT, &path, &body).idempotent(true))
        .await?;
    a.read(Entity::Product, &listing).await
}

/// The longest listing title Etsy takes.
pub(crate) const MAX_TITLE: usize = 140;

/// `PATCH /shops/{shop_id}/listings/{listing_id}` (`updateListing`) with a new
/// title: setting a value, so repeating it is harmless.
async fn update_title(a: &EtsyAdapter, listing: &str, title: &str) -> Result<()> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(Error::invalid(format!(
            "an Etsy listing title is 1 to {MAX_TITLE} characters"
        )));
    }
    let path = a
        .shop_path()
        .await?
        .lit("listings")
        .id(polycart_kit::IdGrammar::Numeric, listing)?;
    a.transport()
        .send(
            a.request(Method::PATCH, &path, &json!({ "title": title }))
                .idempotent(true),
        )
        .await
        .map(|_| ())
}

/// `create_shipment`: `createReceiptShipment`, never repeated blindly.
pub(crate) async fn shipment(a: &EtsyAdapter, op: &WriteOp) -> Result<Record> {
    let WriteOp::CreateShipment {
        order_id,
        carrier,
        tracking_number,
        line_items,
        ..
    } = op
    else {
        return Err(Error::unsupported(PLATFORM, op.name()));
    };
    if !line_items.is_empty() {
        return Err(Error::unsupported(
            PLATFORM,
            "shipping part of a receipt (Etsy ships whole receipts)",
        ));
    }
    let mut body = json!({ "send_bcc": false });
    if let Some(t) = tracking_number {
        body["tracking_code"] = json!(t);
    }
    if let Some(c) = carrier {
        body["carrier_name"] = json!(c);
    }
    let path = a
        .shop_path()
        .await?
        .lit("receipts")
        .id(polycart_kit::IdGrammar::Numeric, order_id)?
        .lit("tracking");
    let response = a
        .transport()
        .send(a.request(Method::POST, &path, &body).idempotent(false))
        .await?;
    // The answer is the receipt with its new shipment; it names the shop's currency.
    let raw: Box<serde_json::value::RawValue> = polycart_kit::error::decode_json(response.text()?)?;
    mapping::order(&raw, &polycart_kit::StoreContext::default())?
        .pop()
        .ok_or_else(|| Error::decode("$", "no receipt in the answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two colours × two sizes, priced by size only.
    fn inventory() -> wire::Inventory {
        let products = [("1", "Red", "S", 1000), ("2", "Red", "L", 1500), ("3", "Blue", "S", 1000), ("4", "Blue", "L", 1500)]
            .iter()
            .map(|(id, colour, size, price)| {
                serde_json::from_value(json!({
                    "product_id": id.parse::<i64>().unwrap(), "sku": format!("MUG-{colour}-{size}"), "is_deleted": false,
                    "offerings": [{"offering_id": 9, "quantity": 5, "is_enabled": true, "is_deleted": false,
                                   "price": {"amount": price, "divisor": 100, "currency_code": "USD"},
                                   "readiness_state_id": 7}],
                    "property_values": [
                        {"property_id": 200, "property_name": "Primary color", "scale_id": null, "value_ids": [1], "values": [colour]},
                        {"property_id": 100, "property_name": "Size", "scale_id": null, "value_ids": [2], "values": [size]}]
                }))
                .unwrap()
            })
            .collect();
        wire::Inventory {
            products,
            price_on_property: vec![100],
            quantity_on_property: vec![],
            sku_on_property: vec![100, 200],
            readiness_state_on_property: None,
        }
    }

    fn price(inv: &wire::Inventory, id: &str) -> i64 {
        let p = inv.products.iter().find(|p| p.product_id.0 == id).unwrap();
        p.offerings[0].price.as_ref().unwrap().amount
    }

    #[test]
    fn a_price_per_size_stays_per_size() {
        let mut inv = inventory();
        // Every product of the listing: one price, price_on_property left alone.
        apply(&mut inv, &Which::All, Change::Price(Decimal::new(1250, 2))).unwrap();
        assert!((1..=4).all(|i| price(&inv, &i.to_string()) == 1250));
        assert_eq!(inv.price_on_property, vec![100]);
    }

    #[test]
    fn a_price_for_one_colour_and_size_makes_price_depend_on_both() {
        let mut inv = inventory();
        apply(
            &mut inv,
            &Which::Product("2".into()),
            Change::Price(Decimal::new(1999, 2)),
        )
        .unwrap();
        assert_eq!(price(&inv, "2"), 1999);
        assert_eq!(price(&inv, "4"), 1500, "Blue L keeps its price");
        assert_eq!(inv.price_on_property, vec![100, 200]);
        let body = put_body(&inv).unwrap();
        assert_eq!(body["price_on_property"], json!([100, 200]));
        assert_eq!(body["products"][1]["offerings"][0]["price"], json!(19.99));
        assert_eq!(
            body["products"][1]["offerings"][0]["readiness_state_id"],
            json!(7)
        );
        assert!(
            body["products"][1].get("product_id").is_none(),
            "ids are not sent back"
        );
    }

    #[test]
    fn stock_by_sku_extends_quantity_on_property_and_refuses_negatives() {
        let mut inv = inventory();
        apply(
            &mut inv,
            &Which::Sku("MUG-Blue-S".into()),
            Change::Stock(InventoryChange::Delta(-2)),
        )
        .unwrap();
        let p = inv.products.iter().find(|p| p.product_id.0 == "3").unwrap();
        assert_eq!(p.offerings[0].quantity, Some(3));
        assert_eq!(inv.quantity_on_property, vec![100, 200]);
        let err = apply(
            &mut inv,
            &Which::Product("3".into()),
            Change::Stock(InventoryChange::Delta(-9)),
        );
        assert!(matches!(err, Err(Error::Invalid { .. })));
        for change in [
            InventoryChange::Absolute(1000),
            InventoryChange::Delta(i64::MAX),
        ] {
            let err = apply(&mut inv, &Which::Product("3".into()), Change::Stock(change));
            assert!(matches!(err, Err(Error::Invalid { .. })), "{change:?}");
        }
        assert!(matches!(
            apply(
                &mut inv,
                &Which::Product("77".into()),
                Change::Stock(InventoryChange::Absolute(1))
            ),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn prices_finer_than_the_currency_are_refused() {
        let mut inv = inventory();
        let err = apply(&mut inv, &Which::All, Change::Price(Decimal::new(12345, 3))).unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        assert_eq!(
            price_number(&wire::Money {
                amount: 1999,
                divisor: 100,
                currency_code: None
            })
            .unwrap(),
            json!(19.99)
        );
    }
}
