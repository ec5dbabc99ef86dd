//! The GraphQL Admin API path: the queries the adapter sends, their cost estimate
//! (what the governor spends before sending), the budget reader that corrects the
//! governor from `extensions.cost.throttleStatus`, and the classifier that turns a
//! `THROTTLED` error inside a 200 into a wait.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use polycart_kit::Error;
use polycart_kit::transport::{
    BudgetObservation, BudgetReader, Classify, Response, Verdict, classify_status,
};
use serde_json::Value;

/// Line items (and refund / fulfillment lines) fetched with each order; more are
/// fetched page by page afterwards.
pub(crate) const ORDER_LINES: u32 = 10;
/// Variants fetched with each product; more are fetched page by page afterwards.
pub(crate) const PRODUCT_VARIANTS: u32 = 20;

const MONEY: &str = "{ shopMoney { amount currencyCode } }";

fn address() -> &'static str {
    "{ firstName lastName company address1 address2 city province provinceCode zip countryCodeV2 phone }"
}

/// The line item selection (also used to page the rest of an order's lines).
pub(crate) fn line_item_fields() -> String {
    format!(
        "id name title sku quantity variant {{ id }} product {{ id }} originalUnitPriceSet {MONEY} totalDiscountSet {MONEY} taxLines {{ priceSet {MONEY} }}"
    )
}

/// Every order field the mapping reads.
pub(crate) fn order_fields() -> String {
    let a = address();
    format!(
        "id name email phone createdAt updatedAt closed closedAt cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode \
         subtotalPriceSet {MONEY} totalShippingPriceSet {MONEY} totalTaxSet {MONEY} totalDiscountsSet {MONEY} totalPriceSet {MONEY} \
         totalReceivedSet {MONEY} totalRefundedSet {MONEY} customer {{ id email firstName lastName phone }} \
         billingAddress {a} shippingAddress {a} \
         lineItems(first: {ORDER_LINES}) {{ nodes {{ {lines} }} pageInfo {{ hasNextPage endCursor }} }} \
         shippingLines(first: 5) {{ nodes {{ title code source carrierIdentifier originalPriceSet {MONEY} }} }} \
         discountCodes \
         refunds {{ id note createdAt totalRefundedSet {MONEY} refundLineItems(first: {ORDER_LINES}) {{ nodes {{ lineItem {{ id }} quantity subtotalSet {MONEY} }} }} }} \
         fulfillments {{ id status createdAt trackingInfo {{ company number url }} fulfillmentLineItems(first: {ORDER_LINES}) {{ nodes {{ lineItem {{ id }} quantity }} }} }} \
         note tags sourceName",
        lines = line_item_fields()
    )
}

/// The variant selection (also used to page the rest of a product's variants).
pub(crate) fn variant_fields() -> &'static str {
    "id sku barcode price compareAtPrice selectedOptions { name value } inventoryQuantity image { url } \
     inventoryItem { measurement { weight { value unit } } }"
}

/// Every product field the mapping reads.
pub(crate) fn product_fields() -> String {
    format!(
        "id title descriptionHtml vendor productType status tags createdAt updatedAt totalInventory \
         options {{ name values }} images(first: 10) {{ nodes {{ url altText }} }} collections(first: 10) {{ nodes {{ id }} }} \
         variants(first: {PRODUCT_VARIANTS}) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }}",
        variant_fields()
    )
}

pub(crate) fn customer_fields() -> String {
    let a = address();
    format!(
        "id email firstName lastName phone createdAt updatedAt numberOfOrders amountSpent {{ amount currencyCode }} \
         emailMarketingConsent {{ marketingState }} defaultAddress {a} addresses {a}"
    )
}

pub(crate) const COLLECTION_FIELDS: &str = "id title handle descriptionHtml updatedAt";

pub(crate) const LEVEL_FIELDS: &str = "id updatedAt quantities(names: [\"available\"]) { name quantity } location { id } \
     item { id sku variant { id sku product { id } } }";

/// The cost Shopify charges for a query of `nodes` nodes of `per_node` points: 2 for
/// the connection plus each node.
pub(crate) fn connection_cost(nodes: u32, per_node: u32) -> u32 {
    2 + nodes * per_node
}

