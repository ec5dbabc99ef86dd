//! The simulator's GraphQL Admin API against Shopify's real schema, without sockets:
//! fields the simulator has no data for answer as for an empty store (null, `[]`,
//! empty connections, type defaults) instead of failing, unknown fields fail with
//! Shopify's validation error shape, each API version validates against its own
//! schema (unknown versions fall back), connector-style queries come back fully
//! shaped, and costs match Shopify's published examples.

mod common;

use async_graphql::parser::types::{Selection, SelectionSet};
use common::app::{gql_on, sim};
use serde_json::{Value, json};

/// Asserts every field a selection set names (fragments aside) is in `data`, in
/// lists too; the path says where one is missing.
fn assert_shaped(set: &SelectionSet, data: &Value, path: &str) {
    match data {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_shaped(set, item, &format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            for item in &set.items {
                if let Selection::Field(f) = &item.node {
                    let key = f.node.response_key().node.as_str();
                    let value = map
                        .get(key)
                        .unwrap_or_else(|| panic!("{path}.{key} is missing: {data}"));
                    assert_shaped(&f.node.selection_set.node, value, &format!("{path}.{key}"));
                }
            }
        }
        // A leaf, or a null where the field is nullable.
        _ => {}
    }
}

/// Runs `query` on `version`, asserting a 200 without errors and a fully shaped `data`.
async fn shaped(app: &axum::Router, token: &str, version: &str, query: &str, vars: Value) -> Value {
    let (status, body) = gql_on(app, token, version, query, vars).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    let doc = async_graphql::parser::parse_query(query).unwrap();
    let (_, op) = doc.operations.iter().next().unwrap();
    assert_shaped(&op.node.selection_set.node, &body["data"], "data");
    body
}

#[tokio::test]
async fn fields_the_simulator_lacks_answer_like_an_empty_store() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let q = "{ customers(first: 3) { edges { node { id email multipassIdentifier
        defaultAddress { id address1 timeZone }
        addresses { id timeZone city }
        metafields(first: 5) { edges { node { key value } } nodes { id } pageInfo { hasNextPage endCursor } }
        verifiedEmail taxExempt lifetimeDuration state
        statistics { predictedSpendTier }
    } } } }";
    let body = shaped(&app, &t, "2025-07", q, Value::Null).await;
    let edges = body["data"]["customers"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    for e in edges {
        let c = &e["node"];
        // What the simulator has comes through...
        assert!(c["email"].as_str().unwrap().contains('@'));
        assert!(c["defaultAddress"]["address1"].is_string());
        // ...and what it has not is answered as Shopify answers without data.
        assert_eq!(c["multipassIdentifier"], Value::Null);
        assert_eq!(c["defaultAddress"]["id"], "", "ID! without data");
        assert_eq!(c["defaultAddress"]["timeZone"], Value::Null);
        assert_eq!(c["addresses"][0]["timeZone"], Value::Null);
        assert_eq!(
            c["metafields"],
            json!({"edges": [], "nodes": [], "pageInfo": {"hasNextPage": false, "endCursor": null}})
        );
        assert_eq!(c["verifiedEmail"], false);
        assert_eq!(c["taxExempt"], false);
        assert_eq!(c["lifetimeDuration"], "");
        // A non-null enum without data: the enum's first value.
        assert_eq!(c["state"], "DECLINED");
        assert_eq!(c["statistics"]["predictedSpendTier"], Value::Null);
    }
}

#[tokio::test]
async fn unknown_fields_fail_with_shopifys_validation_errors() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let (status, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "query Customers {\n  customers(first: 1) {\n    nodes { id nope }\n  }\n}",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"errors": [{
            "message": "Field 'nope' doesn't exist on type 'Customer'",
            "locations": [{"line": 3, "column": 16}],
            "path": ["query Customers", "customers", "nodes", "nope"],
            "extensions": {"code": "undefinedField", "typeName": "Customer", "fieldName": "nope"},
        }]})
    );
    // Through an aliased field, an inline fragment on an interface and a named fragment.
    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "query($id: ID!) { n: node(id: $id) { ... on Order { name ...C } } } fragment C on Order { customer { bogus } }",
        json!({"id": "gid://shopify/Order/1"}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["path"],
        json!(["fragment C", "customer", "bogus"])
    );
    assert_eq!(body["errors"][0]["extensions"]["typeName"], "Customer");
    // A missing required argument and an undeclared variable.
    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "{ order { id } customers(first: $n) { nodes { id } } }",
        Value::Null,
    )
    .await;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["missingRequiredArguments", "variableNotDefined"]);
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'order' is missing required arguments: id"
    );
    assert!(body.get("data").is_none());
}

