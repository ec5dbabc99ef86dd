//! The simulator's JSON: the generated store rendered in the shapes of Etsy's Open
//! API v3 schemas and examples (`ShopReceipt` with its transactions, shipments and
//! refunds, `ShopListing` with `images` and `inventory`, `ListingInventory`, `Shop`,
//! `ShopSection`): money as `{amount, divisor, currency_code}`, times in unix
//! seconds, ids as large integers (shipment ids above 2^53, as a float could not
//! hold them). Etsy ids are the generated ids moved into Etsy's ranges ([`Ids`]).

use chrono::{DateTime, Utc};
use polycart_kit::sim::{
    SimCategory, SimFinancial, SimFulfillment, SimOrder, SimOrderState, SimProduct,
    SimProductStatus, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Where generated ids land among Etsy's.
pub struct Ids;

impl Ids {
    pub const RECEIPT: u64 = 3_000_000_000;
    pub const TRANSACTION: u64 = 4_000_000_000;
    pub const LISTING: u64 = 1_500_000_000;
    pub const PRODUCT: u64 = 10_000_000_000;
    pub const OFFERING: u64 = 20_000_000_000;
    pub const SECTION: u64 = 40_000_000;
    /// Above 2^53 (9007199254740992): exact only as integers or text.
    pub const SHIPMENT: u64 = 9_007_199_254_740_993;
    pub const IMAGE: u64 = 5_000_000_000;

    /// The generated id behind an Etsy id of the range starting at `base`.
    pub fn local(base: u64, etsy: &str) -> Option<u64> {
        etsy.parse::<u64>().ok()?.checked_sub(base)
    }
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// `{amount, divisor, currency_code}` in cents.
pub(super) fn money(amount: Decimal, currency: &str) -> Value {
    let minor = (amount * Decimal::from(100)).round();
    json!({
        "amount": i64::try_from(minor).unwrap_or(0),
        "divisor": 100,
        "currency_code": currency,
    })
}

/// The receipt `status`, as Etsy writes it in answers ("Completed", "Paid").
fn status(o: &SimOrder) -> &'static str {
    match (o.state, o.financial) {
        (SimOrderState::Cancelled | SimOrderState::Failed, _) => "Canceled",
        (_, SimFinancial::Refunded) => "Fully Refunded",
        (_, SimFinancial::PartiallyRefunded) => "Partially Refunded",
        (SimOrderState::Pending, SimFinancial::Authorized) => "Payment Processing",
        (SimOrderState::Pending, _) => "Open",
        (SimOrderState::Completed, _) => "Completed",
        _ => "Paid",
    }
}

fn paid(o: &SimOrder) -> bool {
    !matches!(
        o.financial,
        SimFinancial::Pending | SimFinancial::Authorized | SimFinancial::Voided
    )
}

/// One receipt (`ShopReceipt`).
pub(super) fn receipt(o: &SimOrder, shop_id: u64, seller: u64) -> Value {
    let cur = o.currency;
    let a = &o.shipping_address;
    let discount = o.total_discount();
    let buyer = 700_000_000 + o.customer_id.unwrap_or(0);
    let transactions: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            json!({
                "transaction_id": Ids::TRANSACTION + l.id,
                "title": l.title,
                "description": "",
                "seller_user_id": seller,
                "buyer_user_id": buyer,
                "create_timestamp": ts(o.created_at),
                "created_timestamp": ts(o.created_at),
                "paid_timestamp": if paid(o) { json!(ts(o.created_at)) } else { Value::Null },
                "shipped_timestamp": o.shipments.first().map(|s| ts(s.created_at)),
                "quantity": l.quantity,
                "listing_image_id": Ids::IMAGE + l.product_id,
                "receipt_id": Ids::RECEIPT + o.id,
                "is_digital": false,
                "file_data": "",
                "listing_id": Ids::LISTING + l.product_id,
                "transaction_type": "listing",
                "product_id": Ids::PRODUCT + l.variant_id,
                "sku": l.sku,
                "price": money(l.price, cur),
                "shipping_cost": money(Decimal::ZERO, cur),
                "variations": if l.variant_title.is_empty() { vec![] } else { vec![json!({
                    "property_id": 513,
                    "value_id": 1_000 + l.variant_id,
                    "formatted_name": "Variation",
                    "formatted_value": l.variant_title,
                })] },
                "product_data": [],
                "shipping_profile_id": 100_000 + shop_id,
                "min_processing_days": 1,
                "max_processing_days": 3,
                "shipping_method": o.shipping_method,
                "shipping_upgrade": "",
                "expected_ship_date": ts(o.created_at) + 3 * 86_400,
                "buyer_coupon": 0,
                "shop_coupon": 0,
            })
        })
        .collect();
    let shipments: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| {
            json!({
                "receipt_shipping_id": Ids::SHIPMENT + s.id,
                "shipment_notification_timestamp": ts(s.created_at),
                "carrier_name": s.carrier,
                "tracking_code": s.tracking_number,
            })
        })
        .collect();
    let refunds: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| {
            json!({
                "amount": money(r.amount, cur),
                "created_timestamp": ts(r.created_at),
                "reason": r.note,
                "note_from_issuer": "",
                "status": "Succeeded",
            })
        })
        .collect();
    let mut v = json!({
        "receipt_id": Ids::RECEIPT + o.id,
        "receipt_type": 0,
        "seller_user_id": seller,
        "seller_email": format!("shop{shop_id}@example.com"),
        "buyer_user_id": buyer,
        "buyer_email": o.email,
        "name": format!("{} {}", a.first_name, a.last_name),
        "first_line": a.address1,
        "second_line": a.address2.clone().unwrap_or_default(),
        "city": a.city,
        "state": a.province_code,
        "zip": a.zip,
        "status": status(o),
        "formatted_address": format!("{} {}\n{}\n{} {} {}", a.first_name, a.last_name, a.address1, a.city, a.province_code, a.zip),
        "country_iso": a.country_code,
        "payment_method": "cc",
        "payment_email": "",
        "message_from_seller": "",
        "message_from_buyer": o.note.clone().unwrap_or_default(),
        "message_from_payment": "",
        "is_paid": paid(o),
        "is_shipped": !o.shipments.is_empty() || o.fulfillment == SimFulfillment::Fulfilled,
        "create_timestamp": ts(o.created_at),
        "created_timestamp": ts(o.created_at),
        "update_timestamp": ts(o.updated_at),
        "updated_timestamp": ts(o.updated_at),
        "is_gift": false,
        "gift_message": "",
        "gift_sender": "",
        "grandtotal": money(o.total(), cur),
        "subtotal": money(o.subtotal() - discount, cur),
        "total_price": money(o.subtotal(), cur),
        "total_shipping_cost": money(o.shipping_price, cur),
        "total_tax_cost": money(o.total_tax(), cur),
        "total_vat_cost": money(Decimal::ZERO, cur),
        "discount_amt": money(discount, cur),
        "gift_wrap_price": money(Decimal::ZERO, cur),
    });
    v["shipments"] = json!(shipments);
    v["transactions"] = json!(transactions);
    v["refunds"] = json!(refunds);
    v
}

