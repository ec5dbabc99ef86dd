//! The Wix adapter against its simulator beyond the kit's suite: webhook JWTs (valid,
//! tampered, re-signed by a forger, expired, `alg` none, another instance, app
//! removal), stock writes on managed and default variants (a delta never repeated
//! blindly), cursor paging by modification time with `INITIALIZED` orders hidden, the
//! token minted once and persisted, and the simulator's own refusals (a "Bearer"
//! prefix, pages over 100, the 200-a-minute limit, Catalog V1's string filters).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{Fault, SimOptions, SimServer, StoreSize, Target};
use polycart_kit::walk::collect_all;
use polycart_kit::{
    Adapter, Entity, Error, InventoryChange, ListQuery, Secret, WebhookKind, Write, WriteOp,
};
use polycart_wix::WixAdapter;
use polycart_wix::sim::{self, APP_PUBLIC_KEY, INSTANCE_ID, Kind, WixSim, guid, start};
use serde_json::{Value, json};

async fn setup_with(ctx: AdapterContext) -> (SimServer, WixSim, WixAdapter) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 12,
            customers: 6,
            orders: 40,
        },
        ..SimOptions::default()
    };
    let (server, sim) = start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let adapter = WixAdapter::new(&store(&server, &[]), &ctx).unwrap();
    (server, sim, adapter)
}

async fn setup() -> (SimServer, WixSim, WixAdapter) {
    setup_with(AdapterContext::default()).await
}

fn store(server: &SimServer, extra: &[(&str, &str)]) -> StoreConfig {
    let mut credentials: BTreeMap<String, Secret> = server
        .info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect();
    for (k, v) in extra {
        credentials.insert((*k).to_owned(), Secret::new(*v));
    }
    StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings: BTreeMap::new(),
    }
}

fn key() -> Secret {
    Secret::new(APP_PUBLIC_KEY)
}

fn order_event(id: &str) -> Value {
    json!({
        "id": "evt-1",
        "entityFqdn": "wix.ecom.v1.order",
        "slug": "updated",
        "entityId": id,
        "updatedEvent": { "currentEntity": { "id": id } },
    })
}

#[tokio::test]
async fn webhook_jwts_verify_only_as_signed_and_in_time() {
    let (_server, sim, adapter) = setup().await;
    let now = Utc::now().timestamp();
    let id = guid(Kind::Order, 42);
    let body = sim.webhook_jwt("wix.ecom.v1.order_updated", &order_event(&id), now, 300);
    let event = adapter
        .verify_webhook(&http::HeaderMap::new(), body.as_bytes())
        .unwrap();
    assert_eq!(event.entity, Some(Entity::Order));
    assert_eq!(event.kind, WebhookKind::Updated);
    assert_eq!(event.platform_id.as_deref(), Some(id.as_str()));
    assert_eq!(event.delivery_id.as_deref(), Some("evt-1"));
    assert_eq!(event.meta["instance_id"], INSTANCE_ID);
    // The entity the event carries is a hint, mapped.
    assert_eq!(
        event.record.as_ref().map(Record::platform_id),
        Some(id.as_str())
    );

    let auth_error = |body: &[u8]| {
        let r = polycart_wix::webhooks::verify(Some(&key()), Some(INSTANCE_ID), body, now);
        assert!(matches!(r, Err(Error::Auth { .. })), "{r:?}");
    };
    // Another payload under the same signature.
    let parts: Vec<&str> = body.split('.').collect();
    let other = sim.webhook_jwt("wix.ecom.v1.order_updated", &order_event("other"), now, 300);
    let forged_payload = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap(),
        parts[2]
    );
    auth_error(forged_payload.as_bytes());
    // A byte added to the body, a signature cut short.
    auth_error(format!("{body} ").as_bytes());
    auth_error(format!("{body}\n").as_bytes());
    auth_error(&body.as_bytes()[..body.len() - 4]);
    // Signed with another key.
    let forged = sim
        .forger()
        .webhook_jwt("wix.ecom.v1.order_updated", &order_event(&id), now, 300);
    auth_error(forged.as_bytes());
    // Expired beyond the minute of leeway; within it, still taken.
    let old = sim.webhook_jwt(
        "wix.ecom.v1.order_updated",
        &order_event(&id),
        now - 700,
        600,
    );
    auth_error(old.as_bytes());
    let late = sim.webhook_jwt(
        "wix.ecom.v1.order_updated",
        &order_event(&id),
        now - 630,
        600,
    );
    assert!(
        polycart_wix::webhooks::verify(Some(&key()), Some(INSTANCE_ID), late.as_bytes(), now)
            .is_ok()
    );
    // `alg: none` with no signature.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    auth_error(none.as_bytes());
    // Not a JWT at all; no key configured.
    auth_error(b"{\"data\":\"x\"}");
    assert!(matches!(
        polycart_wix::webhooks::verify(None, None, body.as_bytes(), now),
        Err(Error::Auth { .. })
    ));
    // For another app instance.
    assert!(matches!(
        polycart_wix::webhooks::verify(
            Some(&key()),
            Some("another-instance"),
            body.as_bytes(),
            now
        ),
        Err(Error::Auth { .. })
    ));
}

