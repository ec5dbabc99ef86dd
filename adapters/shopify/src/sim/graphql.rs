//! The simulator's GraphQL Admin API (`POST /admin/api/{version}/graphql.json`), an
//! async-graphql schema with Shopify's type and field names: `orders`, `products`,
//! `customers`, `collections`, `locations { inventoryLevels }` connections with
//! `first`/`after`/`query`, single-record fields, counts, `shop` and
//! `currentAppInstallation`, `node(id:)` and `nodes(ids:)` over the `Node` interface,
//! and bulk operations ([`super::bulk`]). Requests, costs and throttling are
//! [`super::gql_http`].

use std::sync::{Arc, OnceLock};

use async_graphql::connection::Connection;
use async_graphql::{
    ComplexObject, Context, EmptySubscription, ID, Interface, MaybeUndefined, MergedObject, Object,
    Schema, SimpleObject,
};
use chrono::{DateTime, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimLocation, SimOrder,
    SimOrderState, SimProduct, SimProductStatus, SimStore, SimVariant,
};
use rust_decimal::Decimal;

use super::SimState;
use super::bulk;
use super::gql_paging::{Search, legacy, page_of, paginate, state};
use super::gql_writes::WriteMutation;
use super::render::{Currencies, amount, gid, is_smart};

/// Every mutation: bulk operations and the writes.
#[derive(MergedObject, Default)]
pub(super) struct MutationRoot(bulk::BulkMutation, WriteMutation);

pub(super) type AdminSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The executor: requests reach it validated against the real schema and planned
/// onto this one ([`super::schema`]), so it runs them without validating again.
pub(super) fn schema(state: Arc<SimState>) -> AdminSchema {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .data(state)
        .validation_mode(async_graphql::ValidationMode::Fast)
        .finish()
}

/// The schema's SDL (its types, for the bulk query rules).
pub(super) fn sdl() -> &'static str {
    static SDL: OnceLock<String> = OnceLock::new();
    SDL.get_or_init(|| {
        Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
            .finish()
            .sdl()
    })
}

/// A product as the GraphQL API shows it now.
pub(super) fn product_of(ctx: &Context<'_>, id: u64) -> Option<Product> {
    let store = state(ctx).store();
    store
        .products
        .iter()
        .find(|p| p.id == id && !p.deleted)
        .map(|p| product(p, &store))
}

