//! The simulator's GraphQL Admin API (`POST /admin/api/{version}/graphql.json`), an
//! async-graphql schema with Shopify's type and field names: `orders`, `products`,
//! `customers`, `collections`, `locations { inventoryLevels }` connections with
//! `first`/`after`/`query`, single-record fields, counts, `shop` and
//! `currentAppInstallation`. Every response carries `extensions.cost` with
//! `throttleStatus`; a query the bucket cannot afford gets a `THROTTLED` error, one
//! over 1000 points `MAX_COST_EXCEEDED`.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::connection::{Connection, Edge};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ComplexObject, Context, EmptySubscription, ID, Object, Schema, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};
use polycart_kit::decode::parse_datetime;
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimOrder, SimOrderState,
    SimProduct, SimProductStatus, SimStore, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::SimState;
use super::bulk::{self, MutationRoot};
use super::render::{amount, gid, is_smart};

/// Largest cost of one query.
const MAX_COST: f64 = 1000.0;

pub(super) type AdminSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub(super) fn schema(state: Arc<SimState>) -> AdminSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(state)
        .finish()
}

// ---------------------------------------------------------------- types

#[derive(SimpleObject, Clone)]
#[graphql(name = "MoneyV2")]
pub(super) struct MoneyV2 {
    amount: String,
    currency_code: String,
}

#[derive(SimpleObject, Clone)]
pub(super) struct MoneyBag {
    shop_money: MoneyV2,
    presentment_money: MoneyV2,
}

