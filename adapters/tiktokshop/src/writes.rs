//! TikTok Shop's writes, each read back from the platform afterwards:
//!
//! - a SKU's price: `POST /product/202309/products/{id}/prices/update`
//!   (`{"skus":[{"id","price":{"amount","currency"}}]}`, the currency the SKU is priced
//!   in);
//! - a SKU's stock in one warehouse: `POST /product/202309/products/{id}/inventory/update`
//!   with every warehouse of the SKU (TikTok refuses a list that leaves one out), the
//!   others at their current quantity; absolute quantities only. TikTok answers a
//!   refused SKU with `code: 0` and `data.errors`, read as a failure;
//! - a seller-shipped order marked shipped: `POST /fulfillment/202309/orders/{id}/packages`
//!   (`tracking_number`, `shipping_provider_id`, `order_line_item_ids`), the carrier
//!   name resolved to TikTok's provider id through the order's delivery option
//!   (`GET /logistics/202309/delivery_options/{id}/shipping_providers`).
//!
//! Setting a price or a stock level twice is the same as once, so those are retried;
//! marking a package shipped is not, and is never repeated blindly.

use polycart_kit::adapter::{InventoryChange, ShipmentItem, WriteOp};
use polycart_kit::transport::Request;
use polycart_kit::{ApiPath, Error, IdGrammar, Result};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::PLATFORM;
use crate::wire;

/// The largest stock TikTok takes per warehouse.
pub(crate) const MAX_QUANTITY: i64 = 99_999;

/// A request the adapter sends: its path under the API root, method and body.
#[derive(Debug)]
pub(crate) struct Call {
    pub path: ApiPath,
    pub body: Value,
    pub idempotent: bool,
}

impl Call {
    pub(crate) fn request(self, root: &url::Url, cipher: &str) -> Request {
        Request::post(self.path.under(root))
            .query([("shop_cipher", cipher)])
            .json(&self.body)
            .idempotent(self.idempotent)
    }
}

fn product_path(product_id: &str, action: &[&'static str]) -> Result<ApiPath> {
    let mut path = ApiPath::new("product/202309/products").id(IdGrammar::Numeric, product_id)?;
    for a in action {
        path = path.lit(a);
    }
    Ok(path)
}

/// The SKU a write names: by id, by seller SKU, or the product's only one.
pub(crate) fn pick_sku<'a>(
    product: &'a wire::Product,
    variant_id: Option<&str>,
    seller_sku: Option<&str>,
) -> Result<&'a wire::Sku> {
    match (variant_id, seller_sku, product.skus.as_slice()) {
        (Some(v), _, skus) => skus
            .iter()
            .find(|s| s.id.0 == v)
            .ok_or_else(|| Error::not_found(format!("variant {v} of product {}", product.id.0))),
        (None, Some(sku), skus) => skus
            .iter()
            .find(|s| s.seller_sku.as_deref() == Some(sku))
            .ok_or_else(|| Error::not_found(format!("SKU {sku:?} of product {}", product.id.0))),
        (None, None, [only]) => Ok(only),
        (None, None, skus) => Err(Error::invalid(format!(
            "the product has {} SKUs: name one with variant_id",
            skus.len()
        ))),
    }
}

/// The price update for a SKU of `product`.
pub(crate) fn price_update(
    product: &wire::Product,
    variant_id: Option<&str>,
    price: Decimal,
) -> Result<Call> {
    if price <= Decimal::ZERO || price > Decimal::from(100_000_000) {
        return Err(Error::invalid("price must be positive and below 100000000"));
    }
    let sku = pick_sku(product, variant_id, None)?;
    let currency = sku
        .price
        .as_ref()
        .and_then(|p| p.currency.clone())
        .ok_or_else(|| Error::invalid("the SKU has no price currency to write in"))?;
    Ok(Call {
        path: product_path(&product.id.0, &["prices", "update"])?,
        body: json!({ "skus": [{
            "id": sku.id.0,
            "price": { "amount": price.normalize().to_string(), "currency": currency },
        }]}),
        idempotent: true,
    })
}