#[tokio::test]
async fn app_removal_and_older_stores_events_are_read() {
    let (_server, sim, _adapter) = setup().await;
    let now = Utc::now().timestamp();
    let removed = sim.webhook_jwt("AppRemoved", &json!({}), now, 300);
    let e =
        polycart_wix::webhooks::verify(Some(&key()), Some(INSTANCE_ID), removed.as_bytes(), now)
            .unwrap();
    assert_eq!(e.kind, WebhookKind::Uninstalled);
    // An action event (`approved`) carries the order in `actionEvent.body`.
    let oid = guid(Kind::Order, 9);
    let approved = sim.webhook_jwt(
        "wix.ecom.v1.order_approved",
        &json!({
            "id": "evt-2", "entityFqdn": "wix.ecom.v1.order", "slug": "approved", "entityId": oid,
            "actionEvent": { "body": { "order": { "id": oid, "status": "APPROVED" } } },
        }),
        now,
        300,
    );
    let e =
        polycart_wix::webhooks::verify(Some(&key()), Some(INSTANCE_ID), approved.as_bytes(), now)
            .unwrap();
    assert_eq!(
        (e.entity, e.kind),
        (Some(Entity::Order), WebhookKind::Updated)
    );
    assert_eq!(
        e.record.as_ref().map(Record::platform_id),
        Some(oid.as_str())
    );
    let pid = guid(Kind::Product, 7);
    let changed = sim.webhook_jwt(
        "com.wix.ecommerce.catalog.api.v1.ProductChanged",
        &json!({ "productId": pid, "changedFields": ["price"] }),
        now,
        300,
    );
    let e =
        polycart_wix::webhooks::verify(Some(&key()), Some(INSTANCE_ID), changed.as_bytes(), now)
            .unwrap();
    assert_eq!(
        (e.entity, e.kind, e.platform_id.as_deref()),
        (
            Some(Entity::Product),
            WebhookKind::Updated,
            Some(pid.as_str())
        )
    );
}

/// The product with managed variants and one without, as listed.
async fn products(adapter: &WixAdapter) -> Vec<polycart_kit::model::Product> {
    collect_all(adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            Record::Product(p) => Some(*p),
            _ => None,
        })
        .collect()
}

fn stock_of(p: &Record, variant: &str) -> Option<i64> {
    let Record::Product(p) = p else { return None };
    p.variants
        .iter()
        .find(|v| v.platform_id == variant)
        .and_then(|v| v.inventory_quantity)
}

