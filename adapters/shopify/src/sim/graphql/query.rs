//! The query root (connections with `first`/`after`/`query`, single records,
//! counts, `shop`, `currentAppInstallation`) and `node(id:)` over the `Node`
//! interface.

use super::*;

// ---------------------------------------------------------------- query root

pub(crate) struct QueryRoot;

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

    async fn bulk_operations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
    ) -> async_graphql::Result<async_graphql::connection::Connection<String, bulk::BulkOperation>>
    {
        bulk::list(ctx, first, after, query)
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
            access_scopes: super::super::rest::SCOPES
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
pub(crate) enum Node {
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
pub(crate) fn node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
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
                .fulfillment_order(n.saturating_sub(super::super::ops::FO_OFFSET))
                .ok()
                .filter(|fo| fo.id == n)
                .map(|fo| Node::FulfillmentOrder(fulfillment_order(&fo)))
        }
        _ => None,
    })
}
