//! `Order` with its lines, shipping, discounts, refunds, fulfillments and
//! fulfillment orders, rendered from the generated store.

use super::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct TaxLine {
    pub(crate) title: String,
    pub(crate) rate: f64,
    pub(crate) price_set: MoneyBag,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct LineItem {
    pub(crate) id: ID,
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) sku: Option<String>,
    pub(crate) quantity: i32,
    pub(crate) variant_title: Option<String>,
    pub(crate) original_unit_price_set: MoneyBag,
    pub(crate) discounted_total_set: MoneyBag,
    pub(crate) total_discount_set: MoneyBag,
    pub(crate) tax_lines: Vec<TaxLine>,
    pub(crate) discount_allocations: Vec<DiscountAllocation>,
    #[graphql(skip)]
    pub(crate) variant_id: u64,
    #[graphql(skip)]
    pub(crate) product_id: u64,
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
pub(crate) struct ShippingLine {
    pub(crate) id: ID,
    pub(crate) title: String,
    pub(crate) code: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) carrier_identifier: Option<String>,
    pub(crate) original_price_set: MoneyBag,
    pub(crate) discount_allocations: Vec<DiscountAllocation>,
}

/// What a line owes to one discount application.
#[derive(SimpleObject, Clone)]
pub(crate) struct DiscountAllocation {
    pub(crate) allocated_amount_set: MoneyBag,
    pub(crate) discount_application: DiscountApplication,
}

/// A line item reference inside refunds and fulfillments.
#[derive(SimpleObject, Clone)]
#[graphql(name = "LineItemRef")]
pub(crate) struct LineItemRef {
    pub(crate) id: ID,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct RefundLineItem {
    pub(crate) line_item: LineItemRef,
    pub(crate) quantity: i32,
    pub(crate) restock_type: String,
    pub(crate) subtotal_set: MoneyBag,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Refund {
    pub(crate) id: ID,
    pub(crate) note: Option<String>,
    pub(crate) created_at: String,
    pub(crate) total_refunded_set: MoneyBag,
    #[graphql(skip)]
    pub(crate) lines: Vec<RefundLineItem>,
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
pub(crate) struct FulfillmentTrackingInfo {
    pub(crate) company: Option<String>,
    pub(crate) number: Option<String>,
    pub(crate) url: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct FulfillmentLineItem {
    pub(crate) id: ID,
    pub(crate) line_item: LineItemRef,
    pub(crate) quantity: i32,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Fulfillment {
    pub(crate) id: ID,
    pub(crate) status: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[graphql(skip)]
    pub(crate) tracking: Vec<FulfillmentTrackingInfo>,
    #[graphql(skip)]
    pub(crate) lines: Vec<FulfillmentLineItem>,
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
pub(crate) struct FulfillmentOrder {
    pub(crate) id: ID,
    pub(crate) status: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[graphql(skip)]
    pub(crate) lines: Vec<FulfillmentOrderLineItem>,
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
pub(crate) struct FulfillmentOrderLineItem {
    pub(crate) id: ID,
    pub(crate) total_quantity: i32,
    pub(crate) remaining_quantity: i32,
    pub(crate) line_item: LineItemRef,
}

pub(crate) fn fulfillment_order(fo: &super::super::ops::FulfillmentOrder) -> FulfillmentOrder {
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
pub(crate) struct DiscountCodeApplication {
    pub(crate) index: i32,
    pub(crate) code: String,
    pub(crate) allocation_method: String,
    pub(crate) target_type: String,
}

/// Discounts without a code: automatic, manual and script ones (the simulator
/// generates none, Shopify has them; a client may ask for them).
macro_rules! titled_discount {
    ($($name:ident),*) => {$(
        #[derive(SimpleObject, Clone)]
        pub(crate) struct $name {
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
pub(crate) enum DiscountApplication {
    DiscountCodeApplication(DiscountCodeApplication),
    AutomaticDiscountApplication(AutomaticDiscountApplication),
    ManualDiscountApplication(ManualDiscountApplication),
    ScriptDiscountApplication(ScriptDiscountApplication),
}

#[derive(SimpleObject, Clone)]
pub(crate) struct OrderCustomer {
    pub(crate) id: ID,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) phone: Option<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Order {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) processed_at: String,
    pub(crate) closed: bool,
    pub(crate) closed_at: Option<String>,
    pub(crate) cancelled_at: Option<String>,
    pub(crate) cancel_reason: Option<String>,
    pub(crate) display_financial_status: Option<String>,
    pub(crate) display_fulfillment_status: String,
    pub(crate) currency_code: String,
    pub(crate) presentment_currency_code: String,
    pub(crate) subtotal_price_set: MoneyBag,
    pub(crate) total_shipping_price_set: MoneyBag,
    pub(crate) total_tax_set: MoneyBag,
    pub(crate) total_discounts_set: MoneyBag,
    pub(crate) total_price_set: MoneyBag,
    pub(crate) total_received_set: MoneyBag,
    pub(crate) total_refunded_set: MoneyBag,
    pub(crate) customer: Option<OrderCustomer>,
    pub(crate) billing_address: Option<MailingAddress>,
    pub(crate) shipping_address: Option<MailingAddress>,
    pub(crate) discount_codes: Vec<String>,
    pub(crate) refunds: Vec<Refund>,
    pub(crate) fulfillments: Vec<Fulfillment>,
    pub(crate) note: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) source_name: Option<String>,
    pub(crate) test: bool,
    #[graphql(skip)]
    pub(crate) lines: Vec<LineItem>,
    #[graphql(skip)]
    pub(crate) shipping: Vec<ShippingLine>,
    #[graphql(skip)]
    pub(crate) discounts: Vec<DiscountApplication>,
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

pub(crate) fn order(o: &SimOrder, store: &SimStore) -> Order {
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