#[tokio::test]
async fn stock_is_set_and_adjusted_and_a_delta_never_repeated_blindly() {
    let (server, _sim, adapter) = setup().await;
    let listed = products(&adapter).await;
    let managed = listed.iter().find(|p| p.variants.len() > 1).unwrap();
    let simple = listed.iter().find(|p| p.variants.len() == 1).unwrap();
    assert_eq!(simple.variants[0].platform_id, sim::DEFAULT_VARIANT);
    for (p, variant) in [
        (managed, Some(managed.variants[1].platform_id.clone())),
        (simple, None),
    ] {
        let vid = variant
            .clone()
            .unwrap_or_else(|| sim::DEFAULT_VARIANT.to_owned());
        let set = |change| {
            Write::new(WriteOp::SetInventory {
                product_id: Some(p.platform_id.clone()),
                variant_id: variant.clone(),
                sku: None,
                location_id: None,
                change,
            })
        };
        let r = adapter
            .write(&set(InventoryChange::Absolute(17)))
            .await
            .unwrap();
        assert_eq!(stock_of(&r, &vid), Some(17));
        let r = adapter
            .write(&set(InventoryChange::Delta(-5)))
            .await
            .unwrap();
        assert_eq!(stock_of(&r, &vid), Some(12));
        let r = adapter
            .write(&set(InventoryChange::Delta(3)))
            .await
            .unwrap();
        assert_eq!(stock_of(&r, &vid), Some(15));
        // Wix acted, its answer was lost: the delta is not sent again.
        let faults = server.handle().unwrap().faults().clone();
        faults.arm(Fault::AnswerLost, 1, Target::Mutating);
        assert!(
            adapter
                .write(&set(InventoryChange::Delta(-1)))
                .await
                .is_err()
        );
        faults.disarm();
        let again = adapter.get(Entity::Product, &p.platform_id).await.unwrap();
        assert_eq!(stock_of(&again, &vid), Some(14), "applied exactly once");
    }
    // A price on a managed variant goes through Update Variants; the others keep theirs.
    let before = managed.variants[0].price.clone();
    let r = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: managed.platform_id.clone(),
            variant_id: Some(managed.variants[1].platform_id.clone()),
            title: None,
            status: None,
            price: Some(rust_decimal::Decimal::new(4321, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let Record::Product(p) = r else { panic!() };
    assert_eq!(
        p.variants[1].price.as_ref().unwrap().amount.to_string(),
        "43.21"
    );
    assert_eq!(p.variants[0].price, before);
}

#[tokio::test]
async fn orders_page_by_cursor_oldest_change_first_and_initialized_ones_stay_hidden() {
    let (_server, sim, adapter) = setup().await;
    let hidden: HashSet<String> = sim
        .store()
        .orders
        .iter()
        .filter(|o| o.state == polycart_kit::sim::SimOrderState::Failed)
        .map(|o| guid(Kind::Order, o.id))
        .collect();
    assert!(
        !hidden.is_empty(),
        "the store has checkouts still INITIALIZED"
    );
    let first = adapter
        .list(&ListQuery::new(Entity::Order).page_size(7))
        .await
        .unwrap();
    let dates: Vec<_> = first
        .records
        .iter()
        .map(|r| r.updated_at().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] <= w[1]),
        "oldest change first"
    );
    // Records already read change: they come again after the cursor, nothing is skipped.
    let changed = first.records[0].platform_id().to_owned();
    sim.store()
        .orders
        .iter_mut()
        .find(|o| guid(Kind::Order, o.id) == changed)
        .unwrap()
        .updated_at = Utc::now();
    let rest = collect_all(
        &adapter,
        ListQuery::new(Entity::Order)
            .page_size(7)
            .with_cursor(first.next),
    )
    .await
    .unwrap();
    let mut seen: HashSet<String> = first
        .records
        .iter()
        .map(|r| r.platform_id().to_owned())
        .collect();
    seen.extend(rest.iter().map(|r| r.platform_id().to_owned()));
    assert!(
        rest.iter().any(|r| r.platform_id() == changed),
        "read again after its change"
    );
    let truth: HashSet<String> = sim
        .store()
        .orders
        .iter()
        .map(|o| guid(Kind::Order, o.id))
        .filter(|id| !hidden.contains(id))
        .collect();
    assert_eq!(seen, truth);
    // A hidden order is still there by id.
    let one = hidden.iter().next().unwrap();
    let Record::Order(o) = adapter.get(Entity::Order, one).await.unwrap() else {
        panic!()
    };
    assert_eq!(o.platform_status.as_deref(), Some("INITIALIZED"));
    // Incremental: only what changed since.
    let since = Utc::now() - Duration::seconds(5);
    let recent = collect_all(&adapter, ListQuery::new(Entity::Order).updated_since(since))
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
}