/// An order as the GraphQL API shows it now.
pub(super) fn order_of(ctx: &Context<'_>, id: u64) -> Option<Order> {
    let store = state(ctx).store();
    store
        .orders
        .iter()
        .find(|o| o.id == id && !o.deleted)
        .map(|o| order(o, &store))
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

/// The bag of one amount: the buyer's is converted from the shop's.
fn bag(c: &Currencies, d: Decimal) -> MoneyBag {
    bag_of(c, d, c.convert(d))
}

/// The bag of a sum: the buyer's is the sum of the buyer's parts.
fn bag_of(c: &Currencies, shop: Decimal, buyer: Decimal) -> MoneyBag {
    let money = |d: Decimal, currency: &str| MoneyV2 {
        amount: amount(d),
        currency_code: currency.to_owned(),
    };
    MoneyBag {
        shop_money: money(shop, c.shop),
        presentment_money: money(buyer, c.buyer()),
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

impl Product {
    /// The variants with these legacy ids.
    pub(super) fn variants_with(&self, ids: &[u64]) -> Vec<ProductVariant> {
        self.variant_list
            .iter()
            .filter(|v| {
                v.legacy_resource_id
                    .parse()
                    .is_ok_and(|n: u64| ids.contains(&n))
            })
            .cloned()
            .collect()
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
    discount_allocations: Vec<DiscountAllocation>,
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
    discount_allocations: Vec<DiscountAllocation>,
}

/// What a line owes to one discount application.
#[derive(SimpleObject, Clone)]
pub(super) struct DiscountAllocation {
    allocated_amount_set: MoneyBag,
    discount_application: DiscountApplication,
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
#[graphql(complex)]
pub(super) struct FulfillmentOrder {
    id: ID,
    status: String,
    created_at: String,
    updated_at: String,
    #[graphql(skip)]
    lines: Vec<FulfillmentOrderLineItem>,
}

#[ComplexObject]
impl FulfillmentOrder {
    async fn line_items(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, FulfillmentOrderLineItem>> {
        page_of(&self.lines, first, after)
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct FulfillmentOrderLineItem {
    id: ID,
    total_quantity: i32,
    remaining_quantity: i32,
    line_item: LineItemRef,
}

fn fulfillment_order(fo: &super::ops::FulfillmentOrder) -> FulfillmentOrder {
    FulfillmentOrder {
        id: ID(gid("FulfillmentOrder", fo.id)),
        status: fo.status.to_ascii_uppercase(),
        created_at: time(fo.created_at),
        updated_at: time(fo.updated_at),
        lines: fo
            .lines
            .iter()
            .map(|l| FulfillmentOrderLineItem {
                id: ID(gid("FulfillmentOrderLineItem", l.id)),
                total_quantity: l.quantity as i32,
                remaining_quantity: l.remaining as i32,
                line_item: LineItemRef {
                    id: ID(gid("LineItem", l.line_item_id)),
                },
            })
            .collect(),
    }
}

#[derive(SimpleObject, Clone)]
pub(super) struct DiscountCodeApplication {
    index: i32,
    code: String,
    allocation_method: String,
    target_type: String,
}

/// Discounts without a code: automatic, manual and script ones (the simulator
/// generates none, Shopify has them; a client may ask for them).
macro_rules! titled_discount {
    ($($name:ident),*) => {$(
        #[derive(SimpleObject, Clone)]
        pub(super) struct $name {
            index: i32,
            title: String,
            allocation_method: String,
            target_type: String,
        }
    )*};
}

titled_discount!(
    AutomaticDiscountApplication,
    ManualDiscountApplication,
    ScriptDiscountApplication
);

/// Shopify's `DiscountApplication` interface: how a discount was applied.
#[derive(Interface, Clone)]
#[graphql(
    field(name = "index", ty = "&i32"),
    field(name = "allocation_method", ty = "&String"),
    field(name = "target_type", ty = "&String")
)]
#[allow(clippy::enum_variant_names)]
pub(super) enum DiscountApplication {
    DiscountCodeApplication(DiscountCodeApplication),
    AutomaticDiscountApplication(AutomaticDiscountApplication),
    ManualDiscountApplication(ManualDiscountApplication),
    ScriptDiscountApplication(ScriptDiscountApplication),
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
    discounts: Vec<DiscountApplication>,
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

    async fn fulfillment_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, FulfillmentOrder>> {
        let id: u64 = self.legacy_resource_id.parse().unwrap_or_default();
        let orders: Vec<FulfillmentOrder> = state(ctx)
            .fulfillment_order(id)
            .ok()
            .map(|fo| fulfillment_order(&fo))
            .into_iter()
            .collect();
        page_of(&orders, first, after)
    }

    async fn discount_applications(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, DiscountApplication>> {
        page_of(&self.discounts, first, after)
    }
}

fn order(o: &SimOrder, store: &SimStore) -> Order {
    let c = &Currencies::of(o);
    let p = o.presented();
    let cust = o
        .customer_id
        .and_then(|id| store.customers.iter().find(|c| c.id == id));
    let received = |o: &SimOrder| match o.financial {
        SimFinancial::Pending | SimFinancial::Authorized | SimFinancial::Voided => Decimal::ZERO,
        _ => o.total(),
    };
    let discounts: Vec<DiscountApplication> = o
        .discount_codes
        .iter()
        .enumerate()
        .map(|(i, (code, _))| {
            DiscountApplication::DiscountCodeApplication(DiscountCodeApplication {
                index: i as i32,
                code: code.clone(),
                allocation_method: "ACROSS".into(),
                target_type: "LINE_ITEM".into(),
            })
        })
        .collect();
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
        currency_code: c.shop.to_owned(),
        presentment_currency_code: c.buyer().to_owned(),
        subtotal_price_set: bag_of(
            c,
            o.subtotal() - o.total_discount(),
            p.subtotal() - p.total_discount(),
        ),
        total_shipping_price_set: bag(c, o.shipping_price),
        total_tax_set: bag_of(c, o.total_tax(), p.total_tax()),
        total_discounts_set: bag_of(c, o.total_discount(), p.total_discount()),
        total_price_set: bag_of(c, o.total(), p.total()),
        total_received_set: bag_of(c, received(o), received(&p)),
        total_refunded_set: bag_of(c, o.refunded(), p.refunded()),
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
                total_refunded_set: bag(c, r.amount),
                lines: r
                    .lines
                    .iter()
                    .map(|(line, q, a)| RefundLineItem {
                        line_item: LineItemRef {
                            id: ID(gid("LineItem", *line)),
                        },
                        quantity: *q as i32,
                        restock_type: "RETURN".into(),
                        subtotal_set: bag(c, *a),
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
                // The generator's line discounts all come from the order's first code.
                discount_allocations: match discounts.first() {
                    Some(app) if !l.discount.is_zero() => vec![DiscountAllocation {
                        allocated_amount_set: bag(c, l.discount),
                        discount_application: app.clone(),
                    }],
                    _ => Vec::new(),
                },
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
                original_unit_price_set: bag(c, l.price),
                discounted_total_set: bag_of(
                    c,
                    l.gross() - l.discount,
                    c.convert(l.price) * Decimal::from(l.quantity) - c.convert(l.discount),
                ),
                total_discount_set: bag(c, l.discount),
                tax_lines: if l.tax.is_zero() {
                    Vec::new()
                } else {
                    vec![TaxLine {
                        title: "Tax".into(),
                        rate: o.tax_rate.to_string().parse().unwrap_or(0.0),
                        price_set: bag(c, l.tax),
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
            original_price_set: bag(c, o.shipping_price),
            discount_allocations: Vec::new(),
        }],
        discounts,
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
            .map(location)
    }
}

fn location(l: &SimLocation) -> Location {
    Location {
        id: ID(gid("Location", l.id)),
        legacy_resource_id: l.id.to_string(),
        name: l.name.clone(),
        is_active: true,
        location_id: l.id,
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

/// A count capped like Shopify's: at `limit` (10,000 unless given; `null` for none),
/// with `AT_LEAST` when the cap was reached.
fn count(n: usize, limit: &MaybeUndefined<i32>) -> Count {
    let cap = match limit {
        MaybeUndefined::Undefined => Some(10_000),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(l) => Some(i64::from((*l).max(0))),
    };
    let n = n as i64;
    match cap {
        Some(cap) if n >= cap => Count {
            count: cap,
            precision: "AT_LEAST".into(),
        },
        _ => Count {
            count: n,
            precision: "EXACT".into(),
        },
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

    async fn current_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] kind: Option<bulk::BulkOperationType>,
    ) -> Option<bulk::BulkOperation> {
        bulk::current(ctx, kind)
    }

    async fn bulk_operation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<bulk::BulkOperation>> {
        bulk::by_id(ctx, &id)
    }

    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        node(ctx, &id)
    }

    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > 250 {
            return Err(async_graphql::Error::new(
                "The ids argument accepts at most 250 ids",
            ));
        }
        ids.iter().map(|id| node(ctx, id)).collect()
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
        #[graphql(default)] limit: MaybeUndefined<i32>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            orders_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
            &limit,
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

    async fn product_variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<String, ProductVariant>> {
        let search = Search::parse(query.as_deref())?;
        let store = state(ctx).store();
        let items = store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
            .filter(|(_, v)| search.sku.as_deref().is_none_or(|s| v.sku == s))
            .filter(|(_, v)| search.keeps(Some(v.created_at), v.updated_at))
            .map(|(p, v)| (v.id, variant(p, v)))
            .collect();
        paginate(sorted(items), first, after)
    }

    async fn products_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        #[graphql(default)] limit: MaybeUndefined<i32>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            products_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
            &limit,
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
        #[graphql(default)] limit: MaybeUndefined<i32>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            customers_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
            &limit,
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
        #[graphql(default)] limit: MaybeUndefined<i32>,
    ) -> async_graphql::Result<Count> {
        Ok(count(
            collections_matching(&state(ctx).store(), &Search::parse(query.as_deref())?).len(),
            &limit,
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
            .map(|l| (l.id, location(l)))
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
        Ok(store.locations.iter().find(|l| l.id == n).map(location))
    }
}

// ---------------------------------------------------------------- node

/// Shopify's `Node` interface: every object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID"))]
#[allow(clippy::large_enum_variant)]
pub(super) enum Node {
    Order(Order),
    LineItem(LineItem),
    Refund(Refund),
    Fulfillment(Fulfillment),
    Product(Product),
    ProductVariant(ProductVariant),
    InventoryItem(InventoryItem),
    Customer(Customer),
    Collection(Collection),
    Location(Location),
    FulfillmentOrder(FulfillmentOrder),
    BulkOperation(bulk::BulkOperation),
}

/// The record a GID names, of any type the simulator serves.
pub(super) fn node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let kind = id
        .strip_prefix("gid://shopify/")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| async_graphql::Error::new(format!("Invalid global id '{}'", id.0)))?;
    if kind == "BulkOperation" {
        return Ok(bulk::lookup(ctx, id).map(Node::BulkOperation));
    }
    let n = legacy(id)?;
    let store = state(ctx).store();
    let live_orders = || store.orders.iter().filter(|o| !o.deleted);
    let live_products = || store.products.iter().filter(|p| !p.deleted);
    // The order holding a child record, rendered.
    let order_with =
        |has: &dyn Fn(&SimOrder) -> bool| live_orders().find(|o| has(o)).map(|o| order(o, &store));
    Ok(match kind {
        "Order" => live_orders()
            .find(|o| o.id == n)
            .map(|o| Node::Order(order(o, &store))),
        "LineItem" => order_with(&|o| o.line_items.iter().any(|l| l.id == n))
            .and_then(|o| o.lines.into_iter().find(|l| l.id == *id))
            .map(Node::LineItem),
        "Refund" => order_with(&|o| o.refunds.iter().any(|r| r.id == n))
            .and_then(|o| o.refunds.into_iter().find(|r| r.id == *id))
            .map(Node::Refund),
        "Fulfillment" => order_with(&|o| o.shipments.iter().any(|s| s.id == n))
            .and_then(|o| o.fulfillments.into_iter().find(|f| f.id == *id))
            .map(Node::Fulfillment),
        "Product" => live_products()
            .find(|p| p.id == n)
            .map(|p| Node::Product(product(p, &store))),
        "ProductVariant" => live_products().find_map(|p| {
            let v = p.variants.iter().find(|v| v.id == n)?;
            Some(Node::ProductVariant(variant(p, v)))
        }),
        "InventoryItem" => live_products().find_map(|p| {
            let v = p.variants.iter().find(|v| v.inventory_item_id == n)?;
            Some(Node::InventoryItem(variant(p, v).item))
        }),
        "Customer" => store
            .customers
            .iter()
            .find(|c| c.id == n && !c.deleted)
            .map(|c| Node::Customer(customer(c, store.currency))),
        "Collection" => store
            .categories
            .iter()
            .find(|c| c.id == n)
            .map(|c| Node::Collection(collection(c))),
        "Location" => store
            .locations
            .iter()
            .find(|l| l.id == n)
            .map(|l| Node::Location(location(l))),
        "FulfillmentOrder" => {
            drop(store);
            state(ctx)
                .fulfillment_order(n.saturating_sub(super::ops::FO_OFFSET))
                .ok()
                .filter(|fo| fo.id == n)
                .map(|fo| Node::FulfillmentOrder(fulfillment_order(&fo)))
        }
        _ => None,
    })
}