const CHECKOUT_TOKEN: &str = "{ orders(first: 2) { nodes { id checkoutToken } } }";

#[tokio::test]
async fn each_api_version_validates_against_its_own_schema() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    // `Order.checkoutToken` is in 2026-07 and not in 2025-07 or 2026-01.
    let body = shaped(&app, &t, "2026-07", CHECKOUT_TOKEN, Value::Null).await;
    assert_eq!(
        body["data"]["orders"]["nodes"][0]["checkoutToken"],
        Value::Null
    );
    for old in ["2025-07", "2026-01"] {
        let (_, body) = gql_on(&app, &t, old, CHECKOUT_TOKEN, Value::Null).await;
        assert_eq!(
            body["errors"][0]["message"], "Field 'checkoutToken' doesn't exist on type 'Order'",
            "{old}: {body}"
        );
    }
    // `Shop.draftOrders` went the other way.
    let drafts = "{ shop { draftOrders(first: 1) { nodes { id } } } }";
    shaped(&app, &t, "2025-07", drafts, Value::Null).await;
    let (_, body) = gql_on(&app, &t, "2026-07", drafts, Value::Null).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "undefinedField");
}

#[tokio::test]
async fn versions_not_shipped_use_the_nearest_older_one_else_the_oldest() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let refused = |body: &Value| body["errors"][0]["extensions"]["fieldName"] == "checkoutToken";
    // 2026-04 → 2026-01 and 2026-09 → 2026-07; 2027-01 → 2026-10; 2024-10 → 2025-07.
    for (version, valid) in [
        ("2026-04", false),
        ("2026-09", true),
        ("2027-01", true),
        ("2024-10", false),
        ("unstable", true),
    ] {
        let (status, body) = gql_on(&app, &t, version, CHECKOUT_TOKEN, Value::Null).await;
        assert_eq!(status, 200);
        assert_eq!(!refused(&body), valid, "{version}: {body}");
    }
    // `bulkOperation(id:)` came with 2026-01: refused on 2025-10 (→ 2025-07).
    let by_id = "{ bulkOperation(id: \"gid://shopify/BulkOperation/1\") { id } }";
    let (_, body) = gql_on(&app, &t, "2025-10", by_id, Value::Null).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'bulkOperation' doesn't exist on type 'QueryRoot'"
    );
    let (_, body) = gql_on(&app, &t, "2026-04", by_id, Value::Null).await;
    assert_eq!(body["data"]["bulkOperation"], Value::Null, "{body}");
}

/// Customers, orders and products the way a Singer/Airbyte-style Shopify tap pages
/// them: many fields, nested objects and connections the simulator has no data for.
const TAP_CUSTOMERS: &str = "query GetCustomers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id legacyResourceId firstName lastName displayName email phone createdAt updatedAt
      note state verifiedEmail taxExempt taxExemptions tags locale multipassIdentifier
      numberOfOrders lifetimeDuration productSubscriberStatus canDelete
      amountSpent { amount currencyCode }
      emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt }
      smsMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt consentCollectedFrom }
      defaultAddress { id firstName lastName company address1 address2 city province provinceCode
        country countryCodeV2 zip phone name latitude longitude timeZone formattedArea }
      addresses(first: 10) { id address1 city zip countryCodeV2 timeZone }
      statistics { predictedSpendTier rfmGroup }
      image { url altText }
      lastOrder { id name }
      metafields(first: 20) { edges { node { id namespace key value type createdAt updatedAt } } }
      events(first: 5) { nodes { id message createdAt } pageInfo { hasNextPage } }
    } }
  }
}";