/// The Etsy property id of an option: Etsy's own for size and colour, the custom
/// properties (513, 514, …) for the rest.
pub fn property_id(name: &str, index: usize) -> i64 {
    match name {
        "Size" => 100,
        "Color" | "Colour" => 200,
        _ => 513 + index as i64,
    }
}

/// Which properties a listing's prices, stock and SKUs vary by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnProperty {
    pub price: Vec<i64>,
    pub quantity: Vec<i64>,
    pub sku: Vec<i64>,
}

impl OnProperty {
    /// What a generated product varies by: every property, for each of price
    /// (when its variants' prices differ), stock and SKU (when it has variations).
    pub fn of(p: &SimProduct) -> Self {
        let all: Vec<i64> = p
            .options
            .iter()
            .enumerate()
            .map(|(i, (n, _))| property_id(n, i))
            .collect();
        let prices_differ = p.variants.windows(2).any(|w| w[0].price != w[1].price);
        Self {
            price: if prices_differ {
                all.clone()
            } else {
                Vec::new()
            },
            quantity: all.clone(),
            sku: all,
        }
    }
}

/// A product's state as Etsy names it.
pub(super) fn state(p: &SimProduct) -> &'static str {
    match p.status {
        SimProductStatus::Active if p.variants.iter().all(|v| v.total_stock() <= 0) => "sold_out",
        SimProductStatus::Active => "active",
        SimProductStatus::Draft => "draft",
        SimProductStatus::Archived => "inactive",
    }
}

fn product(p: &SimProduct, v: &SimVariant, currency: &str, readiness: u64) -> Value {
    json!({
        "product_id": Ids::PRODUCT + v.id,
        "sku": v.sku,
        "is_deleted": false,
        "offerings": [{
            "offering_id": Ids::OFFERING + v.id,
            "quantity": v.total_stock().max(0),
            "is_enabled": true,
            "is_deleted": false,
            "price": money(v.price, currency),
            "readiness_state_id": readiness,
        }],
        "property_values": p.options.iter().enumerate().zip(&v.option_values).map(|((i, (name, values)), value)| {
            let pid = property_id(name, i);
            let index = values.iter().position(|x| x == value).unwrap_or(0) as i64;
            json!({
                "property_id": pid,
                "property_name": name,
                "scale_id": Value::Null,
                "scale_name": Value::Null,
                "value_ids": [pid * 1_000 + index + 1],
                "values": [value],
            })
        }).collect::<Vec<_>>(),
    })
}

/// A listing's inventory (`ListingInventory`).
pub(super) fn inventory(p: &SimProduct, on: &OnProperty, currency: &str, readiness: u64) -> Value {
    json!({
        "products": p.variants.iter().map(|v| product(p, v, currency, readiness)).collect::<Vec<_>>(),
        "price_on_property": on.price,
        "quantity_on_property": on.quantity,
        "sku_on_property": on.sku,
        "readiness_state_on_property": [],
    })
}

