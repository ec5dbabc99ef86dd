//! The simulator's GraphQL Admin API writes, with Shopify's mutation, input and
//! payload names: `productUpdate` (`product:` from 2024-10, `input:` before),
//! `productVariantsBulkUpdate`, `inventorySetQuantities` (compare-and-swap:
//! `changeFromQuantity` from 2026-01, `ignoreCompareQuantity`/`compareQuantity`
//! before), `inventoryAdjustQuantities`, `orderClose`, `orderOpen`, `orderCancel`,
//! `orderUpdate`, `tagsAdd`, `fulfillmentCreate` and `fulfillmentCreateV2`. Refusals
//! are `userErrors`, as Shopify answers them; the store changes through
//! [`super::ops`], shared with the REST API.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use rust_decimal::Decimal;

use super::SimState;
use super::bulk::ApiVersion;
use super::gql_paging::legacy;
use super::graphql::{
    Fulfillment, Node, Order, Product, ProductVariant, node, order_of, product_of,
};
use super::ops::{OrderAction, Outcome, Refusal, Tracking};

#[derive(SimpleObject, Debug, Clone)]
pub(super) struct UserError {
    field: Option<Vec<String>>,
    message: String,
}

impl UserError {
    fn of(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => Self {
                field: Some(vec!["id".to_owned()]),
                message: "Record not found".to_owned(),
            },
            Refusal::Invalid { field, message } => Self {
                field: Some(vec![field.to_owned()]),
                message,
            },
        }
    }

    fn new(field: &str, message: &str) -> Self {
        Self {
            field: Some(vec![field.to_owned()]),
            message: message.to_owned(),
        }
    }
}

/// The errors of an outcome (none when it went through).
fn errors<T>(outcome: &Outcome<T>) -> Vec<UserError> {
    match outcome {
        Ok(_) => Vec::new(),
        Err(r) => vec![UserError::of(r.clone())],
    }
}

fn state<'a>(ctx: &Context<'a>) -> &'a Arc<SimState> {
    ctx.data_unchecked::<Arc<SimState>>()
}

fn version(ctx: &Context<'_>) -> ApiVersion {
    ctx.data_opt::<ApiVersion>()
        .cloned()
        .unwrap_or_else(|| ApiVersion("2026-01".to_owned()))
}

fn money(field: &str, text: &str) -> Result<Decimal, UserError> {
    text.parse()
        .map_err(|_| UserError::new(field, "is not a valid amount"))
}

#[derive(InputObject)]
pub(super) struct ProductUpdateInput {
    id: ID,
    title: Option<String>,
    status: Option<ProductStatus>,
    tags: Option<Vec<String>>,
}

#[derive(InputObject)]
pub(super) struct ProductInput {
    id: ID,
    title: Option<String>,
    status: Option<ProductStatus>,
    tags: Option<Vec<String>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProductStatus {
    Active,
    Archived,
    Draft,
}

impl ProductStatus {
    fn name(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
            ProductStatus::Draft => "draft",
        }
    }
}

