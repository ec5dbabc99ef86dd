//! `webhook.create/list/update/delete/count` and `webhook.events` on polycart's
//! outbound subscriptions, and the callback those subscriptions deliver.
//!
//! An API2Cart webhook is a subscription to one store's change feed in the `api2cart`
//! format: the delivery worker ([`crate::engine`]) sends each change that matches its
//! entity and action as one `POST` in API2Cart's callback shape ([`callback`]) instead
//! of polycart's signed batch. Its cursor, retries, replay and delivery log are the
//! subscription's, so `/v1/subscriptions/{id}/deliveries` shows its attempts too.
//!
//! The callback is signed like API2Cart's: `X-Webhook-Signature` is the base64
//! HMAC-SHA256 of the body keyed with the API key that created the webhook (kept
//! sealed at rest as the subscription's secret). The callback URL passes the same
//! checks as a `/v1` subscription's.

use chrono::Utc;
use polycart_kit::auth::hmac;
use polycart_kit::{Entity, Secret};
use serde_json::{Value, json};

use super::Ctx;
use super::envelope::{A2cError, Reply, ReturnCode};
use super::reads::Kind;
use super::select::EntityFields;
use crate::api::error::ApiError;
use crate::store::{Api2CartHook, Change, ChangeKind, Subscription, validate_store_url};

/// API2Cart's actions, in the order `webhook.events` lists them.
const ACTIONS: [&str; 3] = ["add", "update", "delete"];

/// The longest `label` and `fields` kept.
const MAX_TEXT: usize = 512;

/// The API2Cart entity of a polycart entity (inventory has none: it changes products).
fn kind_of(entity: Entity) -> Option<Kind> {
    match entity {
        Entity::Order => Some(Kind::Order),
        Entity::Product => Some(Kind::Product),
        Entity::Customer => Some(Kind::Customer),
        Entity::Category => Some(Kind::Category),
        Entity::Inventory => None,
    }
}

fn action_of(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Created => "add",
        ChangeKind::Updated => "update",
        ChangeKind::Deleted => "delete",
    }
}

/// The `(entity, action)` events a store can deliver: every action of each entity it
/// syncs (deletions are found by webhooks or reconciliation on every platform).
fn events(entities: &[Entity]) -> Vec<(&'static str, &'static str)> {
    entities
        .iter()
        .filter_map(|e| kind_of(*e))
        .flat_map(|k| ACTIONS.iter().map(move |a| (k.name(), *a)))
        .collect()
}

/// `webhook.events`.
pub fn list_events(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store = ctx.store()?;
    let events: Vec<Value> = events(&store.entities)
        .into_iter()
        .map(|(entity, action)| {
            json!({
                "webhook_name": format!("{entity}.{action}"),
                "entity": entity,
                "action": action,
            })
        })
        .collect();
    Ok(Reply::result(json!({ "events": events })))
}

