//! Catalog payloads → unified products, categories and inventory levels.
//!
//! A product is any Magento type (`simple`, `configurable`, `bundle`, `grouped`,
//! `virtual`, `downloadable`; `product_type` keeps it). A configurable product's
//! variants are its children (`/V1/configurable-products/{sku}/children`), named by the
//! configurable options' labels, with the values' labels from the options' attributes
//! (`/V1/products/attributes/{id}`, [`OptionLabels`]; without them, the option ids the
//! product payload holds). `status` 1 is enabled
//! (active), 2 disabled (draft). A configurable product's own price (Magento keeps 0)
//! is `null`, its variants have theirs; composite types (configurable, bundle,
//! grouped) have no stock of their own (their children's, or `null`). Stock is `extension_attributes.stock_item.qty` (the
//! default source), negative with backorders kept; per-source stock is the MSI source
//! items. Custom attributes stay in `raw`; `description` and `url_key` are read.

use std::collections::{BTreeMap, HashMap};

use polycart_kit::error::Result;
use polycart_kit::model::{
    Category, Image, InventoryLevel, Product, ProductOption, ProductStatus, Raw, Variant, Weight,
};
use serde_json::value::RawValue;

use super::{Context, PLATFORM, date, money, read, text, whole};
use crate::wire::{self, SourceItem};

