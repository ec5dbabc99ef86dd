//! v3 catalog: products with variants, images and options (with price and variant
//! updates), order refunds, categories, category trees.

use super::*;

pub(in crate::sim) async fn order_refunds(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let store = sim.store();
    let Some(o) = store.orders.iter().find(|o| o.id == id && !o.deleted) else {
        return not_found();
    };
    listed(render::v3_refunds(o), &q)
}

pub(in crate::sim) fn include(q: &HashMap<String, String>) -> Include {
    let list = q.get("include").map(String::as_str).unwrap_or("");
    let has = |x: &str| list.split(',').any(|i| i.trim() == x);
    Include {
        variants: has("variants"),
        images: has("images"),
        options: has("options"),
    }
}

pub(in crate::sim) fn product_list(sim: &Sim, q: &HashMap<String, String>) -> Reply {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let (page, limit) = paging(q, 50, 250).map_err(bad)?;
    let id_in = ids(q, "id:in").map_err(bad)?;
    let id_filter = IdFilter::parse(q).map_err(bad)?;
    let (min_m, max_m) = (
        when(q, "date_modified:min").map_err(bad)?,
        when(q, "date_modified:max").map_err(bad)?,
    );
    let (min_c, max_c) = (
        when(q, "date_created:min").map_err(bad)?,
        when(q, "date_created:max").map_err(bad)?,
    );
    let sort = q.get("sort").map_or("id", String::as_str);
    let desc = q.get("direction").is_some_and(|d| d == "desc");
    if !["id", "name", "date_modified", "date_created", "price"].contains(&sort) {
        return Err(bad(format!("unsupported sort {sort:?}")));
    }
    let store = sim.store();
    let mut list: Vec<&SimProduct> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| id_in.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .filter(|p| id_filter.matches(p.id))
        .filter(|p| in_range(p.updated_at, min_m, max_m) && in_range(p.created_at, min_c, max_c))
        .collect();
    list.sort_by(|a, b| {
        let by = match sort {
            "name" => a.title.cmp(&b.title),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "price" => a.variants[0].price.cmp(&b.variants[0].price),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if desc { by.reverse() } else { by }
    });
    let inc = include(q);
    let data = slice(&list, page, limit)
        .iter()
        .map(|p| render::v3_product(p, inc))
        .collect();
    Ok(v3_list(data, list.len(), page, limit))
}

pub(in crate::sim) async fn products(State(sim): St, Query(q): Params) -> Response {
    product_list(&sim, &q).unwrap_or_else(|e| e)
}

/// `price` and `retail_price` of a catalog `PUT`: numbers (or numeric strings), not negative.
pub(in crate::sim) fn prices(body: &Value) -> Result<(Option<Decimal>, Option<Decimal>), Response> {
    let read = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal(v)
            .filter(|d| *d >= Decimal::ZERO)
            .map(Some)
            .ok_or_else(|| {
                v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{key} must be a non-negative number"),
                )
            }),
    };
    Ok((read("price")?, read("retail_price")?))
}

pub(in crate::sim) fn not_found() -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

pub(in crate::sim) async fn product(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let store = sim.store();
    match store.products.iter().find(|p| p.id == id && !p.deleted) {
        Some(p) => v3_one(render::v3_product(p, include(&q))),
        None => not_found(),
    }
}

pub(in crate::sim) async fn product_put(
    State(sim): St,
    Path(id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    let (price, retail) = match prices(&body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let rendered = {
        let mut store = sim.store();
        let Some(p) = store.product_mut(id) else {
            return not_found();
        };
        let at = now();
        if let Some(price) = price {
            p.variants[0].price = price;
            p.variants[0].updated_at = at;
        }
        if let Some(r) = retail {
            p.variants[0].compare_at_price = (r > Decimal::ZERO).then_some(r);
        }
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            p.title = name.to_owned();
        }
        match body.get("is_visible").and_then(Value::as_bool) {
            Some(false) => p.status = SimProductStatus::Draft,
            Some(true) if p.status == SimProductStatus::Draft => {
                p.status = SimProductStatus::Active
            }
            _ => {}
        }
        match body.get("availability").and_then(Value::as_str) {
            Some("disabled") => p.status = SimProductStatus::Archived,
            Some("available") if p.status == SimProductStatus::Archived => {
                p.status = SimProductStatus::Active
            }
            _ => {}
        }
        p.updated_at = at;
        render::v3_product(p, Include::default())
    };
    sim.fire(
        "store/product/updated",
        json!({ "type": "product", "id": id }),
    );
    v3_one(rendered)
}

pub(in crate::sim) async fn product_variants(
    State(sim): St,
    Path(id): Path<u64>,
    Query(q): Params,
) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let Some(p) = store.products.iter().find(|p| p.id == id && !p.deleted) else {
        return not_found();
    };
    let data = slice(&p.variants, page, limit)
        .iter()
        .map(|v| render::v3_variant(p, v))
        .collect();
    v3_list(data, p.variants.len(), page, limit)
}