fn bounded_text(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, A2cError> {
    match ctx.params.str(name) {
        Some(t) if t.chars().count() > MAX_TEXT => Err(A2cError::invalid(format!(
            "{name} is longer than {MAX_TEXT} characters"
        ))),
        other => Ok(other),
    }
}

/// `fields`: `None` for every field (`force_all`, API2Cart's default).
fn fields_param(ctx: &Ctx<'_>) -> Result<Option<String>, A2cError> {
    Ok(bounded_text(ctx, "fields")?.filter(|f| f != "force_all"))
}

fn callback_url(ctx: &Ctx<'_>, text: &str) -> Result<url::Url, A2cError> {
    validate_store_url(text, ctx.state.url_policy)
        .map_err(|e| A2cError::invalid(format!("callback: {e}")))
}

/// A multi-store `store_id` other than polycart's one store per key is refused, and
/// so are `filtering_conditions` (a webhook receives every event of its kind).
fn check_unsupported(ctx: &Ctx<'_>) -> Result<(), A2cError> {
    if ctx
        .params
        .raw("filtering_conditions")
        .is_some_and(|v| !v.is_null())
    {
        return Err(A2cError::invalid(
            "filtering_conditions are not supported: a webhook receives every event of its entity and action",
        ));
    }
    match ctx.params.str("store_id") {
        None => Ok(()),
        Some(id) if id == "1" || id == ctx.store()?.id => Ok(()),
        Some(_) => Err(A2cError::invalid(
            "store_id: a polycart store key is one store; omit store_id",
        )),
    }
}

/// `webhook.create`.
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store = ctx.store()?;
    let entity = ctx.params.required("entity")?.to_ascii_lowercase();
    let action = ctx.params.required("action")?.to_ascii_lowercase();
    if !events(&store.entities).contains(&(entity.as_str(), action.as_str())) {
        return Err(A2cError::invalid(format!(
            "webhook {}.{} is not supported for this store; webhook.events lists them",
            polycart_kit::error::excerpt(&entity, 40),
            polycart_kit::error::excerpt(&action, 40)
        )));
    }
    check_unsupported(ctx)?;
    let url = callback_url(ctx, &ctx.params.required("callback")?)?;
    let now = Utc::now();
    let hook = Api2CartHook {
        id: 0,
        entity,
        action,
        label: bounded_text(ctx, "label")?,
        fields: fields_param(ctx)?,
        active: ctx.params.bool("active")?.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let Some(key) = ctx.params.api_key.as_deref() else {
        return Err(A2cError::new(
            ReturnCode::IncorrectApiKey,
            "x-api-key is not specified",
        ));
    };
    // `idempotency_key`: a repeat answers the first webhook's id, never a second one.
    let claimed = match ctx.params.str("idempotency_key") {
        Some(k) if k.len() > 255 => {
            return Err(A2cError::invalid(
                "idempotency_key is longer than 255 characters",
            ));
        }
        Some(k) => {
            let k = format!("webhook.create:{k}");
            let request_hash = crate::store::content_hash(&format!(
                "{}\n{}\n{}\n{}",
                store.id,
                url,
                serde_json::to_string(&(
                    &hook.entity,
                    &hook.action,
                    &hook.label,
                    &hook.fields,
                    hook.active
                ))
                .unwrap_or_default(),
                "webhook.create"
            ));
            if let Some((_, axum::Json(first))) =
                crate::api::writes::claim_key(ctx.state, ctx.caller, &k, &request_hash).await?
            {
                return Ok(Reply::result(first));
            }
            Some(k)
        }
        None => None,
    };
    let added = ctx
        .state
        .store
        .add_api2cart_subscription(&url, &Secret::new(key.to_owned()), &store.id, &hook)
        .await;
    let result = match added {
        Ok((_, webhook_id)) => json!({ "id": webhook_id }),
        Err(e) => {
            if let Some(k) = &claimed {
                let _ = ctx
                    .state
                    .store
                    .abandon_idempotent(&ctx.caller.0.id, k)
                    .await;
            }
            return Err(A2cError::from(ApiError::from(e)));
        }
    };
    if let Some(k) = &claimed {
        ctx.state
            .store
            .finish_idempotent(&ctx.caller.0.id, k, 200, &result.to_string())
            .await
            .map_err(|e| A2cError::from(ApiError::from(e)))?;
    }
    Ok(Reply::result(result))
}

/// The store's API2Cart webhooks, by webhook id.
async fn hooks_of(ctx: &Ctx<'_>) -> Result<Vec<(Subscription, Api2CartHook)>, A2cError> {
    let store_id = &ctx.store()?.id;
    let mut hooks: Vec<_> = ctx
        .state
        .store
        .subscriptions()
        .await
        .map_err(|e| A2cError::from(ApiError::from(e)))?
        .into_iter()
        .filter(|s| s.store_id.as_deref() == Some(store_id.as_str()))
        .filter_map(|s| s.api2cart.clone().map(|h| (s, h)))
        .collect();
    hooks.sort_by_key(|(_, h)| h.id);
    Ok(hooks)
}

/// The webhook of `id` on this store, or 112.
async fn hook_of(ctx: &Ctx<'_>) -> Result<(Subscription, Api2CartHook), A2cError> {
    let id = ctx.params.required("id")?;
    let wanted: i64 = id
        .parse()
        .map_err(|_| A2cError::invalid("id must be a webhook id (a number)"))?;
    hooks_of(ctx)
        .await?
        .into_iter()
        .find(|(_, h)| h.id == wanted)
        .ok_or_else(|| {
            A2cError::new(
                ReturnCode::ItemNotFound,
                format!("webhook {wanted} not found"),
            )
        })
}

/// The webhooks `entity`, `action`, `active` and `ids` select.
async fn selected(ctx: &Ctx<'_>) -> Result<Vec<(Subscription, Api2CartHook)>, A2cError> {
    let p = ctx.params;
    let entity = p.str("entity").map(|e| e.to_ascii_lowercase());
    let action = p.str("action").map(|a| a.to_ascii_lowercase());
    let active = p.bool("active")?;
    let ids: Option<Vec<i64>> = p
        .list("ids")
        .map(|ids| {
            ids.iter()
                .map(|i| i.parse())
                .collect::<Result<_, _>>()
                .map_err(|_| A2cError::invalid("ids must be webhook ids (numbers)"))
        })
        .transpose()?;
    Ok(hooks_of(ctx)
        .await?
        .into_iter()
        .filter(|(_, h)| entity.as_ref().is_none_or(|e| *e == h.entity))
        .filter(|(_, h)| action.as_ref().is_none_or(|a| *a == h.action))
        .filter(|(_, h)| active.is_none_or(|a| a == h.active))
        .filter(|(_, h)| ids.as_ref().is_none_or(|ids| ids.contains(&h.id)))
        .collect())
}

fn view(sub: &Subscription, h: &Api2CartHook) -> Value {
    json!({
        "id": h.id,
        "label": h.label,
        "store_id": "1",
        "active": h.active,
        "callback": sub.url,
        "fields": h.fields.as_deref().unwrap_or("force_all"),
        "created_at": h.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "updated_at": h.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "entity": h.entity,
        "action": h.action,
    })
}

/// `webhook.list`.
pub async fn list(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let start = ctx.params.int("start", 0, super::reads::MAX_START, 0)?;
    let count = ctx.params.int("count", 1, 250, 10)?;
    let all = selected(ctx).await?;
    let page: Vec<Value> = all
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(count).unwrap_or(0))
        .map(|(s, h)| view(s, h))
        .collect();
    Ok(Reply::result(json!({ "webhook": page })))
}

