//! v3 hooks: list, create and delete webhook subscriptions.

use super::*;

pub(in crate::sim) fn render_hook(sim: &Sim, h: &Hook) -> Value {
    json!({
        "id": h.id,
        "client_id": "simclient",
        "store_hash": sim.store_hash,
        "scope": h.scope,
        "destination": h.destination,
        "headers": h.headers,
        "is_active": h.is_active,
        "created_at": h.created_at,
        "updated_at": h.created_at,
    })
}

pub(in crate::sim) async fn hooks(State(sim): St) -> Response {
    let list: Vec<Value> = crate::sim::lock(&sim.hooks)
        .iter()
        .map(|h| render_hook(&sim, h))
        .collect();
    let total = list.len();
    v3_list(list, total, 1, total.max(1))
}

pub(in crate::sim) async fn hook_post(State(sim): St, Json(body): Json<Value>) -> Response {
    let scope = body.get("scope").and_then(Value::as_str).unwrap_or("");
    let destination = body
        .get("destination")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !scope.starts_with("store/") {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "scope must be a store/... webhook scope",
        );
    }
    if url::Url::parse(destination).is_err() {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "destination must be a URL",
        );
    }
    let headers: BTreeMap<String, String> = body
        .get("headers")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let hook = {
        let mut hooks = crate::sim::lock(&sim.hooks);
        let hook = Hook {
            id: hooks.iter().map(|h| h.id).max().unwrap_or(1000) + 1,
            scope: scope.to_owned(),
            destination: destination.to_owned(),
            is_active: body
                .get("is_active")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            headers,
            created_at: Utc::now().timestamp(),
        };
        hooks.push(hook.clone());
        hook
    };
    v3_one(render_hook(&sim, &hook))
}

/// `DELETE /v3/hooks/{id}`: answers the deleted hook, as BigCommerce does.
pub(in crate::sim) async fn hook_delete(State(sim): St, Path(id): Path<String>) -> Response {
    let removed = {
        let mut hooks = crate::sim::lock(&sim.hooks);
        let at = hooks.iter().position(|h| h.id.to_string() == id);
        at.map(|i| hooks.remove(i))
    };
    match removed {
        Some(hook) => v3_one(render_hook(&sim, &hook)),
        None => not_found(),
    }
}
