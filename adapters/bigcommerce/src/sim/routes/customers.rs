//! v3 customers and their addresses.

use super::*;

pub(in crate::sim) async fn customers(State(sim): St, Query(q): Params) -> Response {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let parsed = (|| {
        Ok::<_, String>((
            paging(&q, 50, 250)?,
            ids(&q, "id:in")?,
            when(&q, "date_modified:min")?,
            when(&q, "date_modified:max")?,
            when(&q, "date_created:min")?,
            when(&q, "date_created:max")?,
        ))
    })();
    let ((page, limit), id_in, min_m, max_m, min_c, max_c) = match parsed {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let sort = q.get("sort").map_or("id:asc", String::as_str);
    let (field, dir) = sort.split_once(':').unwrap_or((sort, "asc"));
    if !["id", "date_created", "date_modified", "last_name"].contains(&field)
        || !["asc", "desc"].contains(&dir)
    {
        return bad(format!("unsupported sort {sort:?}"));
    }
    let store = sim.store();
    let mut list: Vec<_> = store
        .customers
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| id_in.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| in_range(c.updated_at, min_m, max_m) && in_range(c.created_at, min_c, max_c))
        .collect();
    list.sort_by(|a, b| {
        let by = match field {
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "last_name" => a.last_name.cmp(&b.last_name),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if dir == "desc" { by.reverse() } else { by }
    });
    let with_addresses = q
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x.trim() == "addresses"));
    let data = slice(&list, page, limit)
        .iter()
        .map(|c| render::v3_customer(c, with_addresses))
        .collect();
    v3_list(data, list.len(), page, limit)
}

/// `GET /v3/customers/addresses` (`customer_id:in`, `id:in`).
pub(in crate::sim) async fn customer_addresses(State(sim): St, Query(q): Params) -> Response {
    let (customers, id_in) = match (ids(&q, "customer_id:in"), ids(&q, "id:in")) {
        (Ok(c), Ok(i)) => (c, i),
        (Err(e), _) | (_, Err(e)) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let all: Vec<Value> = store
        .customers
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| customers.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .flat_map(render::v3_customer_addresses)
        .filter(|a| {
            id_in
                .as_ref()
                .is_none_or(|ids| a["id"].as_u64().is_some_and(|id| ids.contains(&id)))
        })
        .collect();
    listed(all, &q)
}
