//! Renders the generated store as WooCommerce wc/v3 JSON, shaped after the real payloads
//! in `fixtures/woocommerce` (dates site-local with `_gmt` twins, amounts as strings,
//! line-item `price` as a number, `_links`).

use chrono::{DateTime, Duration, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimImage, SimLineItem, SimOrder,
    SimOrderState, SimProduct, SimProductStatus, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Extra;

/// The simulated site's timezone: UTC-5 without daylight saving.
pub(crate) const SITE_OFFSET_HOURS: i64 = -5;

pub(crate) fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub(crate) fn local(t: DateTime<Utc>) -> String {
    gmt(t + Duration::hours(SITE_OFFSET_HOURS))
}

fn dates(v: &mut Value, name: &str, t: Option<DateTime<Utc>>) {
    v[name] = t.map_or(Value::Null, |t| Value::String(local(t)));
    v[format!("{name}_gmt")] = t.map_or(Value::Null, |t| Value::String(gmt(t)));
}

/// Adds `extra`'s fields to the object `v` (a record too large for one `json!`).
fn extend(v: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(more)) = (v, extra) {
        target.extend(more);
    }
}

fn money(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string()
}

/// A JSON number, as WooCommerce sends line-item prices (a PHP float).
fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn links(site: &str, path: &str, collection: &str) -> Value {
    json!({
        "self": [{"href": format!("{site}/wp-json/wc/v3/{path}")}],
        "collection": [{"href": format!("{site}/wp-json/wc/v3/{collection}")}]
    })
}

fn address(a: Option<&SimAddress>, email: Option<&str>, phone: Option<&str>) -> Value {
    let Some(a) = a else {
        return json!({"first_name":"","last_name":"","company":"","address_1":"","address_2":"","city":"","state":"","postcode":"","country":""});
    };
    let mut v = json!({
        "first_name": a.first_name, "last_name": a.last_name,
        "company": a.company.clone().unwrap_or_default(),
        "address_1": a.address1, "address_2": a.address2.clone().unwrap_or_default(),
        "city": a.city, "state": a.province_code, "postcode": a.zip, "country": a.country_code,
    });
    if let Some(e) = email {
        v["email"] = json!(e);
    }
    if let Some(p) = phone {
        v["phone"] = json!(p);
    }
    v
}

/// WooCommerce's status for a generated order (an override from a write wins).
pub(crate) fn order_status(o: &SimOrder, extra: &Extra) -> String {
    if let Some(s) = extra.order_status.get(&o.id) {
        return s.clone();
    }
    if o.financial == SimFinancial::Refunded {
        return "refunded".into();
    }
    match o.state {
        SimOrderState::Pending => "pending",
        SimOrderState::Open => "processing",
        SimOrderState::OnHold => "on-hold",
        SimOrderState::Completed => "completed",
        SimOrderState::Cancelled => "cancelled",
        SimOrderState::Failed => "failed",
    }
    .into()
}

/// The id of the one tax rate the simulated site charges (`tax_lines[].rate_id`, the
/// `id` of a line item's `taxes`).
const TAX_RATE_ID: u64 = 1;

/// A line item's tax before its discount (WooCommerce's `subtotal_tax`).
fn subtotal_tax(o: &SimOrder, l: &SimLineItem) -> Decimal {
    (l.gross() * o.tax_rate).round_dp(2)
}

pub(crate) fn is_variable(p: &SimProduct) -> bool {
    !p.options.is_empty() && p.variants.len() > 1
}

