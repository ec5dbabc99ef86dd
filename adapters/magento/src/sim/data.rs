//! The simulated store as Magento documents: the kit's generated store rendered once
//! into the JSON shapes of Magento's REST answers (after the real payloads in
//! `fixtures/magento/`: sales orders with parent and child items and shipping
//! assignments, catalog products with stock items and custom attributes, customers
//! with address books, categories, MSI source items), then read and changed as JSON.
//! A product with several variants is a configurable product whose children are
//! simple products, not visible individually, as Magento keeps them.
//!
//! The real payloads are the templates: a generated order starts from the real order's
//! fields (amounts zeroed), its items from the real items', products' stock items from
//! the real stock item's, and the generated values are laid over them, so the
//! simulator sends every field Magento sends (`tests/shapes.rs` checks it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polycart_kit::sim::{
    SimAddress, SimFinancial, SimFulfillment, SimOrder, SimOrderState, SimStore,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ORDER_TEMPLATE: &str = include_str!(
    "../../../../fixtures/magento/order/get-order-3-simple-downloadable-bundle-configurable.json"
);
const PRODUCT_TEMPLATE: &str =
    include_str!("../../../../fixtures/magento/product/create-simple-product-ram-12gb.json");

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("the templates are the fixtures' JSON")
}

/// `v` with every number 0 (a template's amounts and ids are not the generated
/// record's).
fn zeroed(v: &Value) -> Value {
    match v {
        Value::Number(_) => json!(0),
        Value::Array(a) => Value::Array(a.iter().map(zeroed).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), zeroed(v))).collect()),
        other => other.clone(),
    }
}

/// `overlay` laid over `base`: objects member by member, anything else replaced.
fn merge(base: Value, overlay: Value) -> Value {
    match (base, overlay) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, o) => o,
    }
}

/// The real order's parts, amounts zeroed: (order, item, address, payment, shipping total).
type OrderTemplates = (Value, Value, Value, Value, Value);

fn order_templates() -> &'static OrderTemplates {
    static T: std::sync::OnceLock<OrderTemplates> = std::sync::OnceLock::new();
    T.get_or_init(read_order_templates)
}

fn read_order_templates() -> OrderTemplates {
    let real = parsed(ORDER_TEMPLATE);
    let mut top = zeroed(&real);
    for k in [
        "items",
        "billing_address",
        "payment",
        "status_histories",
        "extension_attributes",
    ] {
        top.as_object_mut().map(|o| o.remove(k));
    }
    (
        top,
        zeroed(&real["items"][0]),
        zeroed(&real["billing_address"]),
        zeroed(&real["payment"]),
        zeroed(&real["extension_attributes"]["shipping_assignments"][0]["shipping"]["total"]),
    )
}

/// Magento's timestamp: `YYYY-MM-DD HH:MM:SS`, UTC.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An amount as Magento writes it: a JSON number.
pub(crate) fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// The source code of a generated location (the first is Magento's `default`).
pub(crate) fn source_code(index: usize, id: u64) -> String {
    if index == 0 {
        "default".to_owned()
    } else {
        format!("warehouse_{id}")
    }
}

/// A select attribute: its id, code and options as (value id, label).
pub(crate) type SelectAttribute = (u64, String, Vec<(u64, String)>);

/// Every document the simulator serves.
#[derive(Debug, Default)]
pub(crate) struct Docs {
    pub currency: String,
    pub orders: BTreeMap<u64, Value>,
    /// Products and configurable children, by entity id.
    pub products: BTreeMap<u64, Value>,
    /// Children ids of each configurable product.
    pub children: BTreeMap<u64, Vec<u64>>,
    /// Select attributes of configurable options, by their label: (attribute id,
    /// attribute code, options as (value id, label)).
    pub attributes: BTreeMap<String, SelectAttribute>,
    pub customers: BTreeMap<u64, Value>,
    pub categories: BTreeMap<u64, Value>,
    pub sources: Vec<String>,
    pub source_items: Vec<Value>,
    pub shipments: Vec<Value>,
    /// Adobe Commerce webhook subscriptions.
    pub webhooks: Vec<Value>,
    pub creditmemos: Vec<Value>,
    pub next_id: u64,
}

