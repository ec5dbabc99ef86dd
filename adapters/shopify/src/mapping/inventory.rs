//! Inventory levels, from a REST inventory level or a GraphQL `InventoryLevel` node.

use super::*;

/// The platform id of an inventory level: `inventory_item_id:location_id`.
pub fn level_id(inventory_item_id: &str, location_id: &str) -> String {
    format!("{inventory_item_id}:{location_id}")
}

/// Maps a REST inventory level. The level names an inventory item, not a variant:
/// the adapter fills in variant, product and SKU from the catalogue it listed.
pub fn rest_inventory(raw: &RawValue) -> Result<InventoryLevel> {
    let l: rest::InventoryLevel = decode_json_borrowed(raw.get())?;
    let location = lid(&l.location_id);
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: level_id(&lid(&l.inventory_item_id), &location),
        product_id: None,
        variant_id: None,
        sku: None,
        location_id: Some(location),
        available: l.available,
        updated_at: date("$.updated_at", l.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `InventoryLevel` node; `available` is its `quantities(names:
/// ["available"])` entry.
pub fn gql_inventory(raw: &RawValue) -> Result<InventoryLevel> {
    let l: gql::InventoryLevel = decode_json_borrowed(raw.get())?;
    let item = l.item.as_ref().map(|i| lid(&i.id)).or_else(|| {
        // gid://shopify/InventoryLevel/1?inventory_item_id=2
        l.id.as_ref()?
            .0
            .split_once("inventory_item_id=")
            .map(|(_, v)| v.split('&').next().unwrap_or(v).to_owned())
    });
    let Some(item) = item else {
        return Err(Error::decode(
            "$.item.id",
            "an inventory level without its inventory item",
        ));
    };
    let Some(location) = l.location.as_ref().map(|r| lid(&r.id)) else {
        return Err(Error::decode(
            "$.location.id",
            "an inventory level without its location",
        ));
    };
    let variant = l.item.as_ref().and_then(|i| i.variant.as_ref());
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: level_id(&item, &location),
        product_id: variant.and_then(|v| v.product.as_ref()).map(|p| lid(&p.id)),
        variant_id: variant.map(|v| lid(&v.id)),
        sku: variant
            .and_then(|v| text(v.sku.clone()))
            .or_else(|| l.item.as_ref().and_then(|i| text(i.sku.clone()))),
        location_id: Some(location),
        available: l
            .quantities
            .iter()
            .find(|q| q.name == "available")
            .map(|q| q.quantity),
        updated_at: date("$.updatedAt", l.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}
