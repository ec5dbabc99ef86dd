//! The GraphQL selections the adapter reads, kept as one small tree per entity so a
//! single definition gives the paged selection (`first:` and `pageInfo` on every
//! connection), the bulk selection (`edges { node }`, nothing paged, connections under
//! a list left out since bulk queries refuse them) and the requested cost Shopify
//! charges for it (scalars and enums 0, objects 1, connections 2 + `first` × node).
//!
//! Nested connections ask for few nodes (most orders have a handful of lines): the
//! rare longer ones are completed afterwards ([`crate::graphql::complete`]), which keeps a page
//! of orders at ~100 requested points an order instead of ~200.

use std::sync::LazyLock;

use polycart_kit::model::Entity;

/// One selected field.
#[derive(Debug)]
pub(crate) enum Sel {
    /// A scalar or enum (free).
    Scalar(&'static str),
    /// One object: 1 point plus its fields.
    Object(&'static str, Vec<Sel>),
    /// An unpaged list of objects, counted as one object.
    List(&'static str, Vec<Sel>),
    /// A connection: 2 points plus `first` times its node.
    Conn(Conn),
    /// Fields of one of the types an interface may be (`... on T`): the most
    /// expensive such selection counts.
    On(&'static str, Vec<Sel>),
}

/// A connection field and the nodes it selects.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) name: &'static str,
    /// How many nodes a paged read asks for.
    pub(crate) first: u32,
    /// The GraphQL types of its nodes, as their GIDs name them.
    pub(crate) types: &'static [&'static str],
    pub(crate) nodes: Vec<Sel>,
    /// A connection of the record itself with at least as many nodes as this one can
    /// hold (a refund or a fulfillment has at most one line per line of its order):
    /// completing it from the start asks for that many nodes, not a guess.
    pub(crate) bounded_by: Option<&'static str>,
}

impl Conn {
    /// Points one node of this connection costs.
    pub(crate) fn node_cost(&self) -> u32 {
        1 + cost(&self.nodes)
    }

    /// The node selection as paged text.
    pub(crate) fn node_text(&self) -> String {
        paged(&self.nodes)
    }
}

fn s(name: &'static str) -> Sel {
    Sel::Scalar(name)
}

fn obj(name: &'static str, fields: Vec<Sel>) -> Sel {
    Sel::Object(name, fields)
}

fn list(name: &'static str, fields: Vec<Sel>) -> Sel {
    Sel::List(name, fields)
}

fn conn(name: &'static str, first: u32, types: &'static [&'static str], nodes: Vec<Sel>) -> Sel {
    Sel::Conn(Conn {
        name,
        first,
        types,
        nodes,
        bounded_by: None,
    })
}

/// A connection holding at most as many nodes as the record's `bound` connection.
fn bounded(sel: Sel, bound: &'static str) -> Sel {
    match sel {
        Sel::Conn(c) => Sel::Conn(Conn {
            bounded_by: Some(bound),
            ..c
        }),
        other => other,
    }
}

/// Fields of one type an interface may be (`... on T`).
fn on(ty: &'static str, fields: Vec<Sel>) -> Sel {
    Sel::On(ty, fields)
}

/// A `MoneyBag` read in the shop's currency (presentment money stays out).
fn money(name: &'static str) -> Sel {
    obj(
        name,
        vec![obj("shopMoney", vec![s("amount"), s("currencyCode")])],
    )
}

/// A `MoneyBag` read in both currencies: an order's totals, whose presentment money
/// gives `presentment_totals` (line-level bags stay shop money, to keep the cost).
fn money_both(name: &'static str) -> Sel {
    obj(
        name,
        vec![
            obj("shopMoney", vec![s("amount"), s("currencyCode")]),
            obj("presentmentMoney", vec![s("amount"), s("currencyCode")]),
        ],
    )
}

fn address_fields() -> Vec<Sel> {
    scalars(&[
        "firstName",
        "lastName",
        "company",
        "address1",
        "address2",
        "city",
        "province",
        "provinceCode",
        "zip",
        "countryCodeV2",
        "phone",
    ])
}

fn address(name: &'static str) -> Sel {
    obj(name, address_fields())
}

/// What a line or shipping line owes to each discount application (its `index`).
fn discount_allocations() -> Sel {
    list(
        "discountAllocations",
        vec![
            money("allocatedAmountSet"),
            obj("discountApplication", vec![s("index")]),
        ],
    )
}

fn scalars(names: &[&'static str]) -> Vec<Sel> {
    names.iter().copied().map(s).collect()
}

/// Line items asked for with each order: four keeps a page at eight orders with the
/// totals' presentment money (most orders have fewer lines; longer ones are completed).
pub(crate) const ORDER_LINES: u32 = 4;

static ORDER: LazyLock<Vec<Sel>> = LazyLock::new(|| {
    let mut f = scalars(&[
        "id",
        "name",
        "email",
        "phone",
        "createdAt",
        "updatedAt",
        "closed",
        "closedAt",
        "cancelledAt",
        "displayFinancialStatus",
        "displayFulfillmentStatus",
        "currencyCode",
        "presentmentCurrencyCode",
    ]);
    f.extend(
        [
            "subtotalPriceSet",
            "totalShippingPriceSet",
            "totalTaxSet",
            "totalDiscountsSet",
            "totalPriceSet",
            "totalReceivedSet",
            "totalRefundedSet",
        ]
        .into_iter()
        .map(money_both),
    );
    f.push(obj(
        "customer",
        scalars(&["id", "email", "firstName", "lastName", "phone"]),
    ));
    f.push(address("billingAddress"));
    f.push(address("shippingAddress"));
    f.push(conn(
        "lineItems",
        ORDER_LINES,
        &["LineItem"],
        vec![
            s("id"),
            s("name"),
            s("title"),
            s("sku"),
            s("quantity"),
            obj("variant", vec![s("id")]),
            obj("product", vec![s("id")]),
            money("originalUnitPriceSet"),
            list("taxLines", vec![money("priceSet")]),
            // A line's discount is the sum of its allocations (`totalDiscountSet` is
            // only set for discounts made through draft orders, scripts or the API).
            discount_allocations(),
        ],
    ));
    f.push(conn(
        "shippingLines",
        1,
        &["ShippingLine"],
        vec![
            s("id"),
            s("title"),
            s("code"),
            s("source"),
            s("carrierIdentifier"),
            money("originalPriceSet"),
            discount_allocations(),
        ],
    ));
    f.push(s("discountCodes"));
    // Codes and the discounts without one; their amounts are what they allocated to
    // lines and shipping (`discountAllocations` above, by application index).
    f.push(conn(
        "discountApplications",
        2,
        &[
            "DiscountCodeApplication",
            "AutomaticDiscountApplication",
            "ManualDiscountApplication",
            "ScriptDiscountApplication",
        ],
        vec![
            s("__typename"),
            s("index"),
            on("DiscountCodeApplication", vec![s("code")]),
            on("AutomaticDiscountApplication", vec![s("title")]),
            on("ManualDiscountApplication", vec![s("title")]),
            on("ScriptDiscountApplication", vec![s("title")]),
        ],
    ));
    f.push(list(
        "refunds",
        vec![
            s("id"),
            s("note"),
            s("createdAt"),
            money("totalRefundedSet"),
            bounded(
                conn(
                    "refundLineItems",
                    2,
                    &["RefundLineItem"],
                    vec![
                        obj("lineItem", vec![s("id")]),
                        s("quantity"),
                        money("subtotalSet"),
                    ],
                ),
                "lineItems",
            ),
        ],
    ));
    f.push(list(
        "fulfillments",
        vec![
            s("id"),
            s("status"),
            s("createdAt"),
            list("trackingInfo", scalars(&["company", "number", "url"])),
            bounded(
                conn(
                    "fulfillmentLineItems",
                    ORDER_LINES,
                    &["FulfillmentLineItem"],
                    vec![obj("lineItem", vec![s("id")]), s("quantity")],
                ),
                "lineItems",
            ),
        ],
    ));
    f.extend(scalars(&["note", "tags", "sourceName"]));
    f
});

static PRODUCT: LazyLock<Vec<Sel>> = LazyLock::new(|| {
    let mut f = scalars(&[
        "id",
        "title",
        "descriptionHtml",
        "vendor",
        "productType",
        "status",
        "tags",
        "createdAt",
        "updatedAt",
        "totalInventory",
    ]);
    f.push(list("options", scalars(&["name", "values"])));
    f.push(conn(
        "images",
        5,
        &["ProductImage", "Image", "MediaImage"],
        scalars(&["id", "url", "altText"]),
    ));
    f.push(conn("collections", 5, &["Collection"], scalars(&["id"])));
    f.push(conn(
        "variants",
        10,
        &["ProductVariant"],
        vec![
            s("id"),
            s("sku"),
            s("barcode"),
            s("price"),
            s("compareAtPrice"),
            list("selectedOptions", scalars(&["name", "value"])),
            s("inventoryQuantity"),
            obj("image", vec![s("url")]),
            obj(
                "inventoryItem",
                vec![obj(
                    "measurement",
                    vec![obj("weight", scalars(&["value", "unit"]))],
                )],
            ),
        ],
    ));
    f
});

static CUSTOMER: LazyLock<Vec<Sel>> = LazyLock::new(|| {
    let mut f = scalars(&[
        "id",
        "email",
        "firstName",
        "lastName",
        "phone",
        "createdAt",
        "updatedAt",
        "numberOfOrders",
    ]);
    f.push(obj("amountSpent", scalars(&["amount", "currencyCode"])));
    f.push(obj("emailMarketingConsent", scalars(&["marketingState"])));
    f.push(address("defaultAddress"));
    f.push(list("addresses", address_fields()));
    f
});

static COLLECTION: LazyLock<Vec<Sel>> =
    LazyLock::new(|| scalars(&["id", "title", "handle", "descriptionHtml", "updatedAt"]));

static LEVEL: LazyLock<Vec<Sel>> = LazyLock::new(|| {
    vec![
        s("id"),
        s("updatedAt"),
        list(
            "quantities(names: [\"available\"])",
            scalars(&["name", "quantity"]),
        ),
        obj("location", vec![s("id")]),
        obj(
            "item",
            vec![
                s("id"),
                s("sku"),
                obj(
                    "variant",
                    vec![s("id"), s("sku"), obj("product", vec![s("id")])],
                ),
            ],
        ),
    ]
});

/// The selection of one record of `entity`.
pub(crate) fn selection(entity: Entity) -> &'static [Sel] {
    match entity {
        Entity::Order => &ORDER,
        Entity::Product => &PRODUCT,
        Entity::Customer => &CUSTOMER,
        Entity::Category => &COLLECTION,
        Entity::Inventory => &LEVEL,
    }
}

/// Requested points of a selection (the fields inside one object).
pub(crate) fn cost(fields: &[Sel]) -> u32 {
    let mut fragments = 0;
    let mut total = 0;
    for f in fields {
        match f {
            Sel::Scalar(_) => {}
            Sel::Object(_, inner) | Sel::List(_, inner) => total += 1 + cost(inner),
            Sel::Conn(c) => total += connection_cost(c.first, c.node_cost()),
            Sel::On(_, inner) => fragments = fragments.max(cost(inner)),
        }
    }
    total + fragments
}

/// Points one node of `entity` costs.
pub(crate) fn node_cost(entity: Entity) -> u32 {
    1 + cost(selection(entity))
}

/// A connection of `nodes` nodes of `per_node` points: 2 plus every node.
pub(crate) fn connection_cost(nodes: u32, per_node: u32) -> u32 {
    2 + nodes * per_node
}

/// Shopify's single-query limit.
pub(crate) const MAX_QUERY_COST: u32 = 1000;

/// The largest page (≤ `wanted`) whose cost fits one query.
pub(crate) fn page_size_for(entity: Entity, wanted: u32) -> u32 {
    let fit = (MAX_QUERY_COST - 2) / node_cost(entity);
    wanted.clamp(1, fit.clamp(1, 250))
}

/// The paged text of a selection.
pub(crate) fn paged(fields: &[Sel]) -> String {
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        out.push(match f {
            Sel::Scalar(n) => (*n).to_owned(),
            Sel::Object(n, inner) | Sel::List(n, inner) => format!("{n} {{ {} }}", paged(inner)),
            Sel::On(ty, inner) => format!("... on {ty} {{ {} }}", paged(inner)),
            Sel::Conn(c) => format!(
                "{}(first: {}) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }}",
                c.name,
                c.first,
                paged(&c.nodes)
            ),
        });
    }
    out.join(" ")
}

/// The bulk text of a selection: connections as `edges { node }` without paging;
/// inside a list (`in_list`) connections are left out, as bulk queries refuse them.
pub(crate) fn bulk(fields: &[Sel], in_list: bool) -> String {
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        match f {
            Sel::Scalar(n) => out.push((*n).to_owned()),
            Sel::Object(n, inner) => out.push(format!("{n} {{ {} }}", bulk(inner, in_list))),
            Sel::List(n, inner) => out.push(format!("{n} {{ {} }}", bulk(inner, true))),
            Sel::On(ty, inner) => out.push(format!("... on {ty} {{ {} }}", bulk(inner, in_list))),
            Sel::Conn(_) if in_list => {}
            Sel::Conn(c) => out.push(format!(
                "{} {{ edges {{ node {{ {} }} }} }}",
                c.name,
                bulk(&c.nodes, in_list)
            )),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_fit_the_query_cost_limit() {
        for e in Entity::ALL {
            let n = page_size_for(e, 250);
            assert!(
                connection_cost(n, node_cost(e)) <= MAX_QUERY_COST,
                "{e}: {n}"
            );
        }
        assert_eq!(page_size_for(Entity::Category, 50), 50);
        // An order costs ~120 points (with its discount allocations), so a page
        // carries 8 of them, not 4.
        assert!(page_size_for(Entity::Order, 250) >= 8);
    }

    #[test]
    fn costs_follow_shopifys_rules() {
        let fields = vec![
            s("id"),
            money("totalPriceSet"),
            conn(
                "lineItems",
                3,
                &["LineItem"],
                vec![s("id"), obj("variant", vec![s("id")])],
            ),
            list("refunds", vec![s("id"), money("totalRefundedSet")]),
        ];
        // 0 + 2 + (2 + 3 × (1 + 1)) + (1 + 2).
        assert_eq!(cost(&fields), 2 + 8 + 3);
        assert_eq!(
            paged(&fields),
            "id totalPriceSet { shopMoney { amount currencyCode } } lineItems(first: 3) { nodes { id variant { id } } pageInfo { hasNextPage endCursor } } refunds { id totalRefundedSet { shopMoney { amount currencyCode } } }"
        );
    }

    #[test]
    fn bulk_selections_leave_connections_under_lists_out() {
        let order = bulk(selection(Entity::Order), false);
        assert!(order.contains("lineItems { edges { node { id "), "{order}");
        assert!(!order.contains("refundLineItems"), "{order}");
        assert!(!order.contains("fulfillmentLineItems"), "{order}");
        assert!(!order.contains("first:") && !order.contains("pageInfo"));
        assert!(order.contains("refunds { id note createdAt"), "{order}");
    }
}
