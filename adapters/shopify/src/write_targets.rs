//! What both write paths work out before they write: the variant a product's price
//! change is for, the location an inventory change happens at, and an order's note
//! with a new line appended (once).

use polycart_kit::model::{Entity, Record};
use polycart_kit::{Adapter, Error, Result};

use crate::ShopifyAdapter;

impl ShopifyAdapter {
    /// The variant a price change is for: the one named, or a single-variant
    /// product's only variant (its legacy id).
    pub(crate) async fn price_variant(
        &self,
        product_id: &str,
        variant_id: Option<&str>,
    ) -> Result<String> {
        if let Some(v) = variant_id {
            return Ok(v.to_owned());
        }
        match self.get(Entity::Product, product_id).await? {
            Record::Product(p) if p.variants.len() == 1 => Ok(p.variants[0].platform_id.clone()),
            _ => Err(Error::invalid(
                "a price change of a product with several variants needs a variant_id",
            )),
        }
    }

    /// The location named, or the shop's primary one (its legacy id).
    pub(crate) async fn write_location(&self, location_id: Option<&str>) -> Result<String> {
        if let Some(l) = location_id {
            return Ok(l.to_owned());
        }
        self.shop()
            .await?
            .primary_location_id
            .clone()
            .ok_or_else(|| Error::invalid("no location_id and the shop has no primary location"))
    }
}

/// `existing` with `note` appended on its own line, unless it is there already.
pub(crate) fn merged_note(existing: Option<&str>, note: &str) -> String {
    match existing.filter(|n| !n.is_empty()) {
        Some(existing) if existing.contains(note) => existing.to_owned(),
        Some(existing) => format!("{existing}\n{note}"),
        None => note.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_appended_once() {
        assert_eq!(merged_note(None, "b"), "b");
        assert_eq!(merged_note(Some(""), "b"), "b");
        assert_eq!(merged_note(Some("a"), "b"), "a\nb");
        assert_eq!(merged_note(Some("a\nb"), "b"), "a\nb");
    }
}