const TAP_ORDERS: &str = "query GetOrders($first: Int!, $after: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id legacyResourceId name email phone createdAt updatedAt processedAt closedAt cancelledAt
      cancelReason confirmed test taxesIncluded currencyCode presentmentCurrencyCode
      displayFinancialStatus displayFulfillmentStatus note tags sourceName poNumber
      customerLocale checkoutToken: paymentGatewayNames totalWeight edited
      subtotalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      totalPriceSet { shopMoney { amount currencyCode } }
      totalTaxSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      totalRefundedSet { shopMoney { amount } }
      currentTotalPriceSet { shopMoney { amount } }
      customer { id email multipassIdentifier defaultAddress { id timeZone } }
      billingAddress { id address1 city timeZone }
      shippingAddress { id address1 city zip timeZone latitude }
      clientIp
      app { id name }
      channelInformation { channelId app { title } }
      customerJourneySummary { ready momentsCount { count } }
      risk { recommendation }
      lineItems(first: 10) { edges { node {
        id name title sku quantity currentQuantity vendor requiresShipping taxable isGiftCard
        fulfillmentStatus: fulfillableQuantity
        originalUnitPriceSet { shopMoney { amount currencyCode } }
        discountedTotalSet { shopMoney { amount } }
        variant { id sku title barcode inventoryItem { id tracked } }
        product { id handle productType }
        customAttributes { key value }
        taxLines { title rate priceSet { shopMoney { amount } } }
        discountAllocations { allocatedAmountSet { shopMoney { amount } } }
      } } }
      shippingLines(first: 5) { nodes { id title code source carrierIdentifier originalPriceSet { shopMoney { amount } } } }
      refunds { id createdAt note totalRefundedSet { shopMoney { amount } } }
      fulfillments { id status createdAt trackingInfo { company number url } }
      transactions(first: 10) { id kind status gateway amountSet { shopMoney { amount } } }
      metafields(first: 10) { nodes { namespace key value } }
    } }
  }
}";

const TAP_PRODUCTS: &str = "query GetProducts($first: Int!) {
  products(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId title handle descriptionHtml vendor productType status tags
      createdAt updatedAt publishedAt templateSuffix totalInventory tracksInventory
      isGiftCard hasOnlyDefaultVariant onlineStoreUrl giftCardTemplateSuffix
      seo { title description }
      options { id name position values }
      featuredMedia { id alt mediaContentType }
      priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount } }
      category { id name fullName }
      variants(first: 20) { nodes {
        id title sku barcode price compareAtPrice position inventoryPolicy inventoryQuantity
        taxable availableForSale createdAt updatedAt
        selectedOptions { name value }
        inventoryItem { id tracked requiresShipping unitCost { amount } countryCodeOfOrigin
          measurement { weight { value unit } } }
      } }
      media(first: 5) { nodes { id alt ... on MediaImage { image { url width height } } } }
      collections(first: 5) { nodes { id handle title } }
      metafields(first: 10) { nodes { namespace key value type } }
    }
  }
}";

#[tokio::test]
async fn connector_style_queries_come_back_fully_shaped() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    for version in ["2025-07", "2026-01", "2026-07"] {
        let body = shaped(&app, &t, version, TAP_CUSTOMERS, json!({"first": 5})).await;
        let c = &body["data"]["customers"]["edges"][0]["node"];
        assert!(
            c["id"]
                .as_str()
                .unwrap()
                .starts_with("gid://shopify/Customer/")
        );
        assert_eq!(c["smsMarketingConsent"], Value::Null);
        assert_eq!(c["events"]["nodes"], json!([]));

        let body = shaped(&app, &t, version, TAP_ORDERS, json!({"first": 3})).await;
        let o = &body["data"]["orders"]["edges"][0]["node"];
        assert!(
            o["lineItems"]["edges"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        );
        assert_eq!(o["transactions"], json!([]));
        assert_eq!(o["customerJourneySummary"], Value::Null);
        assert_eq!(o["confirmed"], false);

        let body = shaped(&app, &t, version, TAP_PRODUCTS, json!({"first": 5})).await;
        let p = &body["data"]["products"]["nodes"][0];
        assert!(!p["variants"]["nodes"].as_array().unwrap().is_empty());
        assert_eq!(p["media"]["nodes"], json!([]));
        assert_eq!(p["seo"], json!({"title": null, "description": null}));
    }
}