impl Docs {
    pub(crate) fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The attribute labelled `name` and the option id of `value` in it, registered on
    /// first use (ids as Magento's EAV would give them: attributes from 93, options
    /// from 5000).
    pub(crate) fn option(&mut self, name: &str, value: &str) -> (u64, String, u64) {
        let next_attribute = 93 + self.attributes.len() as u64;
        let next_option = 5000
            + self
                .attributes
                .values()
                .map(|a| a.2.len() as u64)
                .sum::<u64>();
        let entry = self.attributes.entry(name.to_owned()).or_insert_with(|| {
            let code: String = name
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            (next_attribute, code, Vec::new())
        });
        let id = match entry.2.iter().find(|(_, l)| l == value) {
            Some((id, _)) => *id,
            None => {
                entry.2.push((next_option, value.to_owned()));
                next_option
            }
        };
        (entry.0, entry.1.clone(), id)
    }

    pub(crate) fn product_by_sku(&self, sku: &str) -> Option<u64> {
        self.products
            .iter()
            .find(|(_, p)| p["sku"].as_str() == Some(sku))
            .map(|(id, _)| *id)
    }
}

fn sales_address(a: &SimAddress, kind: &str, email: &str, parent: u64, id: u64) -> Value {
    let mut street = vec![a.address1.clone()];
    street.extend(a.address2.clone());
    json!({
        "address_type": kind,
        "city": a.city,
        "company": a.company,
        "country_id": a.country_code,
        "email": email,
        "entity_id": id,
        "firstname": a.first_name,
        "lastname": a.last_name,
        "parent_id": parent,
        "postcode": a.zip,
        "region": a.province,
        "region_code": a.province_code,
        "street": street,
        "telephone": a.phone.clone().unwrap_or_default(),
    })
}

fn state(o: &SimOrder) -> (&'static str, &'static str) {
    match (o.state, o.financial) {
        (_, SimFinancial::Refunded) => ("closed", "closed"),
        (SimOrderState::Pending, SimFinancial::Pending) => ("new", "pending"),
        (SimOrderState::Pending, _) => ("pending_payment", "pending_payment"),
        (SimOrderState::Open, _) => ("processing", "processing"),
        (SimOrderState::OnHold, _) => ("holded", "holded"),
        (SimOrderState::Completed, _) => ("complete", "complete"),
        (SimOrderState::Cancelled, _) => ("canceled", "canceled"),
        (SimOrderState::Failed, _) => ("canceled", "fraud"),
    }
}