fn bag(d: Decimal, currency: &str) -> MoneyBag {
    let m = MoneyV2 {
        amount: amount(d),
        currency_code: currency.to_owned(),
    };
    MoneyBag {
        shop_money: m.clone(),
        presentment_money: m,
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(SimpleObject, Clone)]
pub(super) struct MailingAddress {
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    company: Option<String>,
    address1: Option<String>,
    address2: Option<String>,
    city: Option<String>,
    province: Option<String>,
    province_code: Option<String>,
    zip: Option<String>,
    country: Option<String>,
    country_code_v2: Option<String>,
    phone: Option<String>,
}

fn address(a: &SimAddress) -> MailingAddress {
    MailingAddress {
        first_name: Some(a.first_name.clone()),
        last_name: Some(a.last_name.clone()),
        name: Some(format!("{} {}", a.first_name, a.last_name)),
        company: a.company.clone(),
        address1: Some(a.address1.clone()),
        address2: a.address2.clone(),
        city: Some(a.city.clone()),
        province: Some(a.province.clone()),
        province_code: Some(a.province_code.clone()),
        zip: Some(a.zip.clone()),
        country: Some(a.country.clone()),
        country_code_v2: Some(a.country_code.clone()),
        phone: a.phone.clone(),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct CustomerEmailMarketingConsentState {
    marketing_state: String,
    marketing_opt_in_level: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct Customer {
    id: ID,
    legacy_resource_id: String,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: String,
    phone: Option<String>,
    created_at: String,
    updated_at: String,
    number_of_orders: String,
    amount_spent: MoneyV2,
    email_marketing_consent: Option<CustomerEmailMarketingConsentState>,
    default_address: Option<MailingAddress>,
    addresses: Vec<MailingAddress>,
    tags: Vec<String>,
}

fn customer(c: &SimCustomer, currency: &str) -> Customer {
    Customer {
        id: ID(gid("Customer", c.id)),
        legacy_resource_id: c.id.to_string(),
        email: Some(c.email.clone()),
        first_name: Some(c.first_name.clone()),
        last_name: Some(c.last_name.clone()),
        display_name: format!("{} {}", c.first_name, c.last_name),
        phone: c.phone.clone(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
        number_of_orders: c.orders_count.to_string(),
        amount_spent: MoneyV2 {
            amount: amount(c.total_spent),
            currency_code: currency.to_owned(),
        },
        email_marketing_consent: Some(CustomerEmailMarketingConsentState {
            marketing_state: if c.accepts_marketing {
                "SUBSCRIBED"
            } else {
                "NOT_SUBSCRIBED"
            }
            .to_owned(),
            marketing_opt_in_level: Some("SINGLE_OPT_IN".to_owned()),
        }),
        default_address: c.addresses.first().map(address),
        addresses: c.addresses.iter().map(address).collect(),
        tags: Vec::new(),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct Image {
    id: ID,
    url: String,
    alt_text: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct SelectedOption {
    name: String,
    value: String,
}

#[derive(SimpleObject, Clone)]
pub(super) struct Weight {
    value: f64,
    unit: String,
}

#[derive(SimpleObject, Clone)]
pub(super) struct InventoryItemMeasurement {
    weight: Option<Weight>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct InventoryItem {
    id: ID,
    legacy_resource_id: String,
    sku: Option<String>,
    tracked: bool,
    measurement: InventoryItemMeasurement,
    #[graphql(skip)]
    variant_id: u64,
}

#[ComplexObject]
impl InventoryItem {
    async fn variant(&self, ctx: &Context<'_>) -> Option<ProductVariant> {
        let store = state(ctx).store();
        let p = store
            .products
            .iter()
            .find(|p| !p.deleted && p.variants.iter().any(|v| v.id == self.variant_id))?;
        let v = p.variants.iter().find(|v| v.id == self.variant_id)?;
        Some(variant(p, v))
    }

    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
    ) -> async_graphql::Result<Option<InventoryLevel>> {
        let location = legacy(&location_id)?;
        let store = state(ctx).store();
        let found = store.products.iter().filter(|p| !p.deleted).find_map(|p| {
            let v = p.variants.iter().find(|v| v.id == self.variant_id)?;
            let (_, q) = v.stock.iter().find(|(l, _)| *l == location)?;
            Some(level(p, v, location, *q))
        });
        Ok(found)
    }
}

fn level(p: &SimProduct, v: &SimVariant, location: u64, available: i64) -> InventoryLevel {
    InventoryLevel {
        id: ID(format!(
            "gid://shopify/InventoryLevel/{location}?inventory_item_id={}",
            v.inventory_item_id
        )),
        updated_at: time(v.updated_at),
        item: variant(p, v).item,
        available,
        location_id: location,
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct ProductVariant {
    id: ID,
    legacy_resource_id: String,
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    price: String,
    compare_at_price: Option<String>,
    position: i32,
    selected_options: Vec<SelectedOption>,
    inventory_quantity: Option<i64>,
    image: Option<Image>,
    created_at: String,
    updated_at: String,
    #[graphql(skip)]
    product_id: u64,
    #[graphql(skip)]
    item: InventoryItem,
}

#[ComplexObject]
impl ProductVariant {
    async fn product(&self, ctx: &Context<'_>) -> Option<Product> {
        let store = state(ctx).store();
        store
            .products
            .iter()
            .find(|p| p.id == self.product_id && !p.deleted)
            .map(|p| product(p, &store))
    }

    async fn inventory_item(&self) -> InventoryItem {
        self.item.clone()
    }
}

fn variant(p: &SimProduct, v: &SimVariant) -> ProductVariant {
    let selected = if p.options.is_empty() {
        vec![SelectedOption {
            name: "Title".into(),
            value: "Default Title".into(),
        }]
    } else {
        p.options
            .iter()
            .zip(&v.option_values)
            .map(|((n, _), val)| SelectedOption {
                name: n.clone(),
                value: val.clone(),
            })
            .collect()
    };
    ProductVariant {
        id: ID(gid("ProductVariant", v.id)),
        legacy_resource_id: v.id.to_string(),
        title: v.title.clone(),
        sku: Some(v.sku.clone()),
        barcode: v.barcode.clone(),
        price: amount(v.price),
        compare_at_price: v.compare_at_price.map(amount),
        position: p
            .variants
            .iter()
            .position(|x| x.id == v.id)
            .map_or(1, |i| i as i32 + 1),
        selected_options: selected,
        inventory_quantity: Some(v.total_stock()),
        image: None,
        created_at: time(v.created_at),
        updated_at: time(v.updated_at),
        product_id: p.id,
        item: InventoryItem {
            id: ID(gid("InventoryItem", v.inventory_item_id)),
            legacy_resource_id: v.inventory_item_id.to_string(),
            sku: Some(v.sku.clone()),
            tracked: true,
            measurement: InventoryItemMeasurement {
                weight: Some(Weight {
                    value: f64::from(v.weight_grams) / 1000.0,
                    unit: "KILOGRAMS".into(),
                }),
            },
            variant_id: v.id,
        },
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct ProductOption {
    id: ID,
    name: String,
    position: i32,
    values: Vec<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct Product {
    id: ID,
    legacy_resource_id: String,
    title: String,
    handle: String,
    description_html: String,
    vendor: String,
    product_type: String,
    status: String,
    tags: Vec<String>,
    created_at: String,
    updated_at: String,
    published_at: Option<String>,
    total_inventory: i64,
    options: Vec<ProductOption>,
    #[graphql(skip)]
    variant_list: Vec<ProductVariant>,
    #[graphql(skip)]
    image_list: Vec<Image>,
    #[graphql(skip)]
    collection_list: Vec<Collection>,
}

#[ComplexObject]
impl Product {
    async fn variants(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<String, ProductVariant>> {
        let items = self
            .variant_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first.or(last), after)
    }

    async fn images(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Image>> {
        let items = self
            .image_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first, after)
    }

    async fn collections(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Collection>> {
        let items = self
            .collection_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first, after)
    }

    async fn featured_image(&self) -> Option<Image> {
        self.image_list.first().cloned()
    }
}

fn product(p: &SimProduct, store: &SimStore) -> Product {
    Product {
        id: ID(gid("Product", p.id)),
        legacy_resource_id: p.id.to_string(),
        title: p.title.clone(),
        handle: p.handle.clone(),
        description_html: p.description_html.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        status: match p.status {
            SimProductStatus::Active => "ACTIVE",
            SimProductStatus::Draft => "DRAFT",
            SimProductStatus::Archived => "ARCHIVED",
        }
        .to_owned(),
        tags: p.tags.clone(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
        published_at: (p.status == SimProductStatus::Active).then(|| time(p.created_at)),
        total_inventory: p.variants.iter().map(SimVariant::total_stock).sum(),
        options: if p.options.is_empty() {
            vec![ProductOption {
                id: ID(gid("ProductOption", p.id + 1)),
                name: "Title".into(),
                position: 1,
                values: vec!["Default Title".into()],
            }]
        } else {
            p.options
                .iter()
                .enumerate()
                .map(|(i, (n, vals))| ProductOption {
                    id: ID(gid("ProductOption", p.id * 10 + i as u64)),
                    name: n.clone(),
                    position: i as i32 + 1,
                    values: vals.clone(),
                })
                .collect()
        },
        variant_list: p.variants.iter().map(|v| variant(p, v)).collect(),
        image_list: p
            .images
            .iter()
            .map(|im| Image {
                id: ID(gid("ProductImage", im.id)),
                url: im.url.clone(),
                alt_text: Some(im.alt.clone()),
            })
            .collect(),
        collection_list: store
            .categories
            .iter()
            .filter(|c| p.category_ids.contains(&c.id))
            .map(collection)
            .collect(),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct CollectionRule {
    column: String,
    relation: String,
    condition: String,
}

#[derive(SimpleObject, Clone)]
pub(super) struct CollectionRuleSet {
    applied_disjunctively: bool,
    rules: Vec<CollectionRule>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct Collection {
    id: ID,
    legacy_resource_id: String,
    title: String,
    handle: String,
    description_html: String,
    updated_at: String,
    sort_order: String,
    rule_set: Option<CollectionRuleSet>,
}

fn collection(c: &SimCategory) -> Collection {
    Collection {
        id: ID(gid("Collection", c.id)),
        legacy_resource_id: c.id.to_string(),
        title: c.name.clone(),
        handle: c.handle.clone(),
        description_html: c.description_html.clone(),
        updated_at: time(c.updated_at),
        sort_order: "MANUAL".into(),
        rule_set: is_smart(c).then(|| CollectionRuleSet {
            applied_disjunctively: false,
            rules: vec![CollectionRule {
                column: "TAG".into(),
                relation: "EQUALS".into(),
                condition: c.handle.clone(),
            }],
        }),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct TaxLine {
    title: String,
    rate: f64,
    price_set: MoneyBag,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct LineItem {
    id: ID,
    name: String,
    title: String,
    sku: Option<String>,
    quantity: i32,
    variant_title: Option<String>,
    original_unit_price_set: MoneyBag,
    discounted_total_set: MoneyBag,
    total_discount_set: MoneyBag,
    tax_lines: Vec<TaxLine>,
    #[graphql(skip)]
    variant_id: u64,
    #[graphql(skip)]
    product_id: u64,
}

#[ComplexObject]
impl LineItem {
    async fn variant(&self, ctx: &Context<'_>) -> Option<ProductVariant> {
        let store = state(ctx).store();
        let p = store.products.iter().find(|p| p.id == self.product_id)?;
        p.variants
            .iter()
            .find(|v| v.id == self.variant_id)
            .map(|v| variant(p, v))
    }

    async fn product(&self, ctx: &Context<'_>) -> Option<Product> {
        let store = state(ctx).store();
        store
            .products
            .iter()
            .find(|p| p.id == self.product_id)
            .map(|p| product(p, &store))
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct ShippingLine {
    id: ID,
    title: String,
    code: Option<String>,
    source: Option<String>,
    carrier_identifier: Option<String>,
    original_price_set: MoneyBag,
}

/// A line item reference inside refunds and fulfillments.
#[derive(SimpleObject, Clone)]
#[graphql(name = "LineItemRef")]
pub(super) struct LineItemRef {
    id: ID,
}

#[derive(SimpleObject, Clone)]
pub(super) struct RefundLineItem {
    line_item: LineItemRef,
    quantity: i32,
    restock_type: String,
    subtotal_set: MoneyBag,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct Refund {
    id: ID,
    note: Option<String>,
    created_at: String,
    total_refunded_set: MoneyBag,
    #[graphql(skip)]
    lines: Vec<RefundLineItem>,
}

#[ComplexObject]
impl Refund {
    async fn refund_line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, RefundLineItem>> {
        paginate(
            self.lines
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, l)| (i as u64, l))
                .collect(),
            first,
            after,
        )
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct FulfillmentTrackingInfo {
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct FulfillmentLineItem {
    id: ID,
    line_item: LineItemRef,
    quantity: i32,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct Fulfillment {
    id: ID,
    status: String,
    created_at: String,
    updated_at: String,
    #[graphql(skip)]
    tracking: Vec<FulfillmentTrackingInfo>,
    #[graphql(skip)]
    lines: Vec<FulfillmentLineItem>,
}

#[ComplexObject]
impl Fulfillment {
    async fn tracking_info(&self, first: Option<i32>) -> Vec<FulfillmentTrackingInfo> {
        self.tracking
            .iter()
            .take(first.map_or(usize::MAX, |f| f.max(0) as usize))
            .cloned()
            .collect()
    }

    async fn fulfillment_line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, FulfillmentLineItem>> {
        paginate(
            self.lines
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, l)| (i as u64, l))
                .collect(),
            first,
            after,
        )
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct DiscountCodeApplication {
    code: String,
    allocation_method: String,
    target_type: String,
}

#[derive(SimpleObject, Clone)]
pub(super) struct OrderCustomer {
    id: ID,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct Order {
    id: ID,
    legacy_resource_id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    created_at: String,
    updated_at: String,
    processed_at: String,
    closed: bool,
    closed_at: Option<String>,
    cancelled_at: Option<String>,
    cancel_reason: Option<String>,
    display_financial_status: Option<String>,
    display_fulfillment_status: String,
    currency_code: String,
    presentment_currency_code: String,
    subtotal_price_set: MoneyBag,
    total_shipping_price_set: MoneyBag,
    total_tax_set: MoneyBag,
    total_discounts_set: MoneyBag,
    total_price_set: MoneyBag,
    total_received_set: MoneyBag,
    total_refunded_set: MoneyBag,
    customer: Option<OrderCustomer>,
    billing_address: Option<MailingAddress>,
    shipping_address: Option<MailingAddress>,
    discount_codes: Vec<String>,
    refunds: Vec<Refund>,
    fulfillments: Vec<Fulfillment>,
    note: Option<String>,
    tags: Vec<String>,
    source_name: Option<String>,
    test: bool,
    #[graphql(skip)]
    lines: Vec<LineItem>,
    #[graphql(skip)]
    shipping: Vec<ShippingLine>,
    #[graphql(skip)]
    discounts: Vec<DiscountCodeApplication>,
}

#[ComplexObject]
impl Order {
    async fn line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, LineItem>> {
        paginate(
            self.lines
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, l)| (i as u64, l))
                .collect(),
            first,
            after,
        )
    }

    async fn shipping_lines(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ShippingLine>> {
        paginate(
            self.shipping
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, l)| (i as u64, l))
                .collect(),
            first,
            after,
        )
    }

    async fn discount_applications(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, DiscountCodeApplication>> {
        paginate(
            self.discounts
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, l)| (i as u64, l))
                .collect(),
            first,
            after,
        )
    }
}

fn order(o: &SimOrder, store: &SimStore) -> Order {
    let c = o.currency;
    let cust = o
        .customer_id
        .and_then(|id| store.customers.iter().find(|c| c.id == id));
    let received = match o.financial {
        SimFinancial::Pending | SimFinancial::Authorized | SimFinancial::Voided => Decimal::ZERO,
        _ => o.total(),
    };
    Order {
        id: ID(gid("Order", o.id)),
        legacy_resource_id: o.id.to_string(),
        name: format!("#{}", o.number),
        email: Some(o.email.clone()),
        phone: o.phone.clone(),
        created_at: time(o.created_at),
        updated_at: time(o.updated_at),
        processed_at: time(o.created_at),
        closed: o.state == SimOrderState::Completed,
        closed_at: (o.state == SimOrderState::Completed)
            .then(|| time(o.completed_at.unwrap_or(o.updated_at))),
        cancelled_at: o.cancelled_at.map(time),
        cancel_reason: o.cancel_reason.map(|r| r.to_ascii_uppercase()),
        display_financial_status: Some(
            match o.financial {
                SimFinancial::Pending => "PENDING",
                SimFinancial::Authorized => "AUTHORIZED",
                SimFinancial::Paid => "PAID",
                SimFinancial::PartiallyRefunded => "PARTIALLY_REFUNDED",
                SimFinancial::Refunded => "REFUNDED",
                SimFinancial::Voided => "VOIDED",
            }
            .to_owned(),
        ),
        display_fulfillment_status: match o.fulfillment {
            SimFulfillment::Unfulfilled => "UNFULFILLED",
            SimFulfillment::Partial => "PARTIALLY_FULFILLED",
            SimFulfillment::Fulfilled => "FULFILLED",
        }
        .to_owned(),
        currency_code: c.to_owned(),
        presentment_currency_code: c.to_owned(),
        subtotal_price_set: bag(o.subtotal() - o.total_discount(), c),
        total_shipping_price_set: bag(o.shipping_price, c),
        total_tax_set: bag(o.total_tax(), c),
        total_discounts_set: bag(o.total_discount(), c),
        total_price_set: bag(o.total(), c),
        total_received_set: bag(received, c),
        total_refunded_set: bag(o.refunded(), c),
        customer: cust.map(|cu| OrderCustomer {
            id: ID(gid("Customer", cu.id)),
            email: Some(cu.email.clone()),
            first_name: Some(cu.first_name.clone()),
            last_name: Some(cu.last_name.clone()),
            phone: cu.phone.clone(),
        }),
        billing_address: Some(address(&o.billing)),
        shipping_address: Some(address(&o.shipping_address)),
        discount_codes: o
            .discount_codes
            .iter()
            .map(|(code, _)| code.clone())
            .collect(),
        refunds: o
            .refunds
            .iter()
            .map(|r| Refund {
                id: ID(gid("Refund", r.id)),
                note: Some(r.note.clone()),
                created_at: time(r.created_at),
                total_refunded_set: bag(r.amount, c),
                lines: r
                    .lines
                    .iter()
                    .map(|(line, q, a)| RefundLineItem {
                        line_item: LineItemRef {
                            id: ID(gid("LineItem", *line)),
                        },
                        quantity: *q as i32,
                        restock_type: "RETURN".into(),
                        subtotal_set: bag(*a, c),
                    })
                    .collect(),
            })
            .collect(),
        fulfillments: o
            .shipments
            .iter()
            .map(|s| Fulfillment {
                id: ID(gid("Fulfillment", s.id)),
                status: s.status.to_ascii_uppercase(),
                created_at: time(s.created_at),
                updated_at: time(s.created_at),
                tracking: vec![FulfillmentTrackingInfo {
                    company: Some(s.carrier.clone()),
                    number: Some(s.tracking_number.clone()),
                    url: Some(s.tracking_url.clone()),
                }],
                lines: s
                    .lines
                    .iter()
                    .map(|(line, q)| FulfillmentLineItem {
                        id: ID(gid("FulfillmentLineItem", s.id * 1000 + line % 1000)),
                        line_item: LineItemRef {
                            id: ID(gid("LineItem", *line)),
                        },
                        quantity: *q as i32,
                    })
                    .collect(),
            })
            .collect(),
        note: o.note.clone(),
        tags: o.tags.clone(),
        source_name: Some(o.source.to_owned()),
        test: false,
        lines: o
            .line_items
            .iter()
            .map(|l| LineItem {
                id: ID(gid("LineItem", l.id)),
                name: if l.variant_title.is_empty() || l.variant_title == "Default Title" {
                    l.title.clone()
                } else {
                    format!("{} - {}", l.title, l.variant_title)
                },
                title: l.title.clone(),
                sku: Some(l.sku.clone()),
                quantity: l.quantity as i32,
                variant_title: Some(l.variant_title.clone()),
                original_unit_price_set: bag(l.price, c),
                discounted_total_set: bag(l.gross() - l.discount, c),
                total_discount_set: bag(l.discount, c),
                tax_lines: if l.tax.is_zero() {
                    Vec::new()
                } else {
                    vec![TaxLine {
                        title: "Tax".into(),
                        rate: o.tax_rate.to_string().parse().unwrap_or(0.0),
                        price_set: bag(l.tax, c),
                    }]
                },
                variant_id: l.variant_id,
                product_id: l.product_id,
            })
            .collect(),
        shipping: vec![ShippingLine {
            id: ID(gid("ShippingLine", o.id + 3)),
            title: o.shipping_method.clone(),
            code: Some(o.shipping_method.clone()),
            source: Some(o.shipping_carrier.to_lowercase()),
            carrier_identifier: None,
            original_price_set: bag(o.shipping_price, c),
        }],
        discounts: o
            .discount_codes
            .iter()
            .map(|(code, _)| DiscountCodeApplication {
                code: code.clone(),
                allocation_method: "ACROSS".into(),
                target_type: "LINE_ITEM".into(),
            })
            .collect(),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct InventoryQuantity {
    name: String,
    quantity: i64,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct InventoryLevel {
    id: ID,
    updated_at: String,
    item: InventoryItem,
    #[graphql(skip)]
    available: i64,
    #[graphql(skip)]
    location_id: u64,
}

#[ComplexObject]
impl InventoryLevel {
    async fn quantities(&self, names: Vec<String>) -> Vec<InventoryQuantity> {
        names
            .into_iter()
            .filter_map(|name| {
                let quantity = match name.as_str() {
                    "available" | "on_hand" => self.available,
                    "committed" | "reserved" | "damaged" | "incoming" | "quality_control"
                    | "safety_stock" => 0,
                    _ => return None,
                };
                Some(InventoryQuantity { name, quantity })
            })
            .collect()
    }

    async fn location(&self, ctx: &Context<'_>) -> Option<Location> {
        let store = state(ctx).store();
        store
            .locations
            .iter()
            .find(|l| l.id == self.location_id)
            .map(|l| Location {
                id: ID(gid("Location", l.id)),
                legacy_resource_id: l.id.to_string(),
                name: l.name.clone(),
                is_active: true,
                location_id: l.id,
            })
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(super) struct Location {
    id: ID,
    legacy_resource_id: String,
    name: String,
    is_active: bool,
    #[graphql(skip)]
    location_id: u64,
}

#[ComplexObject]
impl Location {
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<String, InventoryLevel>> {
        let filter = Search::parse(query.as_deref())?;
        let store = state(ctx).store();
        let mut items = Vec::new();
        for p in store.products.iter().filter(|p| !p.deleted) {
            for v in &p.variants {
                if let Some((_, q)) = v.stock.iter().find(|(l, _)| *l == self.location_id) {
                    if !filter.keeps(None, v.updated_at) {
                        continue;
                    }
                    items.push((v.inventory_item_id, level(p, v, self.location_id, *q)));
                }
            }
        }
        items.sort_by_key(|(k, _)| *k);
        paginate(items, first, after)
    }
}

#[derive(SimpleObject)]
pub(super) struct Count {
    count: i64,
    precision: String,
}

#[derive(SimpleObject)]
pub(super) struct Domain {
    url: String,
    host: String,
}

#[derive(SimpleObject)]
pub(super) struct ShopPlan {
    display_name: String,
    shopify_plus: bool,
    partner_development: bool,
}

#[derive(SimpleObject)]
pub(super) struct Shop {
    id: ID,
    name: String,
    currency_code: String,
    myshopify_domain: String,
    primary_domain: Domain,
    plan: ShopPlan,
    iana_timezone: String,
}

#[derive(SimpleObject)]
pub(super) struct AccessScope {
    handle: String,
}

#[derive(SimpleObject)]
pub(super) struct AppInstallation {
    id: ID,
    access_scopes: Vec<AccessScope>,
}

/// Sort keys clients pass as enum literals (`sortKey: UPDATED_AT`). The simulator
/// accepts them and always pages by id, so its cursors stay stable.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub(super) enum OrderSortKeys {
    Id,
    CreatedAt,
    UpdatedAt,
    ProcessedAt,
    OrderNumber,
    TotalPrice,
    CustomerName,
    FinancialStatus,
    FulfillmentStatus,
    Relevance,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProductSortKeys {
    Id,
    CreatedAt,
    UpdatedAt,
    Title,
    ProductType,
    Vendor,
    InventoryTotal,
    PublishedAt,
    Relevance,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum CustomerSortKeys {
    Id,
    CreatedAt,
    UpdatedAt,
    Name,
    Location,
    Relevance,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum CollectionSortKeys {
    Id,
    UpdatedAt,
    Title,
    Relevance,
}

// ---------------------------------------------------------------- paging and search

fn encode_cursor(key: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"last_id\":{key}}}"))
}

fn decode_cursor(cursor: &str) -> async_graphql::Result<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .map_err(|_| {
            async_graphql::Error::new(format!(
                "Invalid cursor for current pagination sort: {cursor}"
            ))
        })?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|_| async_graphql::Error::new("Invalid cursor"))?;
    v["last_id"]
        .as_u64()
        .ok_or_else(|| async_graphql::Error::new("Invalid cursor"))
}

/// A page of `items` (sorted by key) after `after`, at most `first` (≤ 250).
fn paginate<T: async_graphql::OutputType>(
    items: Vec<(u64, T)>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, T>> {
    // A bulk query pages nothing: its connections return every node.
    let first = match first {
        None if bulk::in_bulk() => i32::MAX,
        Some(f) if bulk::in_bulk() => f,
        None => {
            return Err(async_graphql::Error::new(
                "you must provide one of first or last",
            ));
        }
        Some(f) => f,
    };
    if !(0..=250).contains(&first) && !bulk::in_bulk() {
        return Err(async_graphql::Error::new(
            "The first argument must be between 0 and 250",
        ));
    }
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let rest: Vec<(u64, T)> = items
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| *k > a))
        .collect();
    let has_next = rest.len() > first as usize;
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(
        rest.into_iter()
            .take(first as usize)
            .map(|(k, node)| Edge::new(encode_cursor(k), node)),
    );
    Ok(connection)
}

/// The part of Shopify's search syntax the simulator understands:
/// `updated_at:>'2025-01-01T00:00:00Z'` (also `>=`, `<`, `<=`), `created_at:...`,
/// `status:...`, terms joined by spaces or `AND`.
#[derive(Debug, Default)]
struct Search {
    updated: Vec<(String, DateTime<Utc>)>,
    created: Vec<(String, DateTime<Utc>)>,
    status: Option<String>,
}

impl Search {
    fn parse(query: Option<&str>) -> async_graphql::Result<Self> {
        let mut s = Search::default();
        let Some(q) = query else { return Ok(s) };
        for term in q
            .split_whitespace()
            .filter(|t| !t.eq_ignore_ascii_case("AND"))
        {
            let Some((field, value)) = term.split_once(':') else {
                continue;
            };
            let (op, value) = ["<=", ">=", "<", ">"]
                .iter()
                .find_map(|op| value.strip_prefix(op).map(|v| ((*op).to_owned(), v)))
                .unwrap_or(("=".to_owned(), value));
            let value = value.trim_matches(|c| c == '\'' || c == '"');
            match field {
                "updated_at" | "created_at" => {
                    let t = parse_datetime(value).ok_or_else(|| {
                        async_graphql::Error::new(format!("invalid date in query: {value}"))
                    })?;
                    if field == "updated_at" {
                        &mut s.updated
                    } else {
                        &mut s.created
                    }
                    .push((op, t));
                }
                "status" => s.status = Some(value.to_ascii_lowercase()),
                _ => {}
            }
        }
        Ok(s)
    }

    fn keeps(&self, created: Option<DateTime<Utc>>, updated: DateTime<Utc>) -> bool {
        let cmp = |op: &str, v: DateTime<Utc>, t: DateTime<Utc>| match op {
            ">" => v > t,
            ">=" => v >= t,
            "<" => v < t,
            "<=" => v <= t,
            _ => v == t,
        };
        self.updated.iter().all(|(op, t)| cmp(op, updated, *t))
            && self
                .created
                .iter()
                .all(|(op, t)| created.is_some_and(|c| cmp(op, c, *t)))
    }
}

fn state<'a>(ctx: &Context<'a>) -> &'a Arc<SimState> {
    ctx.data_unchecked::<Arc<SimState>>()
}

fn legacy(id: &ID) -> async_graphql::Result<u64> {
    id.rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| async_graphql::Error::new(format!("Invalid id: {}", id.0)))
}

fn order_status(o: &SimOrder) -> &'static str {
    match o.state {
        SimOrderState::Cancelled => "cancelled",
        SimOrderState::Completed => "closed",
        _ => "open",
    }
}

fn orders_matching(store: &SimStore, search: &Search) -> Vec<(u64, Order)> {
    store
        .orders
        .iter()
        .filter(|o| !o.deleted && search.keeps(Some(o.created_at), o.updated_at))
        .filter(|o| {
            search
                .status
                .as_deref()
                .is_none_or(|s| s == "any" || s == order_status(o))
        })
        .map(|o| (o.id, order(o, store)))
        .collect()
}

fn products_matching(store: &SimStore, search: &Search) -> Vec<(u64, Product)> {
    store
        .products
        .iter()
        .filter(|p| !p.deleted && search.keeps(Some(p.created_at), p.updated_at))
        .filter(|p| {
            search
                .status
                .as_deref()
                .is_none_or(|s| s == super::render::product_status(p.status))
        })
        .map(|p| (p.id, product(p, store)))
        .collect()
}

fn customers_matching(store: &SimStore, search: &Search) -> Vec<(u64, Customer)> {
    store
        .customers
        .iter()
        .filter(|c| !c.deleted && search.keeps(Some(c.created_at), c.updated_at))
        .map(|c| (c.id, customer(c, store.currency)))
        .collect()
}

fn collections_matching(store: &SimStore, search: &Search) -> Vec<(u64, Collection)> {
    store
        .categories
        .iter()
        .filter(|c| search.keeps(None, c.updated_at))
        .map(|c| (c.id, collection(c)))
        .collect()
}

fn sorted<T>(mut items: Vec<(u64, T)>) -> Vec<(u64, T)> {
    items.sort_by_key(|(k, _)| *k);
    items
}

fn count(n: usize) -> Count {
    Count {
        count: n as i64,
        precision: "EXACT".into(),
    }
}

// ---------------------------------------------------------------- query root

pub(super) struct QueryRoot;

#[Object]
impl QueryRoot {
    async fn shop(&self, ctx: &Context<'_>) -> Shop {
        let st = state(ctx);
        let store = st.store();
        Shop {
            id: ID("gid://shopify/Shop/548380009".into()),
            name: store.name.clone(),
            currency_code: store.currency.to_owned(),
            myshopify_domain: "polycart-sim.myshopify.com".into(),
            primary_domain: Domain {
                url: "https://polycart-sim.myshopify.com".into(),
                host: "polycart-sim.myshopify.com".into(),
            },
            plan: ShopPlan {
                display_name: if st.plan == "plus" {
                    "Shopify Plus"
                } else {
                    "Basic"
                }
                .into(),
                shopify_plus: st.plan == "plus",
                partner_development: false,
            },
            iana_timezone: "America/New_York".into(),
        }
    }

    async fn current_bulk_operation(&self, ctx: &Context<'_>) -> Option<bulk::BulkOperation> {
        bulk::current(state(ctx), &bulk::origin_of(ctx))
    }

    async fn bulk_operation(&self, ctx: &Context<'_>, id: ID) -> Option<bulk::BulkOperation> {
        bulk::by_id(state(ctx), &bulk::origin_of(ctx), &id)
    }

    async fn current_app_installation(&self) -> AppInstallation {
        AppInstallation {
            id: ID("gid://shopify/AppInstallation/1".into()),
            access_scopes: super::rest::SCOPES
                .iter()
                .map(|h| AccessScope {
                    handle: (*h).to_owned(),
                })
                .collect(),
        }
    }

    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
        sort_key: Option<OrderSortKeys>,
    ) -> async_graphql::Result<Connection<String, Order>> {
        let _ = sort_key;
        let search = Search::parse(query.as_deref())?;
        let items = sorted(orders_matching(&state(ctx).store(), &search));
        paginate(items, first, after)
    }

    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let n = legacy(&id)?;
        let store = state(ctx).store();
        Ok(store
            .orders
            .iter()
            .find(|o| o.id == n && !o.deleted)
            .map(|o| order(o, &store)))
    }

    async fn orders_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            orders_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
        ))
    }

    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
        sort_key: Option<ProductSortKeys>,
    ) -> async_graphql::Result<Connection<String, Product>> {
        let _ = sort_key;
        let search = Search::parse(query.as_deref())?;
        let items = sorted(products_matching(&state(ctx).store(), &search));
        paginate(items, first, after)
    }

    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        let n = legacy(&id)?;
        let store = state(ctx).store();
        Ok(store
            .products
            .iter()
            .find(|p| p.id == n && !p.deleted)
            .map(|p| product(p, &store)))
    }

    async fn products_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            products_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
        ))
    }

    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
        sort_key: Option<CustomerSortKeys>,
    ) -> async_graphql::Result<Connection<String, Customer>> {
        let _ = sort_key;
        let search = Search::parse(query.as_deref())?;
        let items = sorted(customers_matching(&state(ctx).store(), &search));
        paginate(items, first, after)
    }

    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        let n = legacy(&id)?;
        let store = state(ctx).store();
        Ok(store
            .customers
            .iter()
            .find(|c| c.id == n && !c.deleted)
            .map(|c| customer(c, store.currency)))
    }

    async fn customers_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            customers_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
        ))
    }

    async fn collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
        sort_key: Option<CollectionSortKeys>,
    ) -> async_graphql::Result<Connection<String, Collection>> {
        let _ = sort_key;
        let search = Search::parse(query.as_deref())?;
        let items = sorted(collections_matching(&state(ctx).store(), &search));
        paginate(items, first, after)
    }

    async fn collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Collection>> {
        let n = legacy(&id)?;
        Ok(state(ctx)
            .store()
            .categories
            .iter()
            .find(|c| c.id == n)
            .map(collection))
    }

    async fn collections_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            collections_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
        ))
    }

    async fn locations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Location>> {
        let store = state(ctx).store();
        let items = store
            .locations
            .iter()
            .map(|l| {
                (
                    l.id,
                    Location {
                        id: ID(gid("Location", l.id)),
                        legacy_resource_id: l.id.to_string(),
                        name: l.name.clone(),
                        is_active: true,
                        location_id: l.id,
                    },
                )
            })
            .collect();
        paginate(sorted(items), first, after)
    }

    async fn inventory_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<InventoryItem>> {
        let n = legacy(&id)?;
        let store = state(ctx).store();
        Ok(store.products.iter().filter(|p| !p.deleted).find_map(|p| {
            let v = p.variants.iter().find(|v| v.inventory_item_id == n)?;
            Some(variant(p, v).item)
        }))
    }

    async fn location(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Location>> {
        let n = legacy(&id)?;
        let store = state(ctx).store();
        Ok(store
            .locations
            .iter()
            .find(|l| l.id == n)
            .map(|l| Location {
                id: ID(gid("Location", l.id)),
                legacy_resource_id: l.id.to_string(),
                name: l.name.clone(),
                is_active: true,
                location_id: l.id,
            }))
    }
}

// ---------------------------------------------------------------- cost

/// Shopify's query cost, statically: a connection costs 2 plus `first` times its
/// node's cost, an object 1 plus its fields, a scalar 0; `edges` and `pageInfo`
/// wrappers are free.
pub(super) fn requested_cost(doc: &ExecutableDocument, variables: &Value) -> f64 {
    fn set_cost(
        doc: &ExecutableDocument,
        set: &SelectionSet,
        variables: &Value,
        depth: u32,
    ) -> f64 {
        if depth > 20 {
            return 0.0;
        }
        let mut total = 0.0;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let inner = set_cost(doc, &field.selection_set.node, variables, depth + 1);
                    let name = field.name.node.as_str();
                    let page = field
                        .arguments
                        .iter()
                        .find(|(n, _)| n.node == "first" || n.node == "last")
                        .map(|(_, v)| {
                            // A literal prints as itself, a variable as `$name`.
                            let text = v.node.to_string();
                            match text.strip_prefix('$') {
                                Some(var) => variables[var].as_f64().unwrap_or(0.0),
                                None => text.parse().unwrap_or(0.0),
                            }
                        });
                    total += match (name, page) {
                        (_, Some(n)) => 2.0 + n * inner,
                        ("edges" | "pageInfo", None) => inner,
                        _ => 1.0 + inner,
                    };
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(f) = doc.fragments.get(&spread.node.fragment_name.node) {
                        total += set_cost(doc, &f.node.selection_set.node, variables, depth + 1);
                    }
                }
                Selection::InlineFragment(f) => {
                    total += set_cost(doc, &f.node.selection_set.node, variables, depth + 1)
                }
            }
        }
        total
    }
    doc.operations
        .iter()
        .map(|(_, op)| set_cost(doc, &op.node.selection_set.node, variables, 0))
        .fold(0.0, f64::max)
        .max(1.0)
}

