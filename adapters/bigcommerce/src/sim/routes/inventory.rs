//! v3 inventory: items per location, locations, absolute and relative adjustments.

use super::*;

pub(in crate::sim) fn locations_of(store: &SimStore) -> Vec<(u64, String)> {
    store
        .locations
        .iter()
        .map(|l| (l.id, l.name.clone()))
        .collect()
}

pub(in crate::sim) async fn inventory_items(State(sim): St, Query(q): Params) -> Response {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let parsed = (|| {
        Ok::<_, String>((
            paging(&q, 50, 1000)?,
            ids(&q, "variant_id:in")?,
            ids(&q, "product_id:in")?,
            ids(&q, "location_id:in")?,
        ))
    })();
    let ((page, limit), variants, products, locations) = match parsed {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let skus: Option<Vec<&str>> = q
        .get("sku:in")
        .map(|s| s.split(',').map(str::trim).collect());
    let store = sim.store();
    let all_locations = locations_of(&store);
    let shown: Vec<(u64, String)> = all_locations
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            locations
                .as_ref()
                .is_none_or(|l| l.contains(&(*i as u64 + 1)))
        })
        .map(|(_, l)| l.clone())
        .collect();
    let items: Vec<(&SimProduct, &polycart_kit::sim::SimVariant)> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| products.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
        .filter(|(_, v)| variants.as_ref().is_none_or(|ids| ids.contains(&v.id)))
        .filter(|(_, v)| skus.as_ref().is_none_or(|s| s.contains(&v.sku.as_str())))
        .collect();
    let data = slice(&items, page, limit)
        .iter()
        .map(|(p, v)| {
            // Keep BigCommerce's location ids (1-based positions) for the shown subset.
            let mut item = render::v3_inventory_item(p, v, &all_locations);
            if let Some(list) = item.get_mut("locations").and_then(Value::as_array_mut) {
                list.retain(|l| {
                    let id = l.get("location_id").and_then(Value::as_u64).unwrap_or(0);
                    shown.iter().any(|s| {
                        all_locations.iter().position(|a| a.0 == s.0) == Some(id as usize - 1)
                    })
                });
            }
            item
        })
        .collect();
    v3_list(data, items.len(), page, limit)
}

pub(in crate::sim) async fn locations(State(sim): St, Query(q): Params) -> Response {
    let store = sim.store();
    let created = store
        .categories
        .first()
        .map_or_else(Utc::now, |c| c.created_at);
    let list: Vec<Value> = store
        .locations
        .iter()
        .enumerate()
        .map(|(i, l)| render::v3_location(i, &l.name, created))
        .collect();
    listed(list, &q)
}

/// Applies inventory adjustments; `absolute` sets the level, otherwise adds to it.
pub(in crate::sim) fn adjust(sim: &Arc<Sim>, body: &Value, absolute: bool) -> Response {
    let Some(items) = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
    else {
        return v3_error(StatusCode::UNPROCESSABLE_ENTITY, "items are required");
    };
    let mut fired = Vec::new();
    {
        let mut store = sim.store();
        let location_count = store.locations.len();
        // Validate everything first: an adjustment applies in full or not at all.
        let mut plan = Vec::new();
        for item in items {
            let Some(location) = item
                .get("location_id")
                .and_then(Value::as_u64)
                .filter(|l| *l >= 1 && (*l as usize) <= location_count)
            else {
                return v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "location_id is missing or unknown",
                );
            };
            let Some(quantity) = item.get("quantity").and_then(Value::as_i64) else {
                return v3_error(StatusCode::UNPROCESSABLE_ENTITY, "quantity is required");
            };
            let target = store.products.iter().filter(|p| !p.deleted).find_map(|p| {
                if let Some(vid) = item.get("variant_id").and_then(Value::as_u64) {
                    return p
                        .variants
                        .iter()
                        .position(|v| v.id == vid)
                        .map(|i| (p.id, i));
                }
                if let Some(sku) = item.get("sku").and_then(Value::as_str) {
                    return p
                        .variants
                        .iter()
                        .position(|v| v.sku == sku)
                        .map(|i| (p.id, i));
                }
                let pid = item.get("product_id").and_then(Value::as_u64)?;
                (p.id == pid && p.options.is_empty()).then_some((p.id, 0))
            });
            let Some((pid, index)) = target else {
                return v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no inventory item matches (or it is tracked by variant)",
                );
            };
            plan.push((pid, index, location as usize - 1, quantity));
        }
        let at = now();
        for (pid, index, location, quantity) in plan {
            let Some(p) = store.product_mut(pid) else {
                continue;
            };
            let v = &mut p.variants[index];
            let Some(slot) = v.stock.get_mut(location) else {
                continue;
            };
            slot.1 = if absolute {
                quantity
            } else {
                slot.1.max(0) + quantity
            };
            v.updated_at = at;
            let value = slot.1;
            let (vid, sku_id, simple) = (v.id, v.inventory_item_id, p.options.is_empty());
            p.updated_at = at;
            let method = if absolute { "absolute" } else { "relative" };
            if simple {
                fired.push(("store/product/inventory/updated", json!({ "type": "product", "id": pid, "inventory": { "product_id": pid, "method": method, "value": value } })));
            } else {
                fired.push(("store/sku/inventory/updated", json!({ "type": "sku", "id": sku_id, "inventory": { "product_id": pid, "method": method, "value": value, "variant_id": vid } })));
            }
            fired.push((
                "store/channel/1/inventory/product/stock_changed",
                json!({ "variant_id": vid, "product_id": pid, "location_id": location + 1 }),
            ));
        }
    }
    for (scope, data) in fired {
        sim.fire(scope, data);
    }
    let n = sim
        .next_message
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Json(json!({ "transaction_id": format!("{:08x}-0000-4000-8000-{n:012x}", n) })).into_response()
}

pub(in crate::sim) async fn adjust_absolute(State(sim): St, Json(body): Json<Value>) -> Response {
    adjust(&sim, &body, true)
}

pub(in crate::sim) async fn adjust_relative(State(sim): St, Json(body): Json<Value>) -> Response {
    adjust(&sim, &body, false)
}