/// The inventory update setting one warehouse of a SKU of `product`.
pub(crate) fn inventory_update(
    product: &wire::Product,
    variant_id: Option<&str>,
    seller_sku: Option<&str>,
    location_id: Option<&str>,
    change: &InventoryChange,
) -> Result<Call> {
    let quantity = match change {
        InventoryChange::Absolute(n) if (0..=MAX_QUANTITY).contains(n) => *n,
        InventoryChange::Absolute(_) => {
            return Err(Error::invalid(format!(
                "stock must be between 0 and {MAX_QUANTITY}"
            )));
        }
        InventoryChange::Delta(_) => {
            return Err(Error::unsupported(
                PLATFORM,
                "stock deltas (TikTok Shop sets absolute quantities per warehouse)",
            ));
        }
    };
    let sku = pick_sku(product, variant_id, seller_sku)?;
    let warehouses: Vec<(&str, i64)> = sku
        .inventory
        .iter()
        .filter_map(|w| Some((w.warehouse_id.as_ref()?.0.as_str(), w.quantity.unwrap_or(0))))
        .collect();
    let target = match (location_id, warehouses.as_slice()) {
        (Some(l), ws) if ws.iter().any(|(w, _)| *w == l) => l.to_owned(),
        (Some(l), _) => {
            return Err(Error::invalid(format!(
                "warehouse {l} does not stock this SKU"
            )));
        }
        (None, [(only, _)]) => (*only).to_owned(),
        (None, ws) => {
            return Err(Error::invalid(format!(
                "the SKU is stocked in {} warehouses: name one with location_id",
                ws.len()
            )));
        }
    };
    let inventory: Vec<Value> = warehouses
        .iter()
        .map(|(w, q)| {
            let q = if *w == target { quantity } else { *q };
            json!({ "warehouse_id": w, "quantity": q })
        })
        .collect();
    Ok(Call {
        path: product_path(&product.id.0, &["inventory", "update"])?,
        body: json!({ "skus": [{ "id": sku.id.0, "inventory": inventory }] }),
        idempotent: true,
    })
}

/// The unit ids (`order_line_item_ids`) of the unified lines and quantities asked for:
/// a unified line is the units of one SKU, named by its first unit's id; units not yet
/// in a package are taken first.
pub(crate) fn unit_ids(order: &wire::Order, items: &[ShipmentItem]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for item in items {
        let Some(named) = order
            .line_items
            .iter()
            .find(|u| u.id.0 == item.line_item_id)
        else {
            return Err(Error::not_found(format!("line item {}", item.line_item_id)));
        };
        let key = crate::mapping::unit_key(named);
        let mut units: Vec<&wire::LineItem> = order
            .line_items
            .iter()
            .filter(|u| crate::mapping::unit_key(u) == key && !out.contains(&u.id.0))
            .collect();
        units.sort_by_key(|u| u.package_id.is_some());
        let wanted = item.quantity as usize;
        if wanted == 0 || units.len() < wanted {
            return Err(Error::invalid(format!(
                "line item {} has {} units, {wanted} asked",
                item.line_item_id,
                units.len()
            )));
        }
        out.extend(units.into_iter().take(wanted).map(|u| u.id.0.clone()));
    }
    Ok(out)
}

/// The provider id for a carrier: digits are taken as TikTok's id, a name is looked up
/// among the providers of the order's delivery option (case-insensitive).
pub(crate) fn provider_id(carrier: &str, providers: &[wire::ShippingProvider]) -> Result<String> {
    if !carrier.is_empty() && carrier.len() <= 20 && carrier.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(carrier.to_owned());
    }
    providers
        .iter()
        .find(|p| p.name.trim().eq_ignore_ascii_case(carrier.trim()))
        .map(|p| p.id.0.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).take(20).collect();
            Error::invalid(format!(
                "carrier {:?} is not a shipping provider of the order's delivery option (known: {})",
                polycart_kit::error::sanitise(carrier, 60),
                names.join(", ")
            ))
        })
}

/// Mark-as-shipped for `order_id`.
pub(crate) fn mark_shipped(
    order_id: &str,
    tracking_number: &str,
    provider: &str,
    units: Vec<String>,
) -> Result<Call> {
    let tracking = tracking_number.trim();
    if tracking.is_empty() || tracking.len() > 64 {
        return Err(Error::invalid(
            "a tracking number of 1 to 64 characters is required",
        ));
    }
    let mut body = json!({ "tracking_number": tracking, "shipping_provider_id": provider });
    if !units.is_empty() {
        body["order_line_item_ids"] = json!(units);
    }
    Ok(Call {
        path: ApiPath::new("fulfillment/202309/orders")
            .id(IdGrammar::Numeric, order_id)?
            .lit("packages"),
        body,
        idempotent: false,
    })
}

/// What a write names, for the error of an operation TikTok Shop does not have.
pub(crate) fn unsupported(op: &WriteOp) -> Error {
    Error::unsupported(PLATFORM, op.name())
}