#[derive(SimpleObject)]
pub(super) struct ProductUpdatePayload {
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub(super) struct ProductVariantsBulkInput {
    id: ID,
    price: Option<String>,
    #[graphql(default)]
    compare_at_price: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub(super) struct ProductVariantsBulkUpdatePayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub(super) struct InventoryQuantityInput {
    inventory_item_id: ID,
    location_id: ID,
    quantity: i32,
    compare_quantity: Option<i32>,
    #[graphql(default)]
    change_from_quantity: MaybeUndefined<i32>,
}

#[derive(InputObject)]
pub(super) struct InventorySetQuantitiesInput {
    name: String,
    reason: String,
    reference_document_uri: Option<String>,
    ignore_compare_quantity: Option<bool>,
    quantities: Vec<InventoryQuantityInput>,
}

#[derive(InputObject)]
pub(super) struct InventoryChangeInput {
    inventory_item_id: ID,
    location_id: ID,
    delta: i32,
}

#[derive(InputObject)]
pub(super) struct InventoryAdjustQuantitiesInput {
    name: String,
    reason: String,
    reference_document_uri: Option<String>,
    changes: Vec<InventoryChangeInput>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct InventoryChange {
    name: String,
    delta: i32,
    quantity_after_change: Option<i32>,
}

#[derive(SimpleObject)]
pub(super) struct InventoryAdjustmentGroup {
    id: ID,
    reason: String,
    changes: Vec<InventoryChange>,
}

#[derive(SimpleObject)]
pub(super) struct InventoryQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub(super) struct OrderCloseInput {
    id: ID,
}

#[derive(InputObject)]
pub(super) struct OrderOpenInput {
    id: ID,
}

#[derive(InputObject)]
pub(super) struct OrderInput {
    id: ID,
    #[graphql(default)]
    note: MaybeUndefined<String>,
    tags: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub(super) struct OrderPayload {
    order: Option<Order>,
    user_errors: Vec<UserError>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderCancelReason {
    Customer,
    Declined,
    Fraud,
    Inventory,
    Staff,
    Other,
}

#[derive(SimpleObject)]
pub(super) struct Job {
    id: ID,
    done: bool,
}

#[derive(SimpleObject)]
pub(super) struct OrderCancelPayload {
    job: Option<Job>,
    order_cancel_user_errors: Vec<UserError>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(super) struct TagsAddPayload {
    node: Option<Node>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub(super) struct FulfillmentOrderLineItemInput {
    id: ID,
    quantity: i32,
}

#[derive(InputObject)]
pub(super) struct FulfillmentOrderLineItemsInput {
    fulfillment_order_id: ID,
    fulfillment_order_line_items: Option<Vec<FulfillmentOrderLineItemInput>>,
}

#[derive(InputObject, Default)]
pub(super) struct FulfillmentTrackingInput {
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
}

#[derive(InputObject)]
pub(super) struct FulfillmentInput {
    line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
    tracking_info: Option<FulfillmentTrackingInput>,
    notify_customer: Option<bool>,
}

#[derive(InputObject)]
pub(super) struct FulfillmentV2Input {
    line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
    tracking_info: Option<FulfillmentTrackingInput>,
    notify_customer: Option<bool>,
}

#[derive(SimpleObject)]
pub(super) struct FulfillmentCreatePayload {
    fulfillment: Option<Fulfillment>,
    user_errors: Vec<UserError>,
}

/// The GraphQL node of a fulfillment the store just recorded.
fn fulfillment_node(ctx: &Context<'_>, id: u64) -> Option<Fulfillment> {
    match node(ctx, &ID(format!("gid://shopify/Fulfillment/{id}"))) {
        Ok(Some(Node::Fulfillment(f))) => Some(f),
        _ => None,
    }
}

fn fulfill(
    ctx: &Context<'_>,
    groups: Vec<FulfillmentOrderLineItemsInput>,
    tracking: Option<FulfillmentTrackingInput>,
) -> FulfillmentCreatePayload {
    let mut wanted = Vec::with_capacity(groups.len());
    for g in groups {
        let Ok(fo) = legacy(&g.fulfillment_order_id) else {
            return FulfillmentCreatePayload {
                fulfillment: None,
                user_errors: vec![UserError::new("fulfillmentOrderId", "is invalid")],
            };
        };
        let items = g.fulfillment_order_line_items.map(|items| {
            items
                .iter()
                .filter_map(|i| Some((legacy(&i.id).ok()?, u32::try_from(i.quantity).ok()?)))
                .collect()
        });
        wanted.push((fo, items));
    }
    let t = tracking.unwrap_or_default();
    let outcome = state(ctx).fulfill(
        &wanted,
        Tracking {
            company: t.company,
            number: t.number,
            url: t.url,
        },
    );
    FulfillmentCreatePayload {
        user_errors: errors(&outcome),
        fulfillment: outcome
            .ok()
            .and_then(|f| f["id"].as_u64())
            .and_then(|id| fulfillment_node(ctx, id)),
    }
}

/// One inventory change: quantity `value` set (or, `adjust`, changed by it).
fn change_level(
    st: &SimState,
    item: &ID,
    location: &ID,
    value: i64,
    adjust: bool,
) -> Result<(i64, i64), UserError> {
    let item = legacy(item).map_err(|_| UserError::new("inventoryItemId", "is invalid"))?;
    let location = legacy(location).map_err(|_| UserError::new("locationId", "is invalid"))?;
    let before = st.level(item, location).map_err(UserError::of)?;
    let after = st
        .set_level(item, location, value, adjust)
        .map_err(UserError::of)?;
    Ok((after - before, after))
}

fn adjustment_group(
    reason: String,
    name: &str,
    changes: Vec<(i64, i64)>,
) -> InventoryAdjustmentGroup {
    InventoryAdjustmentGroup {
        id: ID(format!(
            "gid://shopify/InventoryAdjustmentGroup/{}",
            chrono::Utc::now().timestamp_micros()
        )),
        reason,
        changes: changes
            .into_iter()
            .map(|(delta, after)| InventoryChange {
                name: name.to_owned(),
                delta: delta as i32,
                quantity_after_change: Some(after as i32),
            })
            .collect(),
    }
}

fn quantities_payload(
    outcome: Result<InventoryAdjustmentGroup, UserError>,
) -> InventoryQuantitiesPayload {
    match outcome {
        Ok(group) => InventoryQuantitiesPayload {
            inventory_adjustment_group: Some(group),
            user_errors: Vec::new(),
        },
        Err(e) => InventoryQuantitiesPayload {
            inventory_adjustment_group: None,
            user_errors: vec![e],
        },
    }
}

/// `inventorySetQuantities` with its compare-and-swap check: the quantity must still
/// be what the caller last saw (`changeFromQuantity` from 2026-01, required from
/// 2026-04; before, `compareQuantity` unless `ignoreCompareQuantity`).
fn set_quantities(
    ctx: &Context<'_>,
    input: InventorySetQuantitiesInput,
) -> Result<InventoryAdjustmentGroup, UserError> {
    check_quantity_name(&input.name)?;
    let st = state(ctx);
    let cas_required = version(ctx).at_least("2026-04");
    let mut changes = Vec::new();
    for q in &input.quantities {
        let expected = match &q.change_from_quantity {
            MaybeUndefined::Value(v) => Some(*v),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined if cas_required => {
                return Err(UserError::new(
                    "changeFromQuantity",
                    "changeFromQuantity is required",
                ));
            }
            MaybeUndefined::Undefined if input.ignore_compare_quantity == Some(true) => None,
            MaybeUndefined::Undefined => Some(q.compare_quantity.ok_or_else(|| {
                UserError::new(
                    "compareQuantity",
                    "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                )
            })?),
        };
        if let Some(expected) = expected {
            let current = legacy(&q.inventory_item_id)
                .ok()
                .zip(legacy(&q.location_id).ok())
                .and_then(|(i, l)| st.level(i, l).ok());
            if current != Some(i64::from(expected)) {
                return Err(UserError::new(
                    "changeFromQuantity",
                    "The specified compare quantity does not match the current quantity.",
                ));
            }
        }
        changes.push(change_level(
            st,
            &q.inventory_item_id,
            &q.location_id,
            i64::from(q.quantity),
            false,
        )?);
    }
    Ok(adjustment_group(input.reason, &input.name, changes))
}

fn adjust_quantities(
    ctx: &Context<'_>,
    input: InventoryAdjustQuantitiesInput,
) -> Result<InventoryAdjustmentGroup, UserError> {
    check_quantity_name(&input.name)?;
    let mut changes = Vec::new();
    for c in &input.changes {
        changes.push(change_level(
            state(ctx),
            &c.inventory_item_id,
            &c.location_id,
            i64::from(c.delta),
            true,
        )?);
    }
    Ok(adjustment_group(input.reason, &input.name, changes))
}

fn check_quantity_name(name: &str) -> Result<(), UserError> {
    matches!(name, "available" | "on_hand")
        .then_some(())
        .ok_or_else(|| {
            UserError::new(
                "name",
                "The quantity name must be either 'available' or 'on_hand'",
            )
        })
}

#[derive(Default)]
pub(super) struct WriteMutation;

#[Object]
impl WriteMutation {
    async fn product_update(
        &self,
        ctx: &Context<'_>,
        product: Option<ProductUpdateInput>,
        input: Option<ProductInput>,
    ) -> ProductUpdatePayload {
        let fields = match (product, input) {
            (Some(p), _) => (p.id, p.title, p.status, p.tags),
            (None, Some(i)) => (i.id, i.title, i.status, i.tags),
            (None, None) => {
                return ProductUpdatePayload {
                    product: None,
                    user_errors: vec![UserError::new("product", "is required")],
                };
            }
        };
        let (id, title, status, tags) = fields;
        let outcome = legacy(&id).map_err(|_| Refusal::NotFound).and_then(|n| {
            state(ctx).update_product(
                n,
                title.as_deref(),
                status.map(ProductStatus::name),
                tags,
            )?;
            Ok(n)
        });
        ProductUpdatePayload {
            user_errors: errors(&outcome),
            product: outcome.ok().and_then(|n| product_of(ctx, n)),
        }
    }

    async fn product_variants_bulk_update(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variants: Vec<ProductVariantsBulkInput>,
    ) -> ProductVariantsBulkUpdatePayload {
        let refuse = |e: UserError| ProductVariantsBulkUpdatePayload {
            product: None,
            product_variants: None,
            user_errors: vec![e],
        };
        let Ok(pid) = legacy(&product_id) else {
            return refuse(UserError::new("productId", "Product does not exist"));
        };
        let st = state(ctx);
        let mut changed = Vec::new();
        for v in variants {
            let Ok(vid) = legacy(&v.id) else {
                return refuse(UserError::new("id", "is invalid"));
            };
            let belongs = st
                .store()
                .products
                .iter()
                .any(|p| p.id == pid && p.variants.iter().any(|x| x.id == vid));
            if !belongs {
                return refuse(UserError::new("id", "Product variant does not exist"));
            }
            let price = match v.price.as_deref().map(|p| money("price", p)).transpose() {
                Ok(p) => p,
                Err(e) => return refuse(e),
            };
            let compare = match v.compare_at_price {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(c) => match money("compareAtPrice", &c) {
                    Ok(d) => Some(Some(d)),
                    Err(e) => return refuse(e),
                },
            };
            if let Err(r) = st.update_variant(vid, price, compare) {
                return refuse(UserError::of(r));
            }
            changed.push(vid);
        }
        let product = product_of(ctx, pid);
        ProductVariantsBulkUpdatePayload {
            product_variants: product.as_ref().map(|p| p.variants_with(&changed)),
            product,
            user_errors: Vec::new(),
        }
    }

    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventorySetQuantitiesInput,
    ) -> InventoryQuantitiesPayload {
        quantities_payload(set_quantities(ctx, input))
    }

    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryAdjustQuantitiesInput,
    ) -> InventoryQuantitiesPayload {
        quantities_payload(adjust_quantities(ctx, input))
    }

    async fn order_close(&self, ctx: &Context<'_>, input: OrderCloseInput) -> OrderPayload {
        order_action(ctx, &input.id, OrderAction::Close)
    }

    async fn order_open(&self, ctx: &Context<'_>, input: OrderOpenInput) -> OrderPayload {
        order_action(ctx, &input.id, OrderAction::Open)
    }

    #[allow(clippy::too_many_arguments)]
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        reason: OrderCancelReason,
        refund: Option<bool>,
        restock: bool,
        notify_customer: Option<bool>,
        staff_note: Option<String>,
    ) -> OrderCancelPayload {
        let _ = (reason, refund, restock, notify_customer, staff_note);
        let outcome = legacy(&order_id)
            .map_err(|_| Refusal::NotFound)
            .and_then(|n| state(ctx).order_action(n, OrderAction::Cancel));
        let errors = errors(&outcome);
        OrderCancelPayload {
            // Shopify cancels in a job; the simulator's is done at once.
            job: outcome.ok().map(|()| Job {
                id: ID(format!(
                    "gid://shopify/Job/{}",
                    chrono::Utc::now().timestamp_micros()
                )),
                done: true,
            }),
            order_cancel_user_errors: errors.clone(),
            user_errors: errors,
        }
    }

    async fn order_update(&self, ctx: &Context<'_>, input: OrderInput) -> OrderPayload {
        let note = match input.note {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(n) => Some(Some(n)),
        };
        let outcome = legacy(&input.id)
            .map_err(|_| Refusal::NotFound)
            .and_then(|n| {
                state(ctx).update_order(n, input.tags, note)?;
                Ok(n)
            });
        OrderPayload {
            user_errors: errors(&outcome),
            order: outcome.ok().and_then(|n| order_of(ctx, n)),
        }
    }

    async fn tags_add(&self, ctx: &Context<'_>, id: ID, tags: Vec<String>) -> TagsAddPayload {
        let is_order = id.starts_with("gid://shopify/Order/");
        let outcome = if is_order {
            legacy(&id)
                .map_err(|_| Refusal::NotFound)
                .and_then(|n| state(ctx).add_order_tags(n, &tags))
        } else {
            Err(Refusal::NotFound)
        };
        TagsAddPayload {
            user_errors: errors(&outcome),
            node: outcome.ok().and_then(|()| node(ctx, &id).ok().flatten()),
        }
    }

    async fn fulfillment_create(
        &self,
        ctx: &Context<'_>,
        fulfillment: FulfillmentInput,
        message: Option<String>,
    ) -> FulfillmentCreatePayload {
        let _ = (message, fulfillment.notify_customer);
        fulfill(
            ctx,
            fulfillment.line_items_by_fulfillment_order,
            fulfillment.tracking_info,
        )
    }

    async fn fulfillment_create_v2(
        &self,
        ctx: &Context<'_>,
        fulfillment: FulfillmentV2Input,
    ) -> FulfillmentCreatePayload {
        let _ = fulfillment.notify_customer;
        fulfill(
            ctx,
            fulfillment.line_items_by_fulfillment_order,
            fulfillment.tracking_info,
        )
    }
}

fn order_action(ctx: &Context<'_>, id: &ID, action: OrderAction) -> OrderPayload {
    let outcome = legacy(id).map_err(|_| Refusal::NotFound).and_then(|n| {
        state(ctx).order_action(n, action)?;
        Ok(n)
    });
    OrderPayload {
        user_errors: errors(&outcome),
        order: outcome.ok().and_then(|n| order_of(ctx, n)),
    }
}
