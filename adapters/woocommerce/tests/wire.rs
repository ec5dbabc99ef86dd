//! The simulator's wire behaviour checked with plain HTTP, as any WooCommerce client
//! sees it: paging parameters and headers, filters, both URL forms, and OAuth 1.0a
//! signatures computed independently of the adapter.

use std::net::SocketAddr;

use polycart_kit::auth::{Auth, OAuth1, OAuth1SignatureMethod, PreparedRequest};
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_woocommerce::sim::{CONSUMER_KEY, CONSUMER_SECRET, SimConfig, WooCommerceSim};
use serde_json::Value;

async fn sim() -> WooCommerceSim {
    let options = SimOptions {
        seed: 3,
        size: StoreSize {
            products: 8,
            customers: 10,
            orders: 25,
        },
        ..SimOptions::default()
    };
    // As behind TLS (`is_ssl()`): query keys are accepted, which keeps these requests short.
    WooCommerceSim::start(
        options,
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        SimConfig {
            https: true,
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

fn keys() -> String {
    format!("consumer_key={CONSUMER_KEY}&consumer_secret={CONSUMER_SECRET}")
}

async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn ids(body: &Value) -> Vec<u64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn paging_parameters_and_headers() {
    let sim = sim().await;
    let site = sim.site();
    let (status, h, body) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=10&page=2&{}",
        keys()
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(h["x-wp-total"], "25");
    assert_eq!(h["x-wp-totalpages"], "3");
    let link = h["link"].to_str().unwrap();
    assert!(
        link.contains("rel=\"prev\"") && link.contains("rel=\"next\"") && link.contains("page=3"),
        "{link}"
    );
    assert!(
        !link.contains("consumer_secret"),
        "credentials are not echoed in Link"
    );
    assert_eq!(body.as_array().unwrap().len(), 10);

    let (status, _, body) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=101&{}",
        keys()
    ))
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("rest_invalid_param"))
    );

    // offset and page address the same rows; default order is date desc.
    let (_, _, by_page) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=5&page=3&orderby=id&order=asc&{}",
        keys()
    ))
    .await;
    let (_, _, by_offset) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=5&offset=10&orderby=id&order=asc&{}",
        keys()
    ))
    .await;
    assert_eq!(ids(&by_page), ids(&by_offset));
    let mut sorted = ids(&by_page);
    sorted.sort();
    assert_eq!(ids(&by_page), sorted);
    let (_, _, desc) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=100&{}",
        keys()
    ))
    .await;
    let dates: Vec<&str> = desc
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["date_created_gmt"].as_str().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "date desc by default"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn filters_and_site_local_dates() {
    let sim = sim().await;
    let site = sim.site();
    let (_, _, all) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=100&{}",
        keys()
    ))
    .await;
    let all = all.as_array().unwrap().clone();
    let mut modified: Vec<&str> = all
        .iter()
        .map(|o| o["date_modified_gmt"].as_str().unwrap())
        .collect();
    modified.sort();
    let pivot = modified[modified.len() / 2];
    let newer = modified.iter().filter(|m| **m > pivot).count();
    let (_, h, _) = get(&format!(
        "{site}/wp-json/wc/v3/orders?modified_after={pivot}&dates_are_gmt=true&{}",
        keys()
    ))
    .await;
    assert_eq!(h["x-wp-total"].to_str().unwrap(), newer.to_string());
    // Without dates_are_gmt the same text is site-local time (UTC-5): five hours later in GMT.
    let later = modified.iter().filter(|m| {
        let t = chrono::NaiveDateTime::parse_from_str(m, "%Y-%m-%dT%H:%M:%S").unwrap();
        let p = chrono::NaiveDateTime::parse_from_str(pivot, "%Y-%m-%dT%H:%M:%S").unwrap()
            + chrono::Duration::hours(5);
        t > p
    });
    let (_, h, _) = get(&format!(
        "{site}/wp-json/wc/v3/orders?modified_after={pivot}&{}",
        keys()
    ))
    .await;
    assert_eq!(h["x-wp-total"].to_str().unwrap(), later.count().to_string());
    let local = all[0]["date_created"].as_str().unwrap();
    assert_ne!(local, all[0]["date_created_gmt"].as_str().unwrap());

    let status = all[0]["status"].as_str().unwrap();
    let (_, _, same) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=100&status={status}&{}",
        keys()
    ))
    .await;
    assert!(
        same.as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == status)
    );
    let customer = all
        .iter()
        .map(|o| o["customer_id"].as_u64().unwrap())
        .find(|c| *c > 0)
        .unwrap();
    let (_, _, theirs) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=100&customer={customer}&{}",
        keys()
    ))
    .await;
    assert!(!theirs.as_array().unwrap().is_empty());
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["customer_id"] == customer)
    );
    let (status, _, body) = get(&format!(
        "{site}/wp-json/wc/v3/orders?modified_after=yesterday&{}",
        keys()
    ))
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("rest_invalid_param"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_route_form_auth_and_system_status() {
    let sim = sim().await;
    let site = sim.site();
    let (status, _, body) = get(&format!(
        "{site}/?rest_route=/wc/v3/system_status&{}",
        keys()
    ))
    .await;
    assert_eq!(status, 200);
    assert!(body["settings"]["currency"].is_string());
    let (status, _, body) = get(&format!(
        "{site}/index.php?rest_route=/wc/v3/products&per_page=3&{}",
        keys()
    ))
    .await;
    assert_eq!((status, body.as_array().map(Vec::len)), (200, Some(3)));
    let (status, _, body) = get(&format!("{site}/wp-json/wc/v3/orders")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("woocommerce_rest_cannot_view"))
    );

    let client = reqwest::Client::new();
    let r = client
        .get(format!("{site}/wp-json/wc/v3/customers"))
        .basic_auth(CONSUMER_KEY, Some(CONSUMER_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = client
        .get(format!("{site}/wp-json/wc/v3/customers"))
        .basic_auth(CONSUMER_KEY, Some("cs_wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );

    // Plain http: WooCommerce looks at OAuth 1.0a only; keys are as good as none.
    sim.configure(|c| c.https = false);
    let (status, _, body) = get(&format!("{site}/wp-json/wc/v3/orders?{}", keys())).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("woocommerce_rest_cannot_view"))
    );
    let r = client
        .get(format!("{site}/wp-json/wc/v3/customers"))
        .basic_auth(CONSUMER_KEY, Some(CONSUMER_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // OAuth 1.0a signed independently (the kit's RFC 5849 signer, HMAC-SHA1 and -256).
    for method in [
        OAuth1SignatureMethod::HmacSha1,
        OAuth1SignatureMethod::HmacSha256,
    ] {
        let signer = OAuth1::one_legged(CONSUMER_KEY.into(), CONSUMER_SECRET.into(), method);
        for url in [
            format!("{site}/wp-json/wc/v3/orders?per_page=2&orderby=modified&order=asc"),
            format!("{site}/index.php?rest_route=/wc/v3/orders&per_page=2"),
        ] {
            let mut req = PreparedRequest {
                method: http::Method::GET,
                url: url.parse().unwrap(),
                headers: Default::default(),
                body: None,
            };
            signer.authorize(&mut req).await.unwrap();
            let r = client.get(req.url.clone()).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}: {}", r.text().await.unwrap());
            // The same nonce twice is refused.
            let again = client.get(req.url).send().await.unwrap();
            assert_eq!(again.status(), 401);
        }
    }
    // Clients that send oauth_version=1.0 (the official libraries do) sign it too.
    let mut with_version = OAuth1::one_legged(
        CONSUMER_KEY.into(),
        CONSUMER_SECRET.into(),
        OAuth1SignatureMethod::HmacSha256,
    );
    with_version.include_version = true;
    let mut req = PreparedRequest {
        method: http::Method::GET,
        url: format!("{site}/wp-json/wc/v3/products?per_page=1")
            .parse()
            .unwrap(),
        headers: Default::default(),
        body: None,
    };
    with_version.authorize(&mut req).await.unwrap();
    assert_eq!(client.get(req.url).send().await.unwrap().status(), 200);
    // WooCommerce signs the bare site root as the home URL without a trailing slash, so
    // an RFC 5849 signature of `/?rest_route=` does not match (why the adapter uses
    // `/index.php?rest_route=`, as WordPress's rest_url() does).
    let plain = OAuth1::one_legged(
        CONSUMER_KEY.into(),
        CONSUMER_SECRET.into(),
        OAuth1SignatureMethod::HmacSha256,
    );
    let mut req = PreparedRequest {
        method: http::Method::GET,
        url: format!("{site}/?rest_route=/wc/v3/orders").parse().unwrap(),
        headers: Default::default(),
        body: None,
    };
    plain.authorize(&mut req).await.unwrap();
    let r = client.get(req.url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("signature does not match"));
    sim.shutdown().await;
}

#[tokio::test]
async fn collections_take_their_own_parameters() {
    let sim = sim().await;
    let site = sim.site();
    let k = keys();
    // Customers are users: ordered by name ascending unless told, no date filters
    // (WordPress ignores parameters a route does not declare), `role` validated.
    let (_, h, by_name) = get(&format!("{site}/wp-json/wc/v3/customers?per_page=100&{k}")).await;
    let names: Vec<String> = by_name
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["first_name"].as_str().unwrap(),
                c["last_name"].as_str().unwrap()
            )
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "customers default to orderby=name&order=asc");
    let (_, h2, _) = get(&format!(
        "{site}/wp-json/wc/v3/customers?modified_after=2999-01-01T00:00:00&{k}"
    ))
    .await;
    assert_eq!(
        h["x-wp-total"], h2["x-wp-total"],
        "modified_after is not a customers parameter"
    );
    let (status, _, body) = get(&format!(
        "{site}/wp-json/wc/v3/customers?orderby=modified&{k}"
    ))
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("rest_invalid_param"))
    );
    let (status, _, _) = get(&format!("{site}/wp-json/wc/v3/customers?role=editor&{k}")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&format!("{site}/wp-json/wc/v3/customers?role=wizard&{k}")).await;
    assert_eq!(status, 400);

    // Categories are terms: `parent` narrows to children (0 = top level).
    let (_, _, all) = get(&format!(
        "{site}/wp-json/wc/v3/products/categories?per_page=100&{k}"
    ))
    .await;
    let all = all.as_array().unwrap().clone();
    let top = all.iter().filter(|c| c["parent"] == 0).count();
    assert!(
        top > 0 && top < all.len(),
        "the generated store has nested categories"
    );
    let (_, h, _) = get(&format!(
        "{site}/wp-json/wc/v3/products/categories?parent=0&{k}"
    ))
    .await;
    assert_eq!(h["x-wp-total"].to_str().unwrap(), top.to_string());
    let (status, _, _) = get(&format!(
        "{site}/wp-json/wc/v3/products/categories?orderby=date&{k}"
    ))
    .await;
    assert_eq!(status, 400, "terms have no date ordering");

    // `include` restricts (and `orderby=include` keeps its order), `exclude` removes.
    let (_, _, some) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=100&orderby=id&order=asc&{k}"
    ))
    .await;
    let order_ids = ids(&some);
    let pick = format!("{},{}", order_ids[4], order_ids[1]);
    let (_, _, picked) = get(&format!(
        "{site}/wp-json/wc/v3/orders?include={pick}&orderby=include&order=asc&{k}"
    ))
    .await;
    assert_eq!(ids(&picked), vec![order_ids[4], order_ids[1]]);
    let (_, h, _) = get(&format!("{site}/wp-json/wc/v3/orders?exclude={pick}&{k}")).await;
    assert_eq!(
        h["x-wp-total"].to_str().unwrap(),
        (order_ids.len() - 2).to_string()
    );

    // Unknown order statuses are refused; a page past the end is empty but counted,
    // its `prev` link pointing at the last page.
    let (status, _, body) = get(&format!("{site}/wp-json/wc/v3/orders?status=shipped&{k}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("rest_invalid_param"))
    );
    let (status, h, body) = get(&format!(
        "{site}/wp-json/wc/v3/orders?per_page=10&page=9&{k}"
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(0));
    assert_eq!(h["x-wp-total"], "25");
    let link = h["link"].to_str().unwrap();
    assert!(
        link.contains("page=3") && link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
        "{link}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn shipment_tracking_extension_answers_like_its_docs() {
    let sim = sim().await;
    sim.configure(|c| c.shipment_tracking = true);
    let site = sim.site();
    let order = sim.with_store(|s| s.orders[0].id);
    let url = format!(
        "{site}/wp-json/wc-shipment-tracking/v3/orders/{order}/shipment-trackings?{}",
        keys()
    );
    let client = reqwest::Client::new();
    let r = client
        .post(&url)
        .json(&serde_json::json!({"tracking_provider": "UPS", "tracking_number": "1Z999"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let item: Value = r.json().await.unwrap();
    assert_eq!(item["tracking_provider"], "ups");
    assert_eq!(item["tracking_number"], "1Z999");
    assert!(item["tracking_link"].as_str().unwrap().ends_with("1Z999"));
    let shipped = item["date_shipped"].as_str().unwrap();
    assert!(
        chrono::NaiveDate::parse_from_str(shipped, "%Y-%m-%d").is_ok(),
        "{shipped}"
    );
    let custom = client
        .post(&url)
        .json(
            &serde_json::json!({"custom_tracking_provider": "Acme Freight",
            "custom_tracking_link": "https://acme.example/t/42", "tracking_number": "42"}),
        )
        .send()
        .await
        .unwrap();
    let custom: Value = custom.json().await.unwrap();
    assert_eq!(
        (
            custom["tracking_provider"].as_str(),
            custom["tracking_link"].as_str()
        ),
        (Some("Acme Freight"), Some("https://acme.example/t/42"))
    );
    let (_, _, listed) = get(&url).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    // The order carries them in its meta, as the extension stores them.
    let (_, _, o) = get(&format!("{site}/wp-json/wc/v3/orders/{order}?{}", keys())).await;
    let meta = o["meta_data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "_wc_shipment_tracking_items")
        .unwrap();
    assert!(
        meta["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tracking_number"] == "42")
    );
    let (status, _, _) = get(&format!(
        "{site}/wp-json/wc-shipment-tracking/v3/orders/{order}/shipment-trackings?{}",
        keys()
    ))
    .await;
    assert_eq!(status, 200);
    sim.configure(|c| c.shipment_tracking = false);
    let (status, _, body) = get(&url).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("rest_no_route"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn batches_refuse_more_than_a_hundred_items() {
    let sim = sim().await;
    let site = sim.site();
    let (product, variations) = sim.variable_products().remove(0);
    let variation = variations[0];
    let update: Vec<Value> = (0..101)
        .map(|_| serde_json::json!({"id": variation, "stock_quantity": 3}))
        .collect();
    let r = reqwest::Client::new()
        .post(format!(
            "{site}/wp-json/wc/v3/products/{product}/variations/batch?{}",
            keys()
        ))
        .json(&serde_json::json!({"update": update}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_request_entity_too_large");
    sim.shutdown().await;
}