/// Reads a write's answer: `data.errors` (with `code: 0`) is a refusal.
pub(crate) fn check_answer(text: &str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Option<wire::WriteResult>,
    }
    let answer: Answer = polycart_kit::error::decode_json(text)?;
    match answer.data.map(|d| d.errors).unwrap_or_default().as_slice() {
        [] => Ok(()),
        errors => Err(Error::invalid(
            errors
                .iter()
                .map(|e| {
                    format!(
                        "code {}: {}",
                        e.code.unwrap_or_default(),
                        polycart_kit::error::sanitise(
                            e.message.as_deref().unwrap_or_default(),
                            120
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> wire::Product {
        serde_json::from_str(
            r#"{"id":"1729592969712207008","skus":[
              {"id":"1729592969712207012","seller_sku":"RED","price":{"currency":"USD","sale_price":"1.00"},
               "inventory":[{"warehouse_id":"7068517275539719942","quantity":5},{"warehouse_id":"7068517275539719943","quantity":7}]},
              {"id":"1729592969712207013","seller_sku":"BLUE","price":{"currency":"USD","sale_price":"2.00"},
               "inventory":[{"warehouse_id":"7068517275539719942","quantity":1}]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn an_inventory_update_names_every_warehouse_of_the_sku() {
        let call = inventory_update(
            &product(),
            Some("1729592969712207012"),
            None,
            Some("7068517275539719943"),
            &InventoryChange::Absolute(17),
        )
        .unwrap();
        assert_eq!(
            call.path.as_str(),
            "product/202309/products/1729592969712207008/inventory/update"
        );
        assert_eq!(
            call.body,
            json!({"skus":[{"id":"1729592969712207012","inventory":[
                {"warehouse_id":"7068517275539719942","quantity":5},
                {"warehouse_id":"7068517275539719943","quantity":17}]}]})
        );
        assert!(call.idempotent);
        // Two warehouses and none named: refused, not guessed.
        assert!(
            inventory_update(
                &product(),
                Some("1729592969712207012"),
                None,
                None,
                &InventoryChange::Absolute(1)
            )
            .is_err()
        );
        // By seller SKU, one warehouse.
        let by_sku = inventory_update(
            &product(),
            None,
            Some("BLUE"),
            None,
            &InventoryChange::Absolute(0),
        )
        .unwrap();
        assert_eq!(by_sku.body["skus"][0]["id"], "1729592969712207013");
        assert!(matches!(
            inventory_update(
                &product(),
                None,
                Some("BLUE"),
                None,
                &InventoryChange::Delta(-1)
            ),
            Err(Error::Unsupported { .. })
        ));
        assert!(
            inventory_update(
                &product(),
                None,
                Some("BLUE"),
                None,
                &InventoryChange::Absolute(100_000)
            )
            .is_err()
        );
    }

    #[test]
    fn a_price_update_is_an_exact_string_in_the_skus_currency() {
        let call = price_update(
            &product(),
            Some("1729592969712207013"),
            Decimal::new(123_450, 4),
        )
        .unwrap();
        assert_eq!(
            call.body,
            json!({"skus":[{"id":"1729592969712207013","price":{"amount":"12.345","currency":"USD"}}]})
        );
        assert!(
            price_update(&product(), None, Decimal::ONE).is_err(),
            "two SKUs, none named"
        );
        assert!(price_update(&product(), Some("1729592969712207013"), Decimal::ZERO).is_err());
    }

    #[test]
    fn errors_inside_a_success_are_a_refusal() {
        let text = include_str!("../../../fixtures/tiktokshop/write/update-inventory-errors.json");
        let err = check_answer(text).unwrap_err();
        assert!(err.to_string().contains("12052990"), "{err}");
        assert!(check_answer(r#"{"code":0,"data":{},"message":"Success"}"#).is_ok());
    }

    #[test]
    fn carriers_resolve_to_provider_ids() {
        let providers: Vec<wire::ShippingProvider> =
            serde_json::from_str(r#"[{"id":"6617675021119438849","name":"UPS"}]"#).unwrap();
        assert_eq!(
            provider_id("ups", &providers).unwrap(),
            "6617675021119438849"
        );
        assert_eq!(provider_id("123", &providers).unwrap(), "123");
        assert!(provider_id("Pigeon", &providers).is_err());
        assert!(mark_shipped("1", " ", "1", Vec::new()).is_err());
        let call = mark_shipped("576461413038785752", "1Z", "9", vec!["5".into()]).unwrap();
        assert!(!call.idempotent);
        assert_eq!(
            call.path.as_str(),
            "fulfillment/202309/orders/576461413038785752/packages"
        );
    }
}
