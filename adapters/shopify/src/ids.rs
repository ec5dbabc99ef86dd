//! Shopify's record ids as callers give them — a legacy numeric id or a GID of the
//! expected type — checked before any request, so no id can change a REST path or
//! name another resource in a GraphQL variable.

use polycart_kit::model::Entity;
use polycart_kit::{ApiPath, Error, IdGrammar, IdRole, Result};

/// The GID type of an entity's records.
pub(crate) fn kind_of(entity: Entity) -> &'static str {
    match entity {
        Entity::Order => "Order",
        Entity::Product => "Product",
        Entity::Customer => "Customer",
        Entity::Category => "Collection",
        Entity::Inventory => "InventoryLevel",
    }
}

/// A record id as `get` takes it: the legacy id of an entity's record, or an
/// inventory level's `item:location` pair, checked.
pub(crate) fn record(entity: Entity, raw: &str) -> Result<String> {
    match entity {
        Entity::Inventory => {
            let (item, location) = inventory_level(raw)?;
            Ok(format!("{item}:{location}"))
        }
        other => Ok(legacy(kind_of(other), raw)?.to_owned()),
    }
}

/// An id inside a write, checked and made a legacy numeric id.
pub(crate) fn of_role(role: IdRole, raw: &str) -> Result<String> {
    let kind = match role {
        IdRole::Product => "Product",
        IdRole::Variant => "ProductVariant",
        IdRole::Order => "Order",
        IdRole::Location => "Location",
        IdRole::LineItem => "LineItem",
    };
    Ok(legacy(kind, raw)?.to_owned())
}

/// The legacy numeric id in `raw` (`"450789469"` or `"gid://shopify/Order/450789469"`).
pub(crate) fn legacy<'a>(kind: &str, raw: &'a str) -> Result<&'a str> {
    let id = match raw.strip_prefix("gid://shopify/") {
        Some(rest) => rest
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| Error::not_found(format!("{raw:?} (not a {kind} id)")))?,
        None => raw,
    };
    IdGrammar::Numeric.check(id)
}

/// The GID of a `kind` record (`gid://shopify/Order/450789469`).
pub(crate) fn gid(kind: &str, raw: &str) -> Result<String> {
    Ok(format!("gid://shopify/{kind}/{}", legacy(kind, raw)?))
}

/// `{resource}/{id}.json`.
pub(crate) fn record_path(resource: &'static str, kind: &str, raw: &str) -> Result<ApiPath> {
    Ok(ApiPath::new(resource)
        .num(legacy(kind, raw)?)?
        .suffix(".json"))
}

/// An inventory level's id: `inventory_item_id:location_id`, both numeric.
pub(crate) fn inventory_level(raw: &str) -> Result<(&str, &str)> {
    // Like any id outside the platform's grammar, one without the pair names no record.
    let (item, location) = raw.split_once(':').ok_or_else(|| {
        Error::not_found(format!(
            "{:?} (an inventory level id is inventory_item_id:location_id)",
            polycart_kit::error::excerpt(raw, 40)
        ))
    })?;
    Ok((
        legacy("InventoryItem", item)?,
        legacy("Location", location)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numeric_or_gids_of_their_kind() {
        assert_eq!(legacy("Order", "42").unwrap(), "42");
        assert_eq!(legacy("Order", "gid://shopify/Order/42").unwrap(), "42");
        assert!(legacy("Order", "gid://shopify/Product/42").is_err());
        assert!(legacy("Order", "gid://shopify/Order/../Product/1").is_err());
        assert!(legacy("Order", "st_abc:42").is_err());
        for bad in polycart_kit::path::HOSTILE_IDS {
            assert!(legacy("Order", bad).is_err(), "{bad:?}");
            assert!(gid("Order", bad).is_err(), "{bad:?}");
        }
        assert_eq!(inventory_level("1:2").unwrap(), ("1", "2"));
        assert!(inventory_level("1:../2").is_err());
        assert!(matches!(inventory_level("1"), Err(Error::NotFound { .. })));
    }
}
