//! The list endpoints' own filters (orders by `status`, `customer`, `product`; products
//! by `sku`, `type`, `status`, `category`; customers by `email`, `role`; categories by
//! `hide_empty`, `product`) and the keys the shared listing sorts and pages on.

use axum::response::Response;

use super::listing::{self, Keys, POSTS, PRODUCTS, TERMS, USERS};
use super::render;
use super::routes::{R, Req, St, bad_param, count_in, list, lock, tracking_enabled};

/// `status` of `/orders`: a list of statuses, `any` (every status but `trash`) by default.
fn order_statuses(req: &Req) -> Result<Vec<&str>, Response> {
    let statuses: Vec<&str> = req
        .param("status")
        .unwrap_or("any")
        .split(',')
        .map(str::trim)
        .collect();
    for (i, s) in statuses.iter().enumerate() {
        if *s != "any" && !STATUSES.contains(s) {
            return Err(bad_param(
                "status",
                &format!("status[{i}] is not one of any, {}.", STATUSES.join(", ")),
            ));
        }
    }
    Ok(statuses)
}

pub(super) fn orders(st: &St, req: &Req) -> R {
    let statuses = order_statuses(req)?;
    let customer: Option<u64> = match req.param("customer") {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| bad_param("customer", "customer is not of type integer."))?,
        ),
    };
    let product: Option<u64> = match req.param("product") {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| bad_param("product", "product is not of type integer."))?,
        ),
    };
    let store = lock(&st.store);
    let extra = lock(&st.extra);
    let chosen: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| {
            let s = render::order_status(o, &extra);
            if statuses.contains(&"any") {
                s != "trash"
            } else {
                statuses.contains(&s.as_str())
            }
        })
        .filter(|o| customer.is_none_or(|c| o.customer_id.unwrap_or(0) == c))
        .filter(|o| product.is_none_or(|p| o.line_items.iter().any(|l| l.product_id == p)))
        .collect();
    let items = chosen
        .iter()
        .map(|o| render::order(o, &store.products, &extra, &req.site, tracking_enabled(req)))
        .collect();
    let keys = chosen
        .iter()
        .map(|o| Keys {
            id: o.id,
            created: o.created_at.timestamp(),
            modified: o.updated_at.timestamp(),
            name: o.number.to_string(),
            slug: o.number.to_string(),
            ..Keys::default()
        })
        .collect();
    drop((store, extra));
    list(req, &POSTS, items, keys)
}

const PRODUCT_STATUSES: &[&str] = &[
    "any", "future", "trash", "draft", "pending", "private", "publish",
];

pub(super) fn products(st: &St, req: &Req) -> R {
    let sku = req.param("sku");
    let kind = req.param("type");
    if let Some(k) = kind.filter(|k| !["simple", "grouped", "external", "variable"].contains(k)) {
        return Err(bad_param(
            "type",
            &format!("type is not one of simple, grouped, external, variable ({k})."),
        ));
    }
    let status = req.param("status").unwrap_or("any");
    if !PRODUCT_STATUSES.contains(&status) {
        return Err(bad_param(
            "status",
            &format!("status is not one of {}.", PRODUCT_STATUSES.join(", ")),
        ));
    }
    let category: Option<u64> = req.param("category").and_then(|c| c.parse().ok());
    let store = lock(&st.store);
    let chosen: Vec<_> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| sku.is_none_or(|s| !render::is_variable(p) && p.variants[0].sku == s))
        .filter(|p| kind.is_none_or(|k| (k == "variable") == render::is_variable(p)))
        .filter(|p| category.is_none_or(|c| p.category_ids.contains(&c)))
        .filter(|p| status == "any" || render::product_status(p) == status)
        .collect();
    let items = chosen
        .iter()
        .map(|p| render::product(p, &store.categories, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|p| Keys {
            id: p.id,
            created: p.created_at.timestamp(),
            modified: p.updated_at.timestamp(),
            name: p.title.clone(),
            slug: p.handle.clone(),
            price: p.variants.iter().map(|v| v.price).min().unwrap_or_default(),
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &PRODUCTS, items, keys)
}

/// WordPress's role names (`role` of `/customers`; `all` lifts the filter).
const ROLES: &[&str] = &[
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
];

pub(super) fn customers(st: &St, req: &Req) -> R {
    let role = req.param("role").unwrap_or("customer");
    if !ROLES.contains(&role) {
        return Err(bad_param(
            "role",
            &format!("role is not one of {}.", ROLES.join(", ")),
        ));
    }
    let email = req.param("email");
    let store = lock(&st.store);
    // Every simulated customer has the role `customer`.
    let chosen: Vec<_> = store
        .customers
        .iter()
        .filter(|c| !c.deleted && email.is_none_or(|e| e.eq_ignore_ascii_case(&c.email)))
        .filter(|_| role == "all" || role == "customer")
        .collect();
    let items = chosen
        .iter()
        .map(|c| render::customer(c, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|c| Keys {
            id: c.id,
            created: c.created_at.timestamp(),
            modified: c.updated_at.timestamp(),
            name: format!("{} {}", c.first_name, c.last_name),
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &USERS, items, keys)
}

pub(super) fn categories(st: &St, req: &Req) -> R {
    let hide_empty = listing::bool_param(&req.listing(), "hide_empty")?;
    let product: Option<u64> = req.param("product").and_then(|p| p.parse().ok());
    let store = lock(&st.store);
    let chosen: Vec<_> = store
        .categories
        .iter()
        .map(|c| (c, count_in(&store, c.id)))
        .filter(|(_, n)| !hide_empty || *n > 0)
        .filter(|(c, _)| {
            product.is_none_or(|p| {
                store
                    .products
                    .iter()
                    .any(|x| x.id == p && x.category_ids.contains(&c.id))
            })
        })
        .collect();
    let items = chosen
        .iter()
        .map(|(c, n)| render::category(c, *n, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|(c, n)| Keys {
            id: c.id,
            name: c.name.clone(),
            slug: c.handle.clone(),
            parent: c.parent_id.unwrap_or(0),
            count: *n as u64,
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &TERMS, items, keys)
}

pub(super) const STATUSES: &[&str] = &[
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
];