pub(crate) fn order(
    o: &SimOrder,
    products: &[SimProduct],
    extra: &Extra,
    site: &str,
    tracking: bool,
) -> Value {
    let paid = matches!(
        o.financial,
        SimFinancial::Paid | SimFinancial::PartiallyRefunded | SimFinancial::Refunded
    );
    let line_items: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let variable = products.iter().find(|p| p.id == l.product_id).is_some_and(is_variable);
            let gross = l.gross();
            let total = gross - l.discount;
            // `subtotal_tax` is the tax before the line's discount, `total_tax` after it.
            let subtotal_tax = subtotal_tax(o, l);
            json!({
                "id": l.id,
                "name": if variable { format!("{} - {}", l.title, l.variant_title) } else { l.title.clone() },
                "product_id": l.product_id,
                "variation_id": if variable { l.variant_id } else { 0 },
                "quantity": l.quantity,
                "tax_class": "",
                "subtotal": money(gross),
                "subtotal_tax": money(subtotal_tax),
                "total": money(total),
                "total_tax": money(l.tax),
                "taxes": if l.tax.is_zero() { json!([]) } else {
                    json!([{"id": TAX_RATE_ID, "total": money(l.tax), "subtotal": money(subtotal_tax)}])
                },
                "meta_data": [],
                "sku": l.sku,
                "price": number(total / Decimal::from(l.quantity.max(1))),
            })
        })
        .collect();
    let mut meta = Vec::new();
    if tracking {
        let mut items: Vec<Value> = o
            .shipments
            .iter()
            .map(|s| {
                json!({"tracking_provider": s.carrier, "custom_tracking_provider": "", "custom_tracking_link": s.tracking_url,
                       "tracking_number": s.tracking_number, "date_shipped": s.created_at.timestamp().to_string(),
                       "tracking_id": format!("{:x}", s.id)})
            })
            .collect();
        items.extend(extra.trackings.get(&o.id).cloned().unwrap_or_default());
        if !items.is_empty() {
            meta.push(
                json!({"id": o.id * 10 + 1, "key": "_wc_shipment_tracking_items", "value": items}),
            );
        }
    }
    let mut v = json!({
        "id": o.id,
        "parent_id": 0,
        "number": o.number.to_string(),
        "order_key": format!("wc_order_{:x}", o.id * 7919),
        "created_via": if o.source == "pos" { "pos" } else { "checkout" },
        "version": "9.4.2",
        "status": order_status(o, extra),
        "currency": o.currency,
        "discount_total": money(o.total_discount()),
        "discount_tax": money(o.line_items.iter().map(|l| subtotal_tax(o, l) - l.tax).sum()),
        "shipping_total": money(o.shipping_price),
        "shipping_tax": "0.00",
        "cart_tax": money(o.total_tax()),
        "total": money(o.total()),
        "total_tax": money(o.total_tax()),
        "prices_include_tax": false,
        "customer_id": o.customer_id.unwrap_or(0),
        "customer_ip_address": o.browser_ip,
        "customer_user_agent": "",
        "customer_note": o.note.clone().unwrap_or_default(),
        "billing": address(Some(&o.billing), Some(&o.email), Some(o.phone.as_deref().unwrap_or(""))),
        "shipping": address(Some(&o.shipping_address), None, None),
        "payment_method": "bacs",
        "payment_method_title": "Direct Bank Transfer",
        "transaction_id": "",
        "cart_hash": "",
        "meta_data": meta,
        "line_items": line_items,
        "tax_lines": [{"id": o.id * 10 + 2, "rate_code": "TAX-1", "rate_id": TAX_RATE_ID, "label": "Tax", "compound": false,
                       "tax_total": money(o.total_tax()), "shipping_tax_total": "0.00", "meta_data": []}],
        "shipping_lines": [{"id": o.id * 10 + 3, "method_title": o.shipping_method, "method_id": "flat_rate",
                            "total": money(o.shipping_price), "total_tax": "0.00", "taxes": [], "meta_data": []}],
        "fee_lines": [],
        "coupon_lines": o.discount_codes.iter().enumerate().map(|(i, (code, amount))| json!({
            "id": o.id * 10 + 4 + i as u64, "code": code, "discount": money(*amount), "discount_tax": "0.00", "meta_data": []
        })).collect::<Vec<_>>(),
        "refunds": o.refunds.iter().map(|r| json!({"id": r.id, "reason": r.note, "total": format!("-{}", money(r.amount))})).collect::<Vec<_>>(),
        "payment_url": format!("{site}/checkout/order-pay/{}/?pay_for_order=true&key=wc_order_{:x}", o.id, o.id * 7919),
        "is_editable": matches!(o.state, SimOrderState::Pending | SimOrderState::OnHold),
        "needs_payment": !paid && matches!(o.state, SimOrderState::Pending | SimOrderState::Failed),
        "needs_processing": true,
        "_links": links(site, &format!("orders/{}", o.id), "orders"),
    });
    dates(&mut v, "date_created", Some(o.created_at));
    dates(&mut v, "date_modified", Some(o.updated_at));
    dates(
        &mut v,
        "date_paid",
        paid.then(|| o.created_at + Duration::minutes(1)),
    );
    dates(&mut v, "date_completed", o.completed_at);
    v
}

