//! WooCommerce's collection listing, per kind of collection as its controllers declare
//! it: post types (orders, products, variations, refunds, webhooks) take `after`/
//! `before`/`modified_after`/`modified_before` with `dates_are_gmt` and order by date
//! desc unless told; customers (WordPress users) and product categories (terms) have
//! no date filters and order by name asc. All take `page`/`per_page` (1..=100, 400
//! outside)/`offset`, `include`/`exclude`, and answer with `X-WP-Total`,
//! `X-WP-TotalPages` and a `Link` header (credentials and OAuth parameters left out of
//! it, unlike WooCommerce, which echoes the whole query).

use axum::response::Response;
use chrono::{DateTime, NaiveDateTime};
use http::HeaderValue;
use rust_decimal::Decimal;
use serde_json::Value;

use super::render::SITE_OFFSET_HOURS;
use super::routes::{bad_param, json_response};

/// A collection's parameter schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Collection {
    /// The `orderby` enum.
    pub orderby: &'static [&'static str],
    pub default_orderby: &'static str,
    pub default_desc: bool,
    /// Post types filter by creation and modification dates; users and terms do not
    /// (WordPress ignores parameters a route does not declare).
    pub dates: bool,
    /// `parent` is a list of ids (posts) or one id (terms).
    pub parent: bool,
}

/// `WC_REST_CRUD_Controller` collections (orders, refunds, variations, webhooks).
pub(crate) const POSTS: Collection = Collection {
    orderby: &["date", "id", "include", "title", "slug", "modified"],
    default_orderby: "date",
    default_desc: true,
    dates: true,
    parent: true,
};

/// `/products`: the CRUD collection plus the catalogue orderings.
pub(crate) const PRODUCTS: Collection = Collection {
    orderby: &[
        "date",
        "id",
        "include",
        "title",
        "slug",
        "modified",
        "price",
        "popularity",
        "rating",
        "menu_order",
    ],
    ..POSTS
};

/// `/customers` (a `WP_User_Query`).
pub(crate) const USERS: Collection = Collection {
    orderby: &["id", "include", "name", "registered_date"],
    default_orderby: "name",
    default_desc: false,
    dates: false,
    parent: false,
};

/// `/products/categories` (a term query).
pub(crate) const TERMS: Collection = Collection {
    orderby: &[
        "id",
        "include",
        "name",
        "slug",
        "term_group",
        "description",
        "count",
    ],
    default_orderby: "name",
    default_desc: false,
    dates: false,
    parent: true,
};

/// What a listing filters and sorts a record on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    pub id: u64,
    pub created: i64,
    pub modified: i64,
    /// Title, display name or term name.
    pub name: String,
    pub slug: String,
    pub parent: u64,
    pub price: Decimal,
    pub count: u64,
}

/// The request as a listing reads it.
pub(crate) struct ListRequest<'a> {
    /// Decoded query parameters (the last duplicate wins, as in PHP).
    pub query: &'a [(String, String)],
    /// The site URL and request path the `Link` header is built from.
    pub site: &'a str,
    pub path: &'a str,
}

/// A decoded query parameter; the last duplicate wins, as in PHP's `$_GET`.
pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl ListRequest<'_> {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        param(self.query, name)
    }
}

/// WordPress's boolean parameters: `true`/`false`/`1`/`0`, 400 otherwise.
pub(crate) fn bool_param(req: &ListRequest<'_>, name: &str) -> Result<bool, Response> {
    match req.param(name).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(bad_param(name, &format!("{name} is not of type boolean."))),
    }
}

/// WordPress's `rest_parse_date`: ISO 8601 with or without an offset; without one the
/// date is site-local unless `dates_are_gmt` is true.
fn parse_date(req: &ListRequest<'_>, name: &str) -> Result<Option<i64>, Response> {
    let Some(text) = req.param(name) else {
        return Ok(None);
    };
    let gmt = bool_param(req, "dates_are_gmt")?;
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(d.timestamp()));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(text, fmt) {
            let ts = n.and_utc().timestamp();
            return Ok(Some(if gmt {
                ts
            } else {
                ts - SITE_OFFSET_HOURS * 3600
            }));
        }
    }
    Err(bad_param(name, "Invalid date."))
}

fn int_param(
    req: &ListRequest<'_>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, Response> {
    match req.param(name) {
        None => Ok(default),
        Some(t) => match t.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad_param(
                name,
                &format!("{name} must be between {min} (inclusive) and {max} (inclusive)"),
            )),
        },
    }
}