/// Points one node of each listing costs (objects 1, connections 2 + first × node).
pub(crate) fn node_cost(entity: polycart_kit::model::Entity) -> u32 {
    use polycart_kit::model::Entity;
    let l = ORDER_LINES;
    match entity {
        // order 1, 7 money bags × 2, customer, 2 addresses; lines 2 + l × (1 + variant + product + 2 bags + tax 3);
        // shipping lines 2 + 5 × 3; refunds 1 + bag + (2 + l × 4); fulfillments 1 + tracking + (2 + l × 2).
        Entity::Order => {
            1 + 14 + 1 + 2 + (2 + l * 10) + (2 + 5 * 3) + (1 + 2 + 2 + l * 4) + (1 + 1 + 2 + l * 2)
        }
        // product 1, options 1, images 2 + 10, collections 2 + 10, variants 2 + v × (1 + options + image + item 3).
        Entity::Product => 1 + 1 + 12 + 12 + 2 + PRODUCT_VARIANTS * 6,
        Entity::Customer => 1 + 1 + 1 + 1 + 1,
        Entity::Category => 1,
        // level 1, quantities 1, location 1, item 1 + variant 1 + product 1.
        Entity::Inventory => 6,
    }
}

/// Shopify's single-query limit.
pub(crate) const MAX_QUERY_COST: u32 = 1000;

/// The largest page whose cost fits one query.
pub(crate) fn page_size_for(entity: polycart_kit::model::Entity, wanted: u32) -> u32 {
    let fit = (MAX_QUERY_COST - 2) / node_cost(entity);
    wanted.clamp(1, fit.clamp(1, 250))
}

fn throttle_status(body: &[u8]) -> Option<(f64, f64, f64, Option<f64>)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let cost = &v["extensions"]["cost"];
    let t = &cost["throttleStatus"];
    Some((
        t["maximumAvailable"].as_f64()?,
        t["currentlyAvailable"].as_f64()?,
        t["restoreRate"].as_f64()?,
        cost["requestedQueryCost"].as_f64(),
    ))
}

/// Reads `extensions.cost.throttleStatus`: bucket size, points left, restore rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThrottleStatusReader;

impl BudgetReader for ThrottleStatusReader {
    fn read(&self, _: StatusCode, _: &HeaderMap, body: &[u8]) -> Option<BudgetObservation> {
        let (max, available, restore, _) = throttle_status(body)?;
        Some(BudgetObservation {
            capacity: Some(max),
            remaining: Some(available),
            refill_per_sec: Some(restore),
            reset_after: None,
        })
    }
}

/// GraphQL's answers: `THROTTLED` in a 200 waits until the requested cost is
/// restored; other errors without data fail; HTML pages are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GraphqlClassifier;

impl Classify for GraphqlClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if !response.status.is_success() {
            return classify_status(response);
        }
        if response
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
        {
            return Verdict::Retry;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&response.body) else {
            return Verdict::Retry;
        };
        let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) else {
            return Verdict::Done;
        };
        let code = |e: &Value| e["extensions"]["code"].as_str().map(str::to_owned);
        if errors
            .iter()
            .any(|e| code(e).as_deref() == Some("THROTTLED"))
        {
            let after =
                throttle_status(&response.body).map(|(_, available, restore, requested)| {
                    let missing = (requested.unwrap_or(available + restore) - available).max(0.0);
                    Duration::from_secs_f64((missing / restore.max(1.0)).max(0.1))
                });
            return Verdict::Throttled { after };
        }
        let messages: Vec<String> = errors
            .iter()
            .map(|e| {
                format!(
                    "{}{}",
                    e["message"].as_str().unwrap_or("error"),
                    code(e).map(|c| format!(" ({c})")).unwrap_or_default()
                )
            })
            .collect();
        Verdict::Fail(Error::invalid(format!(
            "shopify graphql: {}",
            messages.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polycart_kit::model::Entity;

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
    }

    #[test]
    fn throttled_waits_for_the_missing_points() {
        let body = br#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":500,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":300,"restoreRate":100.0}}}}"#;
        let response = Response {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: bytes_of(body),
            url: "http://x/graphql.json".parse().unwrap(),
        };
        match GraphqlClassifier.classify(&response) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_secs(2))),
            other => panic!("{other:?}"),
        }
        let o = ThrottleStatusReader
            .read(StatusCode::OK, &HeaderMap::new(), body)
            .unwrap();
        assert_eq!(
            (o.capacity, o.remaining, o.refill_per_sec),
            (Some(2000.0), Some(300.0), Some(100.0))
        );
    }

    fn bytes_of(b: &[u8]) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(b)
    }
}