/// `webhook.count`.
pub async fn count(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let n = selected(ctx).await?.len();
    Ok(Reply::result(json!({ "count": n })))
}

/// `webhook.update`: `callback`, `label`, `fields` and `active`.
pub async fn update(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    check_unsupported(ctx)?;
    let (sub, mut hook) = hook_of(ctx).await?;
    let url = match ctx.params.str("callback") {
        Some(text) => callback_url(ctx, &text)?,
        None => url::Url::parse(&sub.url).map_err(|_| {
            A2cError::invalid("the stored callback no longer parses; give callback")
        })?,
    };
    if let Some(label) = bounded_text(ctx, "label")? {
        hook.label = Some(label);
    }
    if ctx.params.str("fields").is_some() {
        hook.fields = fields_param(ctx)?;
    }
    if let Some(active) = ctx.params.bool("active")? {
        hook.active = active;
    }
    hook.updated_at = Utc::now();
    ctx.state
        .store
        .update_api2cart_subscription(&sub.id, &url, &hook)
        .await
        .map_err(|e| A2cError::from(ApiError::from(e)))?;
    Ok(Reply::result(json!({ "updated_items": 1 })))
}

/// `webhook.delete`.
pub async fn delete(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let (sub, _) = hook_of(ctx).await?;
    ctx.state
        .store
        .remove_subscription(&sub.id)
        .await
        .map_err(|e| A2cError::from(ApiError::from(e)))?;
    Ok(Reply::result(json!({ "status": true })))
}