pub(crate) fn refunds(o: &SimOrder, products: &[SimProduct], site: &str) -> Vec<Value> {
    o.refunds
        .iter()
        .map(|r| {
            let lines: Vec<Value> = r
                .lines
                .iter()
                .enumerate()
                .map(|(i, (item, qty, amount))| {
                    let l = o.line_items.iter().find(|l| l.id == *item);
                    let variable = l.is_some_and(|l| {
                        products.iter().any(|p| p.id == l.product_id && is_variable(p))
                    });
                    json!({
                        "id": r.id * 100 + i as u64,
                        "name": l.map(|l| l.title.clone()).unwrap_or_default(),
                        "product_id": l.map_or(0, |l| l.product_id),
                        "variation_id": l.filter(|_| variable).map_or(0, |l| l.variant_id),
                        "quantity": -i64::from(*qty),
                        "tax_class": "",
                        "subtotal": format!("-{}", money(*amount)),
                        "subtotal_tax": "0.00",
                        "total": format!("-{}", money(*amount)),
                        "total_tax": "0.00",
                        "taxes": [],
                        "meta_data": [{"id": r.id * 100 + i as u64, "key": "_refunded_item_id", "value": item.to_string()}],
                        "sku": l.map(|l| l.sku.clone()).unwrap_or_default(),
                        "price": number(-*amount / Decimal::from((*qty).max(1))),
                    })
                })
                .collect();
            let mut v = json!({
                "id": r.id, "amount": money(r.amount), "reason": r.note, "refunded_by": 1, "refunded_payment": false,
                "meta_data": [], "line_items": lines,
                "_links": links(site, &format!("orders/{}/refunds/{}", o.id, r.id), &format!("orders/{}/refunds", o.id)),
            });
            dates(&mut v, "date_created", Some(r.created_at));
            v
        })
        .collect()
}

fn prices(v: &SimVariant) -> (String, String, String) {
    match v.compare_at_price {
        Some(c) if c > v.price => (money(v.price), money(c), money(v.price)),
        _ => (money(v.price), money(v.price), String::new()),
    }
}

/// A product's post status.
pub(crate) fn product_status(p: &SimProduct) -> &'static str {
    match p.status {
        SimProductStatus::Active => "publish",
        SimProductStatus::Draft => "draft",
        SimProductStatus::Archived => "private",
    }
}

pub(crate) fn product(p: &SimProduct, categories: &[SimCategory], site: &str) -> Value {
    let variable = is_variable(p);
    let first = &p.variants[0];
    let (price, regular, sale) = if variable {
        let min = p.variants.iter().map(|v| v.price).min().unwrap_or_default();
        (money(min), String::new(), String::new())
    } else {
        prices(first)
    };
    let stock = (!variable).then(|| first.total_stock());
    let mut v = json!({
        "id": p.id,
        "name": p.title,
        "slug": p.handle,
        "permalink": format!("{site}/product/{}/", p.handle),
        "type": if variable { "variable" } else { "simple" },
        "status": product_status(p),
        "featured": false,
        "catalog_visibility": "visible",
        "description": p.description_html,
        "short_description": "",
        "sku": if variable { String::new() } else { first.sku.clone() },
        "price": price,
        "regular_price": regular,
        "sale_price": sale,
        "on_sale": !sale.is_empty(),
        "purchasable": true,
        "total_sales": 0,
        "virtual": false,
        "downloadable": false,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": !variable,
        "stock_quantity": stock,
        "stock_status": if stock.is_some_and(|s| s <= 0) { "outofstock" } else { "instock" },
        "backorders": "no",
        "weight": if variable { String::new() } else { (Decimal::from(first.weight_grams) / Decimal::from(1000)).normalize().to_string() },
        "dimensions": {"length": "", "width": "", "height": ""},
        "parent_id": 0,
        "categories": p.category_ids.iter().map(|id| {
            let c = categories.iter().find(|c| c.id == *id);
            json!({"id": id, "name": c.map(|c| c.name.clone()).unwrap_or_default(), "slug": c.map(|c| c.handle.clone()).unwrap_or_default()})
        }).collect::<Vec<_>>(),
        "tags": p.tags.iter().enumerate().map(|(i, t)| json!({"id": 500 + i, "name": t, "slug": t.to_lowercase()})).collect::<Vec<_>>(),
        "images": p.images.iter().map(|im| image(im, p.created_at)).collect::<Vec<_>>(),
        "attributes": p.options.iter().enumerate().map(|(i, (name, values))| json!({
            "id": 0, "name": name, "position": i, "visible": true, "variation": true, "options": values
        })).collect::<Vec<_>>(),
        "default_attributes": [],
        "variations": if variable { p.variants.iter().map(|v| v.id).collect::<Vec<_>>() } else { Vec::new() },
        "menu_order": 0,
        "meta_data": [],
        "_links": links(site, &format!("products/{}", p.id), "products"),
    });
    extend(
        &mut v,
        json!({
            "price_html": price_html(&price, &sale, &regular),
            "average_rating": "0.00",
            "rating_count": 0,
            "reviews_allowed": true,
            "related_ids": [],
            "upsell_ids": [],
            "cross_sell_ids": [],
            "purchase_note": "",
            "external_url": "",
            "button_text": "",
            "grouped_products": [],
            "sold_individually": false,
            "shipping_required": true,
            "shipping_taxable": true,
            "shipping_class": "",
            "shipping_class_id": 0,
            "backorders_allowed": false,
            "backordered": false,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
        }),
    );
    dates(&mut v, "date_created", Some(p.created_at));
    dates(&mut v, "date_modified", Some(p.updated_at));
    dates(&mut v, "date_on_sale_from", None);
    dates(&mut v, "date_on_sale_to", None);
    v
}