/// A listing (`ShopListing`), with `images` and `inventory` when asked for.
pub(super) struct ListingView<'a> {
    pub(super) shop_id: u64,
    pub(super) user_id: u64,
    pub(super) currency: &'a str,
    pub(super) readiness: u64,
    pub(super) on: OnProperty,
    pub(super) images: bool,
    pub(super) inventory: bool,
}

pub(super) fn listing(p: &SimProduct, view: &ListingView<'_>) -> Value {
    let first = p.variants.first();
    let mut v = json!({
        "listing_id": Ids::LISTING + p.id,
        "user_id": view.user_id,
        "shop_id": view.shop_id,
        "title": p.title,
        "description": p.description_html,
        "state": state(p),
        "creation_timestamp": ts(p.created_at),
        "created_timestamp": ts(p.created_at),
        "ending_timestamp": ts(p.created_at) + 120 * 86_400,
        "original_creation_timestamp": ts(p.created_at),
        "last_modified_timestamp": ts(p.updated_at),
        "updated_timestamp": ts(p.updated_at),
        "state_timestamp": ts(p.updated_at),
        "quantity": p.variants.iter().map(|v| v.total_stock().max(0)).sum::<i64>(),
        "shop_section_id": p.category_ids.first().map(|c| Ids::SECTION + c),
        "featured_rank": -1,
        "url": format!("https://www.etsy.com/listing/{}/{}", Ids::LISTING + p.id, p.handle),
        "num_favorers": 0,
        "non_taxable": false,
        "is_taxable": true,
        "is_customizable": false,
        "is_personalizable": false,
        "personalization_is_required": false,
        "personalization_char_count_max": Value::Null,
        "personalization_instructions": Value::Null,
        "listing_type": "physical",
    });
    let more = json!({
        "tags": p.tags,
        "materials": [],
        "shipping_profile_id": 100_000 + view.shop_id,
        "return_policy_id": Value::Null,
        "processing_min": 1,
        "processing_max": 3,
        "who_made": "i_did",
        "when_made": "made_to_order",
        "is_supply": false,
        "item_weight": first.map(|v| v.weight_grams),
        "item_weight_unit": "g",
        "item_length": Value::Null,
        "item_width": Value::Null,
        "item_height": Value::Null,
        "item_dimensions_unit": Value::Null,
        "is_private": false,
        "style": [],
        "file_data": "",
        "has_variations": !p.options.is_empty(),
        "should_auto_renew": true,
        "language": "en-US",
        "price": money(first.map_or(Decimal::ZERO, |v| v.price), view.currency),
        "taxonomy_id": 1_000 + p.id % 7,
        "skus": p.variants.iter().map(|v| v.sku.clone()).collect::<Vec<_>>(),
        "views": 0,
    });
    if let (Some(a), Value::Object(b)) = (v.as_object_mut(), more) {
        a.extend(b);
    }
    if view.images {
        v["images"] = json!(p.images.iter().map(|i| json!({
            "listing_id": Ids::LISTING + p.id,
            "listing_image_id": Ids::IMAGE + i.id,
            "hex_code": "A1B2C3",
            "red": 161, "green": 178, "blue": 195, "hue": 210, "saturation": 17, "brightness": 76,
            "is_black_and_white": false,
            "creation_tsz": ts(p.created_at),
            "created_timestamp": ts(p.created_at),
            "rank": i.position,
            "url_75x75": i.url,
            "url_170x135": i.url,
            "url_570xN": i.url,
            "url_fullxfull": i.url,
            "full_height": 1500,
            "full_width": 1500,
            "alt_text": i.alt,
        })).collect::<Vec<_>>());
    }
    if view.inventory {
        v["inventory"] = inventory(p, &view.on, view.currency, view.readiness);
    }
    v
}

/// A shop section (`ShopSection`).
pub(super) fn section(c: &SimCategory, user_id: u64, active: usize) -> Value {
    json!({
        "shop_section_id": Ids::SECTION + c.id,
        "title": c.name,
        "rank": c.position,
        "user_id": user_id,
        "active_listing_count": active,
    })
}

/// The shop (`Shop`), the fields a client reads first.
pub(super) fn shop(shop_id: u64, user_id: u64, name: &str, currency: &str, active: usize) -> Value {
    json!({
        "shop_id": shop_id,
        "user_id": user_id,
        "shop_name": name.replace(' ', ""),
        "create_date": 1_600_000_000,
        "created_timestamp": 1_600_000_000,
        "title": name,
        "announcement": "",
        "currency_code": currency,
        "is_vacation": false,
        "vacation_message": Value::Null,
        "sale_message": Value::Null,
        "digital_sale_message": Value::Null,
        "update_date": 1_700_000_000,
        "updated_timestamp": 1_700_000_000,
        "listing_active_count": active,
        "digital_listing_count": 0,
        "login_name": format!("seller{user_id}"),
        "accepts_custom_requests": false,
        "url": format!("https://www.etsy.com/shop/{}", name.replace(' ', "")),
        "is_shop_us_based": true,
        "transaction_sold_count": 0,
        "shipping_from_country_iso": "US",
        "shop_location_country_iso": "US",
        "review_count": 0,
        "review_average": Value::Null,
    })
}