/// Renders the generated store.
pub(crate) fn render(store: &SimStore) -> Docs {
    let mut d = Docs {
        currency: store.currency.to_owned(),
        next_id: store.next_id + 1_000_000,
        ..Docs::default()
    };
    d.sources = store
        .locations
        .iter()
        .enumerate()
        .map(|(i, l)| source_code(i, l.id))
        .collect();
    if d.sources.is_empty() {
        d.sources.push("default".to_owned());
    }
    let source_of = |loc: u64| {
        store
            .locations
            .iter()
            .position(|l| l.id == loc)
            .map_or_else(|| "default".to_owned(), |i| source_code(i, loc))
    };
    // Categories: a root (1) and the default category (2) above the generated ones.
    d.categories.insert(
        1,
        json!({"id": 1, "parent_id": 0, "name": "Root Catalog", "is_active": true, "position": 0, "level": 0, "path": "1", "children": "2", "created_at": "2020-01-01 00:00:00", "updated_at": "2020-01-01 00:00:00", "include_in_menu": true, "custom_attributes": []}),
    );
    d.categories.insert(
        2,
        json!({"id": 2, "parent_id": 1, "name": "Default Category", "is_active": true, "position": 1, "level": 1, "path": "1/2", "children": "", "created_at": "2020-01-01 00:00:00", "updated_at": "2020-01-01 00:00:00", "include_in_menu": true, "custom_attributes": []}),
    );
    for c in &store.categories {
        let parent = c.parent_id.unwrap_or(2);
        d.categories.insert(
            c.id,
            json!({
                "id": c.id,
                "parent_id": parent,
                "name": c.name,
                "is_active": true,
                "position": c.position,
                "level": if c.parent_id.is_some() { 3 } else { 2 },
                "children": "",
                "created_at": stamp(c.created_at),
                "updated_at": stamp(c.updated_at),
                "path": format!("1/2/{}", c.id),
                "include_in_menu": true,
                "available_sort_by": [],
                "custom_attributes": [
                    {"attribute_code": "url_key", "value": c.handle},
                    {"attribute_code": "description", "value": c.description_html},
                ],
            }),
        );
    }
    let stock_template = zeroed(&parsed(PRODUCT_TEMPLATE)["extension_attributes"]["stock_item"]);
    for p in store.products.iter().filter(|p| !p.deleted) {
        let categories: Vec<Value> = p
            .category_ids
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"position": i, "category_id": c.to_string()}))
            .collect();
        let status = match p.status {
            polycart_kit::sim::SimProductStatus::Active => 1,
            _ => 2,
        };
        let media: Vec<Value> = p
            .images
            .iter()
            .map(|i| {
                json!({"id": i.id, "media_type": "image", "label": i.alt, "position": i.position, "disabled": false, "types": if i.position <= 1 { json!(["image", "small_image", "thumbnail"]) } else { json!([]) }, "file": format!("/{}/{}.jpg", &p.handle[..1.min(p.handle.len())], i.id)})
            })
            .collect();
        let attrs = |extra: Vec<Value>| {
            let mut a = vec![
                json!({"attribute_code": "description", "value": p.description_html}),
                json!({"attribute_code": "url_key", "value": p.handle}),
                json!({"attribute_code": "category_ids", "value": p.category_ids.iter().map(|c| c.to_string()).collect::<Vec<_>>()}),
                json!({"attribute_code": "tax_class_id", "value": "2"}),
            ];
            a.extend(extra);
            a
        };
        let stock_item = |id: u64, qty: i64| {
            merge(
                stock_template.clone(),
                json!({"item_id": id, "product_id": id, "stock_id": 1, "qty": qty, "is_in_stock": qty > 0, "is_qty_decimal": false, "backorders": if qty < 0 { 1 } else { 0 }, "use_config_backorders": qty >= 0, "manage_stock": true, "min_qty": 0, "max_sale_qty": 10000, "min_sale_qty": 1, "notify_stock_qty": 1}),
            )
        };
        let configurable = p.variants.len() > 1;
        for v in &p.variants {
            for (loc, qty) in &v.stock {
                d.source_items.push(json!({"sku": v.sku, "source_code": source_of(*loc), "quantity": qty, "status": i32::from(*qty > 0)}));
            }
        }
        if configurable {
            let options: Vec<Value> = p
                .options
                .iter()
                .enumerate()
                .map(|(i, (name, values))| {
                    let ids: Vec<(u64, u64)> = values
                        .iter()
                        .map(|v| {
                            let (attribute, _, option) = d.option(name, v);
                            (attribute, option)
                        })
                        .collect();
                    let attribute = ids.first().map_or(0, |(a, _)| *a);
                    json!({"id": p.id * 10 + i as u64, "attribute_id": attribute.to_string(), "label": name, "position": i, "values": ids.iter().map(|(_, o)| json!({"value_index": o})).collect::<Vec<_>>(), "product_id": p.id})
                })
                .collect();
            let child_ids: Vec<u64> = p.variants.iter().map(|v| v.id).collect();
            let mut ext = json!({
                "website_ids": [1],
                "category_links": categories,
                "stock_item": stock_item(p.id, 0),
                "configurable_product_options": options,
                "configurable_product_links": child_ids,
            });
            ext["stock_item"]["is_in_stock"] = json!(true);
            d.products.insert(
                p.id,
                json!({
                    "id": p.id, "sku": p.handle, "name": p.title, "attribute_set_id": 4,
                    "price": 0, "status": status, "visibility": 4, "type_id": "configurable",
                    "created_at": stamp(p.created_at), "updated_at": stamp(p.updated_at),
                    "weight": num(Decimal::from(p.variants[0].weight_grams) / Decimal::from(1000)),
                    "extension_attributes": ext, "product_links": [], "options": [],
                    "media_gallery_entries": media, "tier_prices": [],
                    "custom_attributes": attrs(vec![]),
                }),
            );
            d.children.insert(p.id, child_ids);
            for v in &p.variants {
                let extra: Vec<Value> = p
                    .options
                    .iter()
                    .zip(&v.option_values)
                    .map(|((name, _), value)| {
                        let (_, code, option) = d.option(name, value);
                        json!({"attribute_code": code, "value": option.to_string()})
                    })
                    .collect();
                d.products.insert(
                    v.id,
                    json!({
                        "id": v.id, "sku": v.sku, "name": format!("{}-{}", p.title, v.title),
                        "attribute_set_id": 4, "price": num(v.price), "status": status,
                        "visibility": 1, "type_id": "simple",
                        "created_at": stamp(v.created_at), "updated_at": stamp(v.updated_at),
                        "weight": num(Decimal::from(v.weight_grams) / Decimal::from(1000)),
                        "extension_attributes": {"website_ids": [1], "category_links": [], "stock_item": stock_item(v.id, v.total_stock())},
                        "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [],
                        "custom_attributes": attrs(extra),
                    }),
                );
            }
        } else if let Some(v) = p.variants.first() {
            d.products.insert(
                p.id,
                json!({
                    "id": p.id, "sku": v.sku, "name": p.title, "attribute_set_id": 4,
                    "price": num(v.price), "status": status, "visibility": 4,
                    "type_id": if v.weight_grams == 0 { "virtual" } else { "simple" },
                    "created_at": stamp(p.created_at), "updated_at": stamp(p.updated_at.max(v.updated_at)),
                    "weight": num(Decimal::from(v.weight_grams) / Decimal::from(1000)),
                    "extension_attributes": {"website_ids": [1], "category_links": categories, "stock_item": stock_item(p.id, v.total_stock())},
                    "product_links": [], "options": [], "media_gallery_entries": media, "tier_prices": [],
                    "custom_attributes": attrs(vec![]),
                }),
            );
        }
    }
    for c in store.customers.iter().filter(|c| !c.deleted) {
        let addresses: Vec<Value> = c
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut street = vec![a.address1.clone()];
                street.extend(a.address2.clone());
                json!({
                    "id": c.id * 10 + i as u64, "customer_id": c.id,
                    "region": {"region_code": a.province_code, "region": a.province, "region_id": 0},
                    "region_id": 0, "country_id": a.country_code, "street": street,
                    "company": a.company, "telephone": a.phone.clone().unwrap_or_default(),
                    "postcode": a.zip, "city": a.city, "firstname": a.first_name, "lastname": a.last_name,
                    "default_shipping": i == 0, "default_billing": i == 0,
                })
            })
            .collect();
        let default = (!addresses.is_empty()).then(|| (c.id * 10).to_string());
        d.customers.insert(
            c.id,
            json!({
                "id": c.id, "group_id": 1, "default_billing": default, "default_shipping": default,
                "created_at": stamp(c.created_at), "updated_at": stamp(c.updated_at),
                "created_in": "Default Store View", "email": c.email,
                "firstname": c.first_name, "lastname": c.last_name,
                "store_id": 1, "website_id": 1, "addresses": addresses,
                "disable_auto_group_change": 0, "dob": null, "gender": 0,
                "extension_attributes": {"is_subscribed": c.accepts_marketing},
            }),
        );
    }
    for o in store.orders.iter().filter(|o| !o.deleted) {
        let (order, ships, memos) = order(o, store, &mut d);
        d.orders.insert(o.id, order);
        d.shipments.extend(ships);
        d.creditmemos.extend(memos);
    }
    d
}