/// What the response actually cost: 2 per connection, 1 per other object returned.
pub(super) fn actual_cost(data: &Value) -> f64 {
    match data {
        Value::Object(map) => {
            let own = if map.contains_key("edges") || map.contains_key("nodes") {
                2.0
            } else if map.contains_key("hasNextPage")
                || (map.contains_key("node") && map.len() <= 2)
            {
                0.0
            } else {
                1.0
            };
            own + map.values().map(actual_cost).sum::<f64>()
        }
        Value::Array(items) => items.iter().map(actual_cost).sum(),
        _ => 0.0,
    }
}

fn throttle_status(bucket: &polycart_kit::sim::BucketState) -> Value {
    json!({
        "maximumAvailable": bucket.capacity,
        "currentlyAvailable": bucket.available().floor(),
        "restoreRate": bucket.leak_per_sec,
    })
}

/// Executes one GraphQL request against the store, charging the cost bucket.
pub(super) async fn execute(
    state: &Arc<SimState>,
    schema: &AdminSchema,
    body: &[u8],
    origin: &str,
) -> Value {
    #[derive(serde::Deserialize)]
    struct Body {
        query: String,
        #[serde(default)]
        variables: Option<Value>,
        #[serde(default, rename = "operationName")]
        operation_name: Option<String>,
    }
    let Ok(request) = serde_json::from_slice::<Body>(body) else {
        return json!({"errors": [{"message": "Invalid request body: expected {\"query\": ...}"}]});
    };
    let variables = request.variables.clone().unwrap_or(Value::Null);
    let doc = match async_graphql::parser::parse_query(&request.query) {
        Ok(doc) => doc,
        Err(e) => {
            return json!({"errors": [{"message": e.to_string(), "extensions": {"code": "PARSE_ERROR"}}]});
        }
    };
    let requested = requested_cost(&doc, &variables).ceil();
    if requested > MAX_COST {
        return json!({"errors": [{
            "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST}). See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the cost of a query is calculated. To query larger amounts of data with fewer limits, bulk operations should be used instead. See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details."),
            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_COST},
        }]});
    }
    let bucket = match state.cost_bucket.take(requested, Instant::now()) {
        Ok(b) => b,
        Err(refused) => {
            return json!({
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": null,
                    "throttleStatus": throttle_status(&refused.state),
                }},
            });
        }
    };
    let mut gql = async_graphql::Request::new(request.query).data(bulk::Origin(origin.to_owned()));
    if let Some(vars) = request.variables {
        gql = gql.variables(async_graphql::Variables::from_json(vars));
    }
    if let Some(op) = request.operation_name {
        gql = gql.operation_name(op);
    }
    let response = schema.execute(gql).await;
    start_pending_bulk(state, schema);
    let mut out = serde_json::to_value(&response)
        .unwrap_or_else(|_| json!({"errors": [{"message": "internal error"}]}));
    let actual = actual_cost(&out["data"]).min(requested);
    state.cost_bucket.refund(requested - actual);
    let mut after = state.cost_bucket.peek(Instant::now());
    after.used = after.used.max(0.0);
    let _ = bucket;
    if let Some(map) = out.as_object_mut() {
        if map.get("data").is_some_and(Value::is_null) && map.contains_key("errors") {
            map.remove("data");
        }
        map.insert(
            "extensions".to_owned(),
            json!({"cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": throttle_status(&after),
            }}),
        );
    }
    out
}

/// Runs a bulk operation the last request created, in the background.
fn start_pending_bulk(state: &Arc<SimState>, schema: &AdminSchema) {
    let pending = {
        let mut ops = state.bulk();
        ops.iter_mut().find(|o| o.status == "CREATED").map(|o| {
            o.status = "RUNNING";
            (o.id, o.query.clone())
        })
    };
    let Some((id, query)) = pending else { return };
    let state = state.clone();
    let schema = schema.clone();
    tokio::spawn(async move {
        let response = bulk::BULK
            .scope(true, schema.execute(async_graphql::Request::new(query)))
            .await;
        let errors = !response.errors.is_empty();
        let data = serde_json::to_value(&response.data).unwrap_or(Value::Null);
        let (text, count, roots) = bulk::to_jsonl(&data);
        let mut ops = state.bulk();
        if let Some(op) = ops.iter_mut().find(|o| o.id == id) {
            op.completed_at = Some(time(Utc::now()));
            if errors {
                op.status = "FAILED";
                op.error_code = Some("INTERNAL_SERVER_ERROR".to_owned());
            } else {
                op.status = "COMPLETED";
                op.object_count = count;
                op.root_object_count = roots;
                op.file = Some(text);
            }
        }
    });
}
