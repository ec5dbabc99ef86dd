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

mod collection;
mod customer;
mod inventory;
mod order;
mod product;
mod query;

use super::bulk;
use super::gql_paging::{Search, legacy, page_of, paginate, state};
use super::gql_writes::WriteMutation;
use super::render::{Currencies, amount, gid, is_smart};
pub(crate) use collection::*;
pub(crate) use customer::*;
pub(crate) use inventory::*;
pub(crate) use order::*;
pub(crate) use product::*;
pub(crate) use query::*;

/// Every mutation: bulk operations and the writes.
#[derive(MergedObject, Default)]
pub(crate) struct MutationRoot(bulk::BulkMutation, WriteMutation);

pub(crate) type AdminSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The executor: requests reach it validated against the real schema and planned
/// onto this one ([`super::schema`]), so it runs them without validating again.
pub(crate) fn schema(state: Arc<SimState>) -> AdminSchema {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .data(state)
        .validation_mode(async_graphql::ValidationMode::Fast)
        .finish()
}

/// The schema's SDL (its types, for the bulk query rules).
pub(crate) fn sdl() -> &'static str {
    static SDL: OnceLock<String> = OnceLock::new();
    SDL.get_or_init(|| {
        Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
            .finish()
            .sdl()
    })
}

/// A product as the GraphQL API shows it now.
pub(crate) fn product_of(ctx: &Context<'_>, id: u64) -> Option<Product> {
    let store = state(ctx).store();
    store
        .products
        .iter()
        .find(|p| p.id == id && !p.deleted)
        .map(|p| product(p, &store))
}

/// An order as the GraphQL API shows it now.
pub(crate) fn order_of(ctx: &Context<'_>, id: u64) -> Option<Order> {
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
pub(crate) struct MoneyV2 {
    amount: String,
    currency_code: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct MoneyBag {
    shop_money: MoneyV2,
    presentment_money: MoneyV2,
}

/// The bag of one amount: the buyer's is converted from the shop's.
pub(crate) fn bag(c: &Currencies, d: Decimal) -> MoneyBag {
    bag_of(c, d, c.convert(d))
}

/// The bag of a sum: the buyer's is the sum of the buyer's parts.
pub(crate) fn bag_of(c: &Currencies, shop: Decimal, buyer: Decimal) -> MoneyBag {
    let money = |d: Decimal, currency: &str| MoneyV2 {
        amount: amount(d),
        currency_code: currency.to_owned(),
    };
    MoneyBag {
        shop_money: money(shop, c.shop),
        presentment_money: money(buyer, c.buyer()),
    }
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(SimpleObject, Clone)]
pub(crate) struct MailingAddress {
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

pub(crate) fn address(a: &SimAddress) -> MailingAddress {
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

#[derive(SimpleObject)]
pub(crate) struct Count {
    count: i64,
    precision: String,
}

#[derive(SimpleObject)]
pub(crate) struct Domain {
    url: String,
    host: String,
}

#[derive(SimpleObject)]
pub(crate) struct ShopPlan {
    display_name: String,
    shopify_plus: bool,
    partner_development: bool,
}

#[derive(SimpleObject)]
pub(crate) struct Shop {
    id: ID,
    name: String,
    currency_code: String,
    myshopify_domain: String,
    primary_domain: Domain,
    plan: ShopPlan,
    iana_timezone: String,
}

#[derive(SimpleObject)]
pub(crate) struct AccessScope {
    handle: String,
}

#[derive(SimpleObject)]
pub(crate) struct AppInstallation {
    id: ID,
    access_scopes: Vec<AccessScope>,
}

/// Sort keys clients pass as enum literals (`sortKey: UPDATED_AT`). The simulator
/// accepts them and always pages by id, so its cursors stay stable.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum OrderSortKeys {
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
pub(crate) enum ProductSortKeys {
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
pub(crate) enum CustomerSortKeys {
    Id,
    CreatedAt,
    UpdatedAt,
    Name,
    Location,
    Relevance,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollectionSortKeys {
    Id,
    UpdatedAt,
    Title,
    Relevance,
}

pub(crate) fn order_status(o: &SimOrder) -> &'static str {
    match o.state {
        SimOrderState::Cancelled => "cancelled",
        SimOrderState::Completed => "closed",
        _ => "open",
    }
}

pub(crate) fn orders_matching(store: &SimStore, search: &Search) -> Vec<(u64, Order)> {
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

pub(crate) fn products_matching(store: &SimStore, search: &Search) -> Vec<(u64, Product)> {
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

pub(crate) fn customers_matching(store: &SimStore, search: &Search) -> Vec<(u64, Customer)> {
    store
        .customers
        .iter()
        .filter(|c| !c.deleted && search.keeps(Some(c.created_at), c.updated_at))
        .map(|c| (c.id, customer(c, store.currency)))
        .collect()
}

pub(crate) fn collections_matching(store: &SimStore, search: &Search) -> Vec<(u64, Collection)> {
    store
        .categories
        .iter()
        .filter(|c| search.keeps(None, c.updated_at))
        .map(|c| (c.id, collection(c)))
        .collect()
}

pub(crate) fn sorted<T>(mut items: Vec<(u64, T)>) -> Vec<(u64, T)> {
    items.sort_by_key(|(k, _)| *k);
    items
}

/// A count capped like Shopify's: at `limit` (10,000 unless given; `null` for none),
/// with `AT_LEAST` when the cap was reached.
pub(crate) fn count(n: usize, limit: &MaybeUndefined<i32>) -> Count {
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