/// An amount of a rendered item.
fn amount(v: &Value) -> Decimal {
    v.as_f64()
        .and_then(|f| Decimal::try_from(f).ok())
        .unwrap_or_default()
        .round_dp(4)
}

/// Sells the order's simple items (one or more) as one bundle, as Magento lists a
/// bundle: a `bundle` parent line with the parts' sums and quantity 1, the parts as
/// child lines (`parent_item_id`) keeping their own prices.
fn bundle(items: &mut Vec<Value>, o: &SimOrder) {
    let parts: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| i["product_type"] == "simple" && i["parent_item_id"].is_null())
        .map(|(n, _)| n)
        .collect();
    if parts.is_empty() {
        return;
    }
    let first = &items[parts[0]];
    let id = first["item_id"].as_u64().unwrap_or(0) + 7_000_000;
    let sum = |field: &str| -> Decimal { parts.iter().map(|n| amount(&items[*n][field])).sum() };
    let shipped = parts
        .iter()
        .all(|n| amount(&items[*n]["qty_shipped"]) >= amount(&items[*n]["qty_ordered"]));
    let skus: Vec<String> = parts
        .iter()
        .filter_map(|n| items[*n]["sku"].as_str().map(str::to_owned))
        .collect();
    let mut parent = first.clone();
    let fields = json!({
        "item_id": id, "product_type": "bundle", "sku": format!("bundle-{}", skus.join("-")),
        "name": format!("Bundle of {}", parts.len()),
        "product_id": first["product_id"].as_u64().unwrap_or(0) + 9_000_000,
        "qty_ordered": 1, "qty_shipped": i32::from(shipped), "qty_refunded": 0,
        "qty_invoiced": i32::from(!matches!(o.financial, SimFinancial::Pending)),
        "qty_canceled": i32::from(o.state == SimOrderState::Cancelled),
        "price": num(sum("row_total")), "base_price": num(sum("base_row_total")),
        "original_price": num(sum("row_total")), "base_original_price": num(sum("base_row_total")),
        "row_total": num(sum("row_total")), "base_row_total": num(sum("base_row_total")),
        "price_incl_tax": num(sum("row_total_incl_tax")), "base_price_incl_tax": num(sum("base_row_total_incl_tax")),
        "row_total_incl_tax": num(sum("row_total_incl_tax")), "base_row_total_incl_tax": num(sum("base_row_total_incl_tax")),
        "tax_amount": num(sum("tax_amount")), "base_tax_amount": num(sum("base_tax_amount")),
        "discount_amount": num(sum("discount_amount")), "base_discount_amount": num(sum("base_discount_amount")),
        "amount_refunded": 0, "base_amount_refunded": 0,
        "weight": num(sum("row_weight")), "row_weight": num(sum("row_weight")),
    });
    parent = merge(parent, fields);
    for n in &parts {
        items[*n]["parent_item_id"] = json!(id);
    }
    items.insert(parts[0], parent);
}