#[tokio::test]
async fn interfaces_answer_through_their_fragments() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let (customer, order) = {
        let s = state.store();
        (s.customers[0].id, s.orders[0].id)
    };
    let q = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Customer { displayName multipassIdentifier }
        ... on HasMetafields { metafields(first: 2) { nodes { key } } }
        ...O } }
      fragment O on Order { name customerAcceptsMarketing }";
    let ids = json!([
        format!("gid://shopify/Customer/{customer}"),
        format!("gid://shopify/Order/{order}")
    ]);
    let (_, body) = gql_on(&app, &t, "2026-01", q, json!({"ids": ids})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let nodes = &body["data"]["nodes"];
    assert_eq!(nodes[0]["__typename"], "Customer");
    assert_eq!(nodes[0]["multipassIdentifier"], Value::Null);
    assert_eq!(nodes[0]["metafields"], json!({"nodes": []}));
    assert!(
        nodes[0].get("name").is_none(),
        "an Order fragment on a Customer"
    );
    assert_eq!(nodes[1]["__typename"], "Order");
    assert!(nodes[1]["name"].is_string());
    assert_eq!(nodes[1]["customerAcceptsMarketing"], false);
    assert!(nodes[1].get("displayName").is_none());
    assert!(nodes[1].get("__polycartType").is_none());
}

/// `requestedQueryCost` of `query` on 2026-01.
async fn requested(app: &axum::Router, token: &str, query: &str) -> Value {
    let (_, body) = gql_on(app, token, "2026-01", query, Value::Null).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["extensions"]["cost"]["requestedQueryCost"].clone()
}

#[tokio::test]
async fn costs_match_shopifys_published_examples() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    // shopify.dev, "GraphQL Admin API rate limits": a connection of one product = 3.
    assert_eq!(
        requested(
            &app,
            &t,
            "{ products(first: 1) { edges { node { title } } } }"
        )
        .await,
        3.0
    );
    // Shopify Engineering, "Rate Limiting GraphQL APIs by Calculating Query
    // Complexity": an object with scalars = 1; five orders = 2 + 5 = 7.
    assert_eq!(
        requested(
            &app,
            &t,
            "{ shop { id name timezoneOffsetMinutes customerAccounts } }"
        )
        .await,
        1.0
    );
    assert_eq!(
        requested(&app, &t, "{ orders(first: 5, query: \"fulfillment_status:shipped\") { edges { node { name displayFulfillmentStatus } } } }").await,
        7.0
    );
    // shopify.dev, "Build web pixels": webPixelCreate with userErrors and webPixel = 10.
    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "mutation { webPixelCreate(webPixel: { settings: \"{\\\"accountID\\\":\\\"123\\\"}\" }) { userErrors { code field message } webPixel { settings id } } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"], 10.0,
        "{body}"
    );
    assert_eq!(
        body["extensions"]["cost"]["actualQueryCost"], 10.0,
        "{body}"
    );
    // A field the simulator lacks still costs what its real type costs: a
    // connection of 10 metafields under each of 5 customers.
    assert_eq!(
        requested(
            &app,
            &t,
            "{ customers(first: 5) { nodes { metafields(first: 10) { nodes { key } } } } }"
        )
        .await,
        2.0 + 5.0 * (1.0 + 2.0 + 10.0)
    );
}

#[tokio::test]
async fn writes_apply_what_the_simulator_models_of_a_larger_input() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let product = format!("gid://shopify/Product/{}", state.store().products[0].id);
    let q = "mutation($p: ProductUpdateInput!) { productUpdate(product: $p) {
        product { id title descriptionHtml seo { title } } userErrors { field message } } }";
    let input = json!({"id": product, "title": "Renamed", "descriptionHtml": "<p>x</p>", "seo": {"title": "s"}});
    let (_, body) = gql_on(&app, &t, "2026-01", q, json!({"p": input})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let payload = &body["data"]["productUpdate"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["product"]["title"], "Renamed");
    assert_eq!(payload["product"]["id"], product.as_str());
    let id = state.store().products[0].id;
    assert_eq!(
        state
            .store()
            .products
            .iter()
            .find(|p| p.id == id)
            .unwrap()
            .title,
        "Renamed"
    );
    // A field the real input type lacks is Shopify's error, not silently dropped.
    let bad = json!({"id": product, "nope": 1});
    let (_, body) = gql_on(&app, &t, "2026-01", q, json!({"p": bad})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Variable $p of type ProductUpdateInput! was provided invalid value"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["problems"][0]["path"],
        json!(["nope"])
    );
}