pub(in crate::sim) async fn variant(State(sim): St, Path((id, vid)): Path<(u64, u64)>) -> Response {
    let store = sim.store();
    let Some(p) = store.products.iter().find(|p| p.id == id && !p.deleted) else {
        return not_found();
    };
    match p.variants.iter().find(|v| v.id == vid) {
        Some(v) => v3_one(render::v3_variant(p, v)),
        None => not_found(),
    }
}

pub(in crate::sim) async fn variant_put(
    State(sim): St,
    Path((id, vid)): Path<(u64, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let (price, retail) = match prices(&body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let (rendered, sku_id) = {
        let mut store = sim.store();
        let Some(p) = store.product_mut(id) else {
            return not_found();
        };
        let at = now();
        let Some(v) = p.variants.iter_mut().find(|v| v.id == vid) else {
            return not_found();
        };
        if let Some(price) = price {
            v.price = price;
        }
        if let Some(r) = retail {
            v.compare_at_price = (r > Decimal::ZERO).then_some(r);
        }
        v.updated_at = at;
        let sku_id = v.inventory_item_id;
        p.updated_at = at;
        let p = &*p;
        let v = p
            .variants
            .iter()
            .find(|v| v.id == vid)
            .expect("found above");
        (render::v3_variant(p, v), sku_id)
    };
    sim.fire(
        "store/sku/updated",
        json!({ "type": "sku", "id": sku_id, "sku": { "product_id": id, "variant_id": vid } }),
    );
    sim.fire(
        "store/product/updated",
        json!({ "type": "product", "id": id }),
    );
    v3_one(rendered)
}

pub(in crate::sim) async fn all_variants(State(sim): St, Query(q): Params) -> Response {
    let store = sim.store();
    let all: Vec<Value> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .flat_map(|p| p.variants.iter().map(move |v| render::v3_variant(p, v)))
        .collect();
    listed(all, &q)
}

pub(in crate::sim) async fn categories(State(sim): St, Query(q): Params) -> Response {
    let id_in = match ids(&q, "id:in") {
        Ok(i) => i,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let list: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| id_in.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .map(render::v3_category)
        .collect();
    listed(list, &q)
}

pub(in crate::sim) async fn category(State(sim): St, Path(id): Path<u64>) -> Response {
    let store = sim.store();
    match store.categories.iter().find(|c| c.id == id) {
        Some(c) => v3_one(render::v3_category(c)),
        None => not_found(),
    }
}

/// The legacy `GET /v3/catalog/categories/tree`: root categories with their children.
pub(in crate::sim) async fn category_tree(State(sim): St) -> Response {
    fn node(all: &[polycart_kit::sim::SimCategory], c: &polycart_kit::sim::SimCategory) -> Value {
        let children: Vec<Value> = all
            .iter()
            .filter(|k| k.parent_id == Some(c.id))
            .map(|k| node(all, k))
            .collect();
        json!({
            "id": c.id,
            "parent_id": c.parent_id.unwrap_or(0),
            "name": c.name,
            "is_visible": true,
            "url": format!("/{}/", c.handle),
            "children": children,
        })
    }
    let store = sim.store();
    let roots: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| node(&store.categories, c))
        .collect();
    Json(json!({ "data": roots, "meta": {} })).into_response()
}

pub(in crate::sim) async fn trees(State(_): St) -> Response {
    v3_list(
        vec![json!({ "id": 1, "name": "Default", "channels": [1] })],
        1,
        1,
        50,
    )
}

pub(in crate::sim) async fn tree_categories(State(sim): St, Query(q): Params) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let parse = |k: &str| ids(&q, k);
    let (trees, cats, parents) = match (
        parse("tree_id:in"),
        parse("category_id:in"),
        parse("parent_id:in"),
    ) {
        (Ok(t), Ok(c), Ok(p)) => (t, c, p),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
            return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
        }
    };
    if trees.as_ref().is_some_and(|t| !t.contains(&1)) {
        return v3_list(Vec::new(), 0, page, limit);
    }
    let store = sim.store();
    let list: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| cats.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| {
            parents
                .as_ref()
                .is_none_or(|ids| ids.contains(&c.parent_id.unwrap_or(0)))
        })
        .map(render::v3_tree_category)
        .collect();
    let total = list.len();
    v3_list(slice(&list, page, limit).to_vec(), total, page, limit)
}