/// An order, its shipments and credit memos.
fn order(o: &SimOrder, store: &SimStore, d: &mut Docs) -> (Value, Vec<Value>, Vec<Value>) {
    let shown = o.presented();
    let base = o;
    let (top_t, item_t, address_t, payment_t, total_t) = order_templates();
    let (state, status) = state(o);
    let configurable_parent = |variant: u64| {
        store
            .products
            .iter()
            .find(|p| p.variants.len() > 1 && p.variants.iter().any(|v| v.id == variant))
    };
    let shipped = |line: u64| -> u32 {
        o.shipments
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|(l, _)| *l == line)
            .map(|(_, q)| *q)
            .sum()
    };
    let mut items = Vec::new();
    for (l, shown_l) in base.line_items.iter().zip(&shown.line_items) {
        let qty = Decimal::from(l.quantity);
        let row = l.gross();
        let shipped_qty = match o.fulfillment {
            SimFulfillment::Fulfilled => l.quantity,
            _ => shipped(l.id),
        };
        let refunded: u32 = o
            .refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|(id, _, _)| *id == l.id)
            .map(|(_, q, _)| *q)
            .sum();
        let parent = configurable_parent(l.variant_id);
        let mut item = json!({
            "item_id": l.id, "order_id": o.id, "parent_item_id": null,
            "sku": l.sku, "name": l.title,
            "product_id": parent.map_or(l.product_id, |p| p.id),
            "product_type": if parent.is_some() { "configurable" } else { "simple" },
            "is_virtual": 0, "qty_ordered": l.quantity, "qty_invoiced": if matches!(o.financial, SimFinancial::Pending) { 0 } else { l.quantity },
            "qty_shipped": shipped_qty, "qty_refunded": refunded, "qty_canceled": if o.state == SimOrderState::Cancelled { l.quantity } else { 0 },
            "price": num(shown_l.price), "base_price": num(l.price),
            "original_price": num(shown_l.price), "base_original_price": num(l.price),
            "price_incl_tax": num(shown_l.price + shown_l.tax / qty.max(Decimal::ONE)),
            "base_price_incl_tax": num(l.price + l.tax / qty.max(Decimal::ONE)),
            "row_total": num(shown_l.gross()), "base_row_total": num(row),
            "tax_amount": num(shown_l.tax), "base_tax_amount": num(l.tax),
            "discount_amount": num(shown_l.discount), "base_discount_amount": num(l.discount),
            "created_at": stamp(o.created_at), "updated_at": stamp(o.updated_at),
            "store_id": 1,
        });
        item.as_object_mut().map(|m| m.remove("parent_item_id"));
        let refunded_amount: Decimal = o
            .refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|(id, _, _)| *id == l.id)
            .map(|(_, _, a)| *a)
            .sum();
        let grams = store
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .find(|v| v.id == l.variant_id)
            .map_or(0, |v| v.weight_grams);
        let kg = Decimal::from(grams) / Decimal::from(1000);
        let extra = json!({
            "row_total_incl_tax": num(shown_l.gross() + shown_l.tax),
            "base_row_total_incl_tax": num(row + l.tax),
            "amount_refunded": num(o.presentment.map_or(refunded_amount, |p| p.convert(refunded_amount))),
            "base_amount_refunded": num(refunded_amount),
            "tax_percent": num(o.tax_rate * Decimal::from(100)),
            "weight": num(kg), "row_weight": num(kg * qty),
            "quote_item_id": l.id, "applied_rule_ids": if l.discount.is_zero() { "" } else { "1" },
            "row_invoiced": if matches!(o.financial, SimFinancial::Pending) { json!(0) } else { num(shown_l.gross()) },
            "base_row_invoiced": if matches!(o.financial, SimFinancial::Pending) { json!(0) } else { num(row) },
        });
        items.push(merge(merge(item_t.clone(), item), extra));
        if let Some(p) = parent {
            let child = json!({
                "item_id": l.id + 5_000_000, "order_id": o.id, "parent_item_id": l.id,
                "sku": l.sku, "name": format!("{}-{}", p.title, l.variant_title),
                "product_id": l.variant_id, "product_type": "simple", "is_virtual": 0,
                "qty_ordered": l.quantity, "qty_shipped": 0, "qty_refunded": 0, "qty_canceled": 0,
                "price": 0, "base_price": 0, "row_total": 0, "base_row_total": 0,
                "tax_amount": 0, "base_tax_amount": 0, "discount_amount": 0, "base_discount_amount": 0,
                "created_at": stamp(o.created_at), "updated_at": stamp(o.updated_at), "store_id": 1,
            });
            items.push(merge(item_t.clone(), child));
        }
    }
    if o.number.is_multiple_of(3) {
        bundle(&mut items, o);
    }
    let paid = match o.financial {
        SimFinancial::Paid | SimFinancial::PartiallyRefunded | SimFinancial::Refunded => Some(true),
        _ => None,
    };
    let discount = o.total_discount();
    let order = json!({
        "entity_id": o.id,
        "increment_id": format!("{:09}", o.number),
        "state": state, "status": status,
        "created_at": stamp(o.created_at), "updated_at": stamp(o.updated_at),
        "base_currency_code": o.currency, "global_currency_code": o.currency,
        "store_currency_code": o.currency, "order_currency_code": shown.currency,
        "base_to_order_rate": o.presentment.map_or(json!(1), |p| num(p.rate)),
        "base_subtotal": num(o.subtotal()), "subtotal": num(shown.subtotal()),
        "base_shipping_amount": num(o.shipping_price), "shipping_amount": num(shown.shipping_price),
        "base_tax_amount": num(o.total_tax()), "tax_amount": num(shown.total_tax()),
        "base_discount_amount": num(-discount), "discount_amount": num(-shown.total_discount()),
        "base_grand_total": num(o.total()), "grand_total": num(shown.total()),
        "customer_email": o.email,
        "customer_firstname": o.billing.first_name, "customer_lastname": o.billing.last_name,
        "customer_is_guest": i32::from(o.customer_id.is_none()),
        "customer_group_id": if o.customer_id.is_some() { 1 } else { 0 },
        "shipping_description": format!("{} - {}", o.shipping_carrier, o.shipping_method),
        "store_id": 1, "store_name": "Main Website\nMain Website Store\nDefault Store View",
        "total_item_count": items.len(), "total_qty_ordered": o.total_quantity(),
        "items": items,
        "billing_address": merge(address_t.clone(), sales_address(&o.billing, "billing", &o.email, o.id, o.id * 10)),
        "payment": merge(payment_t.clone(), json!({"method": "checkmo", "parent_id": o.id, "entity_id": o.id, "amount_ordered": num(shown.total()), "base_amount_ordered": num(o.total()), "shipping_amount": num(shown.shipping_price), "base_shipping_amount": num(o.shipping_price), "additional_information": ["Check / Money order", ""]})),
        "status_histories": [],
        "extension_attributes": {"shipping_assignments": [{"items": items.clone(), "shipping": {
            "address": merge(address_t.clone(), sales_address(&o.shipping_address, "shipping", &o.email, o.id, o.id * 10 + 1)),
            "method": format!("{}_{}", o.shipping_carrier.to_ascii_lowercase().replace(' ', ""), o.shipping_method.to_ascii_lowercase().replace(' ', "")),
            "total": merge(total_t.clone(), json!({"base_shipping_amount": num(o.shipping_price), "shipping_amount": num(shown.shipping_price), "base_shipping_incl_tax": num(o.shipping_price), "shipping_incl_tax": num(shown.shipping_price)})),
        }}]},
    });
    let paid_total = if paid.is_some() {
        o.total()
    } else {
        Decimal::ZERO
    };
    let extra = json!({
        "base_to_global_rate": 1, "store_to_base_rate": 0, "store_to_order_rate": 0,
        "is_virtual": 0, "email_sent": 1, "customer_note_notify": 1,
        "quote_id": o.id, "billing_address_id": o.id * 10,
        "applied_rule_ids": if discount.is_zero() { "" } else { "1" },
        "protect_code": format!("{:06x}", o.id.wrapping_mul(2_654_435_761) % 0xff_ffff),
        "base_subtotal_incl_tax": num(o.subtotal() + o.total_tax()),
        "subtotal_incl_tax": num(shown.subtotal() + shown.total_tax()),
        "base_shipping_incl_tax": num(o.shipping_price), "shipping_incl_tax": num(shown.shipping_price),
        "base_total_due": num(o.total() - paid_total),
        "total_due": num(if paid.is_some() { Decimal::ZERO } else { shown.total() }),
        "weight": num(o.line_items.iter().map(|l| Decimal::from(l.quantity)).sum::<Decimal>()),
    });
    let mut order = merge(merge(top_t.clone(), order), extra);
    if let Some(c) = o.customer_id {
        order["customer_id"] = json!(c);
    }
    if let Some((code, _)) = o.discount_codes.first() {
        order["coupon_code"] = json!(code);
        order["discount_description"] = json!(code);
    }
    if let Some(n) = &o.note {
        order["customer_note"] = json!(n);
    }
    if paid.is_some() {
        order["base_total_paid"] = num(o.total());
        order["total_paid"] = num(shown.total());
    }
    if !o.refunds.is_empty() {
        order["base_total_refunded"] = num(o.refunded());
        order["total_refunded"] = num(shown.refunded());
    }
    let ships: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| {
            json!({
                "entity_id": s.id, "order_id": o.id, "increment_id": format!("{:09}", s.id),
                "created_at": stamp(s.created_at), "updated_at": stamp(s.created_at),
                "total_qty": s.lines.iter().map(|(_, q)| q).sum::<u32>(),
                "items": s.lines.iter().map(|(l, q)| json!({"order_item_id": l, "qty": q, "parent_id": s.id})).collect::<Vec<_>>(),
                "tracks": [{"track_number": s.tracking_number, "title": s.carrier, "carrier_code": s.carrier.to_ascii_lowercase(), "order_id": o.id, "parent_id": s.id}],
                "comments": [],
            })
        })
        .collect();
    let memos: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| {
            json!({
                "entity_id": r.id, "order_id": o.id, "increment_id": format!("{:09}", r.id),
                "base_grand_total": num(r.amount), "base_currency_code": o.currency,
                "created_at": stamp(r.created_at), "updated_at": stamp(r.created_at),
                "state": 2,
                "items": r.lines.iter().map(|(l, q, a)| json!({"order_item_id": l, "qty": q, "base_row_total": num(*a), "parent_id": r.id})).collect::<Vec<_>>(),
                "comments": [{"comment": r.note, "parent_id": r.id}],
            })
        })
        .collect();
    let _ = d.fresh_id();
    (order, ships, memos)
}