/// One callback to send: its body and its headers.
#[derive(Debug)]
pub struct Callback {
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// Whether `change` is an event of `hook` (an inactive webhook has none).
pub fn matches(hook: &Api2CartHook, change: &Change) -> bool {
    hook.active
        && kind_of(change.entity).is_some_and(|k| k.name() == hook.entity)
        && action_of(change.kind) == hook.action
}

/// The callback of `change` for `hook`: the record as `{entity}.info` gives it (only
/// `fields` when set), with API2Cart's headers and signature (keyed with `secret`).
pub fn callback(hook: &Api2CartHook, change: &Change, secret: &[u8], timestamp: i64) -> Callback {
    let kind = kind_of(change.entity);
    let record = match kind {
        Some(kind) => {
            let fields = EntityFields::from_params(
                Some(hook.fields.as_deref().unwrap_or("force_all")),
                "force_all",
                kind.aliases(),
            );
            fields.apply(kind.map(&change.record), &[])
        }
        None => change.record.clone(),
    };
    let body = serde_json::to_vec(&record).expect("a JSON value serialises");
    let signature = hmac::base64(&hmac::hmac_sha256(secret, &body));
    Callback {
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("x-webhook-store-id", "1".to_owned()),
            ("x-webhook-entity", hook.entity.clone()),
            ("x-webhook-action", hook.action.clone()),
            ("x-webhook-id", hook.id.to_string()),
            ("x-webhook-timestamp", timestamp.to_string()),
            ("x-webhook-signature", signature),
        ],
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: ChangeKind) -> Change {
        Change {
            seq: 3,
            store_id: "st_1".into(),
            entity: Entity::Product,
            platform_id: "9".into(),
            kind,
            record: json!({"platform_id": "9", "title": "Mug", "status": "active"}),
            at: Utc::now(),
        }
    }

    fn hook(action: &str, fields: Option<&str>) -> Api2CartHook {
        Api2CartHook {
            id: 4,
            entity: "product".into(),
            action: action.into(),
            label: None,
            fields: fields.map(str::to_owned),
            active: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn only_the_hooks_entity_and_action_match_and_only_while_active() {
        let add = hook("add", None);
        assert!(matches(&add, &change(ChangeKind::Created)));
        assert!(!matches(&add, &change(ChangeKind::Updated)));
        let mut order = change(ChangeKind::Created);
        order.entity = Entity::Order;
        assert!(!matches(&add, &order));
        let paused = Api2CartHook {
            active: false,
            ..add
        };
        assert!(!matches(&paused, &change(ChangeKind::Created)));
    }

    #[test]
    fn a_callback_carries_the_asked_fields_and_a_base64_body_signature() {
        let cb = callback(
            &hook("delete", Some("id")),
            &change(ChangeKind::Deleted),
            b"key",
            1700000000,
        );
        let body: Value = serde_json::from_slice(&cb.body).unwrap();
        assert_eq!(body, json!({"id": "9"}));
        let header = |name: &str| {
            cb.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("x-webhook-action"), "delete");
        assert_eq!(header("x-webhook-entity"), "product");
        assert_eq!(header("x-webhook-timestamp"), "1700000000");
        assert!(hmac::verify_base64_hmac_sha256(
            b"key",
            &cb.body,
            &header("x-webhook-signature")
        ));
        assert!(!hmac::verify_base64_hmac_sha256(
            b"other",
            &cb.body,
            &header("x-webhook-signature")
        ));
    }
}