fn attribute_text(p: &wire::Product, code: &str) -> Option<String> {
    match p.attribute(code)? {
        serde_json::Value::String(s) => text(Some(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn weight(p: &wire::Product, ctx: &Context) -> Option<Weight> {
    Some(Weight {
        value: p.weight?.0,
        unit: ctx.weight_unit.clone()?,
    })
}

fn stock(p: &wire::Product) -> Option<i64> {
    whole(p.extension_attributes.as_ref()?.stock_item.as_ref()?.qty)
}

/// The select attributes behind configurable options, by attribute id: the attribute's
/// code (where a child keeps its value) and its options' labels by value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionLabels(pub HashMap<String, (String, HashMap<String, String>)>);

impl OptionLabels {
    /// Reads `GET /V1/products/attributes/{id}`.
    pub fn attribute(raw: &RawValue) -> Result<(String, HashMap<String, String>)> {
        let a: wire::Attribute = read(raw)?;
        let labels = a
            .options
            .iter()
            .filter_map(|o| Some((o.value.as_ref()?.0.clone(), text(o.label.as_ref())?)))
            .collect();
        Ok((a.attribute_code.unwrap_or_default(), labels))
    }
}

/// The attribute ids of a configurable product's options (none for other types).
pub fn option_attribute_ids(raw: &RawValue) -> Result<Vec<String>> {
    let p: wire::Product = read(raw)?;
    Ok(p.extension_attributes
        .map(|e| {
            e.configurable_product_options
                .into_iter()
                .filter_map(|o| o.attribute_id.map(|a| a.0))
                .collect()
        })
        .unwrap_or_default())
}

/// One configurable option: its name and attribute id.
type Named = (String, Option<String>);

fn variant(child: &wire::Product, named: &[Named], known: &OptionLabels, ctx: &Context) -> Variant {
    let options: BTreeMap<String, String> = named
        .iter()
        .filter_map(|(name, attribute)| {
            let found = attribute.as_ref().and_then(|a| known.0.get(a));
            // Without the attribute, its code is guessed from the label ("Size" → size).
            let code = found.map_or_else(
                || name.to_ascii_lowercase().replace(' ', "_"),
                |(code, _)| code.clone(),
            );
            let value = attribute_text(child, &code)?;
            let label = found
                .and_then(|(_, labels)| labels.get(&value).cloned())
                .unwrap_or(value);
            Some((name.clone(), label))
        })
        .collect();
    Variant {
        platform_id: child.id.0.clone(),
        sku: text(child.sku.as_ref()),
        barcode: None,
        options,
        price: money(child.price, ctx.currency.as_ref()),
        compare_at_price: None,
        inventory_quantity: stock(child),
        weight: weight(child, ctx),
        image_url: child
            .media_gallery_entries
            .iter()
            .find(|m| !m.disabled.0)
            .and_then(|m| image_url(m.file.as_deref()?, ctx)),
    }
}

fn image_url(file: &str, ctx: &Context) -> Option<String> {
    let file = file.trim();
    if file.is_empty() {
        return None;
    }
    Some(match &ctx.media_base {
        Some(base) => format!(
            "{}/{}",
            base.trim_end_matches('/'),
            file.trim_start_matches('/')
        ),
        None => file.to_owned(),
    })
}

/// A product with the children the adapter read for it (configurable products) and the
/// labels of its options' attributes (option values are ids without them).
pub fn product_with_children(
    raw: &RawValue,
    children: &[Box<RawValue>],
    known: &OptionLabels,
    ctx: &Context,
) -> Result<Product> {
    let p: wire::Product = read(raw)?;
    let ext = p.extension_attributes.clone().unwrap_or_default();
    let named: Vec<Named> = ext
        .configurable_product_options
        .iter()
        .filter_map(|o| {
            Some((
                text(o.label.as_ref())?,
                o.attribute_id.as_ref().map(|a| a.0.clone()),
            ))
        })
        .collect();
    let labels: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    let kids: Vec<wire::Product> = children
        .iter()
        .enumerate()
        .map(|(i, c)| read(c).map_err(|e| polycart_kit::decode::at_index(e, i, true)))
        .collect::<Result<_>>()?;
    let variants: Vec<Variant> = kids
        .iter()
        .map(|c| variant(c, &named, known, ctx))
        .collect();
    let options = labels
        .iter()
        .map(|l| {
            let mut values: Vec<String> = variants
                .iter()
                .filter_map(|v| v.options.get(l).cloned())
                .collect();
            values.sort();
            values.dedup();
            ProductOption {
                name: l.clone(),
                values,
            }
        })
        .collect();
    // Composite types carry a placeholder price and stock item (0): theirs are their
    // children's.
    let composite = matches!(
        p.type_id.as_deref(),
        Some("configurable" | "bundle" | "grouped")
    );
    let inventory_quantity = if variants.is_empty() {
        if composite { None } else { stock(&p) }
    } else if variants.iter().all(|v| v.inventory_quantity.is_some()) {
        Some(variants.iter().filter_map(|v| v.inventory_quantity).sum())
    } else {
        None
    };
    let mut category_ids: Vec<String> = ext
        .category_links
        .iter()
        .map(|l| l.category_id.0.clone())
        .collect();
    category_ids.dedup();
    let mut images: Vec<(i64, Image)> = p
        .media_gallery_entries
        .iter()
        .filter(|m| !m.disabled.0)
        .filter_map(|m| {
            Some((
                m.position.unwrap_or(0),
                Image {
                    url: image_url(m.file.as_deref()?, ctx)?,
                    alt: text(m.label.as_ref()),
                    position: m.position.and_then(|p| u32::try_from(p).ok()),
                },
            ))
        })
        .collect();
    images.sort_by_key(|(p, _)| *p);
    Ok(Product {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: p.id.0.clone(),
        name: text(p.name.as_ref()),
        sku: text(p.sku.as_ref()),
        description_html: attribute_text(&p, "description"),
        status: match p.status {
            Some(1) => Some(ProductStatus::Active),
            Some(2) => Some(ProductStatus::Draft),
            _ => None,
        },
        platform_status: p.status.map(|s| match s {
            1 => "enabled".to_owned(),
            2 => "disabled".to_owned(),
            other => other.to_string(),
        }),
        vendor: None,
        product_type: text(p.type_id.as_ref()),
        tags: Vec::new(),
        category_ids,
        images: images.into_iter().map(|(_, i)| i).collect(),
        price: if p.type_id.as_deref() == Some("configurable") {
            None
        } else {
            money(p.price, ctx.currency.as_ref())
        },
        compare_at_price: None,
        options,
        variants,
        inventory_quantity,
        created_at: date("$.created_at", p.created_at.as_ref())?,
        updated_at: date("$.updated_at", p.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// A category of `/V1/categories/list` or `/V1/categories/{id}`.
pub(crate) fn category(raw: &RawValue) -> Result<Category> {
    let c: wire::Category = read(raw)?;
    let attr = |code: &str| {
        c.custom_attributes
            .iter()
            .find(|a| a.attribute_code == code)
            .and_then(|a| a.value.as_str())
            .and_then(|s| text(Some(&s.to_owned())))
    };
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: c.id.0.clone(),
        name: text(c.name.as_ref()),
        // The root (id 1) has parent 0: no parent.
        parent_id: c.parent_id.filter(|p| p.0 != "0").map(|p| p.0),
        slug: attr("url_key"),
        description_html: attr("description"),
        position: c.position,
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// The category tree (`GET /V1/categories`), flattened parent first; each node's
/// `raw` is the node without its `children_data`.
pub(crate) fn category_tree(tree: &serde_json::Value) -> Result<Vec<polycart_kit::Record>> {
    let mut out = Vec::new();
    let mut stack = vec![(tree, String::from("$"))];
    while let Some((node, path)) = stack.pop() {
        let mut own = node.clone();
        let children = own
            .as_object_mut()
            .and_then(|o| o.remove("children_data"))
            .unwrap_or(serde_json::Value::Null);
        let raw = Raw::from_value(&own);
        let text = raw.get().to_owned();
        let boxed = RawValue::from_string(text)
            .map_err(|e| polycart_kit::Error::decode(path.clone(), e.to_string()))?;
        out.push(
            category(&boxed)
                .map_err(|e| polycart_kit::Error::decode(path.clone(), e.to_string()))?
                .into(),
        );
        if let Some(kids) = children.as_array() {
            for (i, _) in kids.iter().enumerate().rev() {
                stack.push((
                    &node["children_data"][i],
                    format!("{path}.children_data[{i}]"),
                ));
            }
        }
    }
    Ok(out)
}

/// An MSI source item: a SKU's stock at a source (`platform_id` is
/// `{source_code}:{sku}`).
pub fn source_item(raw: &RawValue) -> Result<InventoryLevel> {
    let s: SourceItem = read(raw)?;
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: format!("{}:{}", s.source_code, s.sku),
        product_id: None,
        variant_id: None,
        sku: Some(s.sku.clone()),
        location_id: Some(s.source_code.clone()),
        available: whole(s.quantity),
        updated_at: None,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// A product's legacy stock item as an inventory level at the `default` source
/// (`platform_id` `default:{sku}`); composite products (configurable, bundle, grouped)
/// have none of their own.
pub fn legacy_stock(raw: &RawValue) -> Result<Option<InventoryLevel>> {
    let p: wire::Product = read(raw)?;
    if matches!(
        p.type_id.as_deref(),
        Some("configurable" | "bundle" | "grouped")
    ) {
        return Ok(None);
    }
    let Some(sku) = text(p.sku.as_ref()) else {
        return Ok(None);
    };
    Ok(Some(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: format!("default:{sku}"),
        product_id: Some(p.id.0.clone()),
        variant_id: None,
        sku: Some(sku),
        location_id: Some("default".to_owned()),
        available: stock(&p),
        updated_at: date("$.updated_at", p.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    }))
}