/// Keeps what the token sink was handed.
struct Saved(Mutex<Vec<TokenSet>>);

#[async_trait]
impl TokenSink for Saved {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

#[tokio::test]
async fn the_token_is_minted_once_persisted_and_reused_after_a_restart() {
    let saved = Arc::new(Saved(Mutex::new(Vec::new())));
    let ctx = AdapterContext {
        token_sink: Some(saved.clone()),
        ..AdapterContext::default()
    };
    let (server, sim, adapter) = setup_with(ctx).await;
    collect_all(&adapter, ListQuery::new(Entity::Customer).page_size(2))
        .await
        .unwrap();
    assert_eq!(sim.tokens_issued(), 1, "one token for a whole pass");
    let tokens = saved.0.lock().unwrap()[0].clone();
    let expires = tokens.expires_at.unwrap();
    assert!(
        expires > Utc::now() + Duration::hours(3),
        "Wix tokens last 4 hours"
    );
    // The app restarts with the persisted token: no new one is minted.
    let mut restarted = store(&server, &[("access_token", tokens.access_token.expose())]);
    restarted
        .settings
        .insert("token_expires_at".into(), expires.to_rfc3339());
    let again = WixAdapter::new(&restarted, &AdapterContext::default()).unwrap();
    again.list(&ListQuery::new(Entity::Category)).await.unwrap();
    assert_eq!(sim.tokens_issued(), 1);
    // Wix ends the token's life early: a 401, a new token, the request again.
    sim.expire_tokens();
    again.list(&ListQuery::new(Entity::Category)).await.unwrap();
    assert_eq!(sim.tokens_issued(), 2);
}

/// A raw call to the simulator.
async fn raw(server: &SimServer, path: &str, auth: &str, body: Value) -> (u16, Value) {
    let r = polycart_kit::transport::shared_client()
        .post(format!("{}/{path}", server.info.base_url))
        .header("authorization", auth)
        .header("wix-site-id", sim::SITE_ID)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_simulator_refuses_as_wix_does() {
    let (server, _sim, _adapter) = setup().await;
    let key = sim::API_KEY;
    let (status, body) = raw(
        &server,
        "ecom/v1/orders/search",
        &format!("Bearer {key}"),
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["details"]["applicationError"]["code"],
        "UNAUTHENTICATED"
    );
    let (status, body) = raw(
        &server,
        "ecom/v1/orders/search",
        key,
        json!({"search": {"cursorPaging": {"limit": 101}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["details"]["validationError"]["fieldViolations"].is_array());
    // Catalog V1 takes its filter as a JSON string.
    let (status, _) = raw(
        &server,
        "stores/v1/products/query",
        key,
        json!({"query": {"filter": {"lastUpdated": {"$gt": "2020-01-01T00:00:00Z"}}}}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = raw(
        &server,
        "stores/v1/products/query",
        key,
        json!({"query": {"filter": "{\"lastUpdated\":{\"$gt\":\"2020-01-01T00:00:00Z\"}}", "paging": {"limit": 1}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 12);
    assert!(
        body["products"][0].get("variants").is_none(),
        "variants only with includeVariants"
    );
    // Contacts filter by updatedDate but cannot sort by it.
    let (status, _) = raw(
        &server,
        "contacts/v4/contacts/query",
        key,
        json!({"query": {"sort": [{"fieldName": "updatedDate", "order": "ASC"}]}}),
    )
    .await;
    assert_eq!(status, 400);
    // 200 requests a minute per app instance, then 429 with Wix's error body.
    let mut last = (0, Value::Null);
    for _ in 0..200 {
        last = raw(&server, "stores/v1/collections/query", key, json!({})).await;
        if last.0 == 429 {
            break;
        }
    }
    assert_eq!(last.0, 429);
    assert_eq!(
        last.1["details"]["applicationError"]["code"],
        "RESOURCE_EXHAUSTED"
    );
}

#[tokio::test]
async fn legacy_tokens_live_five_minutes_and_api_keys_need_no_token() {
    let saved = Arc::new(Saved(Mutex::new(Vec::new())));
    let (server, sim, _adapter) = setup().await;
    let mut legacy = store(&server, &[("refresh_token", sim::REFRESH_TOKEN)]);
    legacy.settings.insert("auth".into(), "legacy".into());
    let ctx = AdapterContext {
        token_sink: Some(saved.clone()),
        ..AdapterContext::default()
    };
    let adapter = WixAdapter::new(&legacy, &ctx).unwrap();
    adapter
        .list(&ListQuery::new(Entity::Category))
        .await
        .unwrap();
    let tokens = saved.0.lock().unwrap()[0].clone();
    let left = tokens.expires_at.unwrap() - Utc::now();
    assert!(
        left <= Duration::minutes(5) && left > Duration::minutes(4),
        "{left}"
    );
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        Some(sim::REFRESH_TOKEN),
        "the refresh token stays"
    );
    // An API key: no token endpoint, the site in `wix-site-id`.
    let issued = sim.tokens_issued();
    let mut keyed = store(&server, &[("api_key", sim::API_KEY)]);
    keyed.settings.insert("auth".into(), "api_key".into());
    keyed
        .credentials
        .insert("site_id".into(), sim::SITE_ID.into());
    let adapter = WixAdapter::new(&keyed, &AdapterContext::default()).unwrap();
    adapter
        .list(&ListQuery::new(Entity::Customer))
        .await
        .unwrap();
    assert_eq!(sim.tokens_issued(), issued);
    keyed
        .credentials
        .insert("site_id".into(), "another-site".into());
    let wrong = WixAdapter::new(&keyed, &AdapterContext::default()).unwrap();
    let err = wrong
        .list(&ListQuery::new(Entity::Customer))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn refunds_come_from_order_transactions_listed_and_read_alike() {
    let (_server, sim, adapter) = setup().await;
    let (id, amount, lines) = {
        let s = sim.store();
        let o = s
            .orders
            .iter()
            .find(|o| !o.refunds.is_empty() && o.state != polycart_kit::sim::SimOrderState::Failed)
            .expect("the store has a refunded order");
        (
            guid(Kind::Order, o.id),
            o.refunds[0].amount,
            o.refunds[0].lines.len(),
        )
    };
    let listed = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(50))
        .await
        .unwrap();
    let Some(Record::Order(from_list)) = listed.into_iter().find(|r| r.platform_id() == id) else {
        panic!("order {id} not listed")
    };
    let Record::Order(from_get) = adapter.get(Entity::Order, &id).await.unwrap() else {
        panic!()
    };
    for o in [&from_list, &from_get] {
        let r = &o.refunds[0];
        assert_eq!(r.amount.as_ref().unwrap().amount, amount);
        assert_eq!(
            r.amount.as_ref().unwrap().currency,
            *o.currency.as_ref().unwrap()
        );
        assert_eq!(r.line_items.len(), lines);
    }
    assert_eq!(from_list.refunds, from_get.refunds);
}

#[tokio::test]
async fn orders_are_listed_without_refunds_where_order_transactions_are_missing() {
    let options = SimOptions {
        seed: 5,
        plan: Some(sim::NO_ORDER_TRANSACTIONS.to_owned()),
        ..SimOptions::default()
    };
    let (server, sim) = start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let adapter = WixAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(100))
        .await
        .unwrap();
    assert!(!orders.is_empty());
    assert!(
        orders
            .iter()
            .all(|r| matches!(r, Record::Order(o) if o.refunds.is_empty()))
    );
    let refunded = sim
        .store()
        .orders
        .iter()
        .find(|o| !o.refunds.is_empty() && o.state != polycart_kit::sim::SimOrderState::Failed)
        .map(|o| guid(Kind::Order, o.id))
        .unwrap();
    let Record::Order(o) = adapter.get(Entity::Order, &refunded).await.unwrap() else {
        panic!()
    };
    assert!(o.refunds.is_empty());
    assert!(
        o.totals.refunded.is_some(),
        "the order's own balance still says it"
    );
}