/// `wp_parse_id_list`: comma-separated (or repeated `x[]`) ids; junk is dropped.
fn id_list(req: &ListRequest<'_>, name: &str) -> Vec<u64> {
    let bracket = format!("{name}[]");
    req.query
        .iter()
        .filter(|(k, _)| *k == name || *k == bracket)
        .flat_map(|(_, v)| v.split([',', ' ']))
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Filters, sorts and pages `items` (with their `keys`), answering as WooCommerce does.
pub(crate) fn list(
    req: &ListRequest<'_>,
    spec: &Collection,
    items: Vec<Value>,
    keys: Vec<Keys>,
) -> Result<Response, Response> {
    let per_page = int_param(req, "per_page", 10, 1, 100)?;
    let page = int_param(req, "page", 1, 1, i64::MAX)?;
    let offset = match req.param("offset") {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| bad_param("offset", "offset is not of type integer."))?,
        ),
    };
    let orderby = req.param("orderby").unwrap_or(spec.default_orderby);
    if !spec.orderby.contains(&orderby) {
        return Err(bad_param(
            "orderby",
            &format!("orderby is not one of {}.", spec.orderby.join(", ")),
        ));
    }
    let desc = match req.param("order") {
        None => spec.default_desc,
        Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(bad_param("order", "order is not one of asc, desc.")),
    };
    let (mut after, mut before, mut modified_after, mut modified_before) = (None, None, None, None);
    if spec.dates {
        bool_param(req, "dates_are_gmt")?;
        after = parse_date(req, "after")?;
        before = parse_date(req, "before")?;
        modified_after = parse_date(req, "modified_after")?;
        modified_before = parse_date(req, "modified_before")?;
    }
    let include = id_list(req, "include");
    let exclude = id_list(req, "exclude");
    let parents = if spec.parent {
        id_list(req, "parent")
    } else {
        Vec::new()
    };
    let has_parent = req.param("parent").is_some() || req.param("parent[]").is_some();
    let mut rows: Vec<(Keys, Value)> = keys
        .into_iter()
        .zip(items)
        .filter(|(k, _)| {
            after.is_none_or(|a| k.created > a) && before.is_none_or(|b| k.created < b)
        })
        .filter(|(k, _)| {
            modified_after.is_none_or(|a| k.modified > a)
                && modified_before.is_none_or(|b| k.modified < b)
        })
        .filter(|(k, _)| include.is_empty() || include.contains(&k.id))
        .filter(|(k, _)| !exclude.contains(&k.id))
        .filter(|(k, _)| !spec.parent || !has_parent || parents.contains(&k.parent))
        .collect();
    let position = |id: u64| include.iter().position(|i| *i == id);
    rows.sort_by(|(a, _), (b, _)| {
        let ord = match orderby {
            "modified" => a.modified.cmp(&b.modified),
            "date" | "registered_date" => a.created.cmp(&b.created),
            "include" => position(a.id).cmp(&position(b.id)),
            "title" | "name" => a.name.cmp(&b.name),
            "slug" => a.slug.cmp(&b.slug),
            "price" => a.price.cmp(&b.price),
            "count" => a.count.cmp(&b.count),
            // Every simulated record ties on popularity, rating, menu order, term group
            // and description: WordPress then falls back to the id.
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if desc { ord.reverse() } else { ord }
    });
    let total = rows.len() as i64;
    let pages = (total + per_page - 1) / per_page;
    let start = offset.unwrap_or((page - 1).saturating_mul(per_page)).max(0);
    let body: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .map(|(_, v)| v)
        .collect();
    let mut response = json_response(http::StatusCode::OK, &Value::Array(body));
    let h = response.headers_mut();
    h.insert("x-wp-total", HeaderValue::from(total));
    h.insert("x-wp-totalpages", HeaderValue::from(pages));
    if let Ok(v) = HeaderValue::from_str(&link_header(req, page, pages)) {
        if !v.is_empty() {
            h.insert(http::header::LINK, v);
        }
    }
    Ok(response)
}

/// `rel="prev"` (capped at the last page, as WooCommerce does) and `rel="next"`.
fn link_header(req: &ListRequest<'_>, page: i64, pages: i64) -> String {
    let link_to = |n: i64| {
        let mut q: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| {
                k != "page"
                    && !k.starts_with("oauth_")
                    && k != "consumer_key"
                    && k != "consumer_secret"
            })
            .cloned()
            .collect();
        q.push(("page".into(), n.to_string()));
        let qs = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        format!("{}{}?{qs}", req.site, req.path)
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            link_to((page - 1).min(pages))
        ));
    }
    if page < pages {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
    }
    links.join(", ")
}