/// An image as WooCommerce lists it (attachment dates included).
fn image(im: &SimImage, uploaded: DateTime<Utc>) -> Value {
    let mut v = json!({"id": im.id, "src": im.url, "name": "", "alt": im.alt});
    dates(&mut v, "date_created", Some(uploaded));
    dates(&mut v, "date_modified", Some(uploaded));
    v
}

/// `price_html` as the storefront renders it: the sale struck through when on sale.
fn price_html(price: &str, sale: &str, regular: &str) -> String {
    let amount = |a: &str| {
        format!(
            "<span class=\"woocommerce-Price-amount amount\"><span class=\"woocommerce-Price-currencySymbol\">&#36;</span>{a}</span>"
        )
    };
    if sale.is_empty() {
        amount(price)
    } else {
        format!("<del>{}</del> <ins>{}</ins>", amount(regular), amount(sale))
    }
}

pub(crate) fn variation(p: &SimProduct, v: &SimVariant, site: &str) -> Value {
    let (price, regular, sale) = prices(v);
    let mut out = json!({
        "id": v.id,
        "description": "",
        "permalink": format!("{site}/product/{}/?variation={}", p.handle, v.id),
        "sku": v.sku,
        "global_unique_id": v.barcode.clone().unwrap_or_default(),
        "price": price,
        "regular_price": regular,
        "sale_price": sale,
        "on_sale": !sale.is_empty(),
        "status": "publish",
        "purchasable": true,
        "manage_stock": true,
        "stock_quantity": v.total_stock(),
        "stock_status": if v.total_stock() > 0 { "instock" } else { "outofstock" },
        "weight": (Decimal::from(v.weight_grams) / Decimal::from(1000)).normalize().to_string(),
        "dimensions": {"length": "", "width": "", "height": ""},
        "image": p.images.first().map(|im| image(im, p.created_at)),
        "attributes": p.options.iter().zip(&v.option_values).map(|((name, _), value)| json!({"id": 0, "name": name, "option": value})).collect::<Vec<_>>(),
        "menu_order": 0,
        "meta_data": [],
        "_links": links(site, &format!("products/{}/variations/{}", p.id, v.id), &format!("products/{}/variations", p.id)),
    });
    extend(
        &mut out,
        json!({
            "virtual": false,
            "downloadable": false,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "tax_status": "taxable",
            "tax_class": "",
            "backorders": "no",
            "backorders_allowed": false,
            "backordered": false,
            "shipping_class": "",
            "shipping_class_id": 0,
        }),
    );
    dates(&mut out, "date_on_sale_from", None);
    dates(&mut out, "date_on_sale_to", None);
    dates(&mut out, "date_created", Some(v.created_at));
    dates(
        &mut out,
        "date_modified",
        Some(v.updated_at.max(p.updated_at)),
    );
    out
}

pub(crate) fn customer(c: &SimCustomer, site: &str) -> Value {
    let mut v = json!({
        "id": c.id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "role": "customer",
        "username": c.email.split('@').next().unwrap_or_default(),
        "billing": address(c.addresses.first(), Some(&c.email), Some(c.phone.as_deref().unwrap_or(""))),
        "shipping": address(c.addresses.get(1).or(c.addresses.first()), None, None),
        "is_paying_customer": c.orders_count > 0,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96",
        "meta_data": [],
        "_links": links(site, &format!("customers/{}", c.id), "customers"),
    });
    dates(&mut v, "date_created", Some(c.created_at));
    dates(&mut v, "date_modified", Some(c.updated_at));
    v
}

pub(crate) fn category(c: &SimCategory, count: usize, site: &str) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "slug": c.handle,
        "parent": c.parent_id.unwrap_or(0),
        "description": c.description_html,
        "display": "default",
        "image": null,
        "menu_order": c.position,
        "count": count,
        "_links": links(site, &format!("products/categories/{}", c.id), "products/categories"),
    })
}
