//! BigCommerce's listings declared for the kit's endpoint driver
//! ([`polycart_kit::endpoint`]), and the cursors older versions of this adapter wrote.
//!
//! Listings with a date modified (v2 orders, v3 products and customers) use the kit's
//! keyset ([`polycart_kit::paging::keyset`]): oldest change first, going on from the
//! last second seen, so a record changed while a pass pages moves ahead of the
//! position and shifts nothing it has not read. A second holding more than a page is
//! read on its own (`min_date_modified`/`max_date_modified`, `date_modified:min`/`:max`
//! both at it): orders by `min_id` with `sort=id:asc`, products by `id:greater` with
//! `sort=id` (the ids returned before left out with `id:not_in`), customers — whose
//! v3 listing has no id filter but `id:in` — by page windows in `date_created` order
//! that must hold the last customer returned (this assumes BigCommerce orders equal
//! creation dates alike on every request, as any page-numbered listing needs).
//! Categories and inventory have no dates and go by page number.

use polycart_kit::endpoint::{Call, Endpoint, PathTemplate};
use polycart_kit::envelope::Envelope;
use polycart_kit::paging::{
    Bound, DateFormat, KeyFields, Keyset, PageNumber, Paging, Position, Resume, TieBreak, Total,
    WindowBy,
};
use polycart_kit::{Cursor, Entity, ListQuery, Record, Result};
use serde::Deserialize;

use crate::client::MAX_PAGE;
use crate::consignments::ORDER_INCLUDE;
use polycart_kit::StoreContext;

const ACCEPT: &[(&str, &str)] = &[("accept", "application/json")];

const KEYS: KeyFields = KeyFields {
    id: "id",
    modified: "date_modified",
};

/// v3 `page`/`limit` with `meta.pagination.total_pages`.
const V3_PAGES: Paging = Paging::PageNumber(PageNumber {
    page: "page",
    size: "limit",
    total_pages: Some(Total::At("/meta/pagination/total_pages")),
});

/// The v3 listings' "modified at or after / at or before" (ISO 8601).
const V3_SINCE: Bound = Bound::Inclusive("date_modified:min");
const V3_UNTIL: Bound = Bound::Inclusive("date_modified:max");

/// `GET /v2/orders`: a bare array (`204` when nothing matches). Orders are completed
/// with their sub-resources before mapping, so the adapter fetches raw pages; `map`
/// maps a complete order.
pub(crate) const ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v2/orders"),
    call: Call::Get,
    params: &ORDER_INCLUDE,
    headers: ACCEPT,
    paging: Paging::Keyset(Keyset {
        since: Bound::Inclusive("min_date_modified"),
        until: Bound::Inclusive("max_date_modified"),
        format: DateFormat::Rfc2822,
        sort: &[("sort", "date_modified:asc")],
        limit: "limit",
        exclude: None,
        tie: TieBreak::IdAbove {
            param: "min_id",
            inclusive: true,
            sort: &[("sort", "id:asc")],
        },
        keys: KEYS,
    }),
    envelope: Envelope::Array,
    since: None,
    filters: Some(v2_created),
    max_page: MAX_PAGE,
    map: |raw, ctx| map(Entity::Order, raw.get(), ctx),
};

/// `created_since` on v2 (`min_date_created`, RFC 2822).
pub(crate) fn v2_created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            (
                "min_date_created",
                DateFormat::Rfc2822.format(t.timestamp()),
            )
        })
        .into_iter()
        .collect())
}

/// `created_since` on v3 (`date_created:min`).
pub(crate) fn v3_created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            (
                "date_created:min",
                DateFormat::Rfc3339.format(t.timestamp()),
            )
        })
        .into_iter()
        .collect())
}

/// `GET /v3/catalog/products?include=variants,images,options`.
pub(crate) const PRODUCTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v3/catalog/products"),
    call: Call::Get,
    params: &[("include", "variants,images,options")],
    headers: ACCEPT,
    paging: Paging::Keyset(Keyset {
        since: V3_SINCE,
        until: V3_UNTIL,
        format: DateFormat::Rfc3339,
        sort: &[("sort", "date_modified"), ("direction", "asc")],
        limit: "limit",
        exclude: Some("id:not_in"),
        tie: TieBreak::IdAbove {
            param: "id:greater",
            inclusive: false,
            sort: &[("sort", "id"), ("direction", "asc")],
        },
        keys: KEYS,
    }),
    envelope: Envelope::At("/data"),
    since: None,
    filters: Some(v3_created),
    max_page: MAX_PAGE,
    map: |raw, ctx| map(Entity::Product, raw.get(), ctx),
};

/// `GET /v3/customers?include=addresses`.
pub(crate) const CUSTOMERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v3/customers"),
    params: &[("include", "addresses")],
    paging: Paging::Keyset(Keyset {
        since: V3_SINCE,
        until: V3_UNTIL,
        format: DateFormat::Rfc3339,
        sort: &[("sort", "date_modified:asc")],
        limit: "limit",
        exclude: None,
        tie: TieBreak::Window {
            by: WindowBy::Page("page"),
            sort: &[("sort", "date_created:asc")],
        },
        keys: KEYS,
    }),
    map: |raw, ctx| map(Entity::Customer, raw.get(), ctx),
    ..PRODUCTS
};

/// `GET /v3/catalog/categories`, flat.
pub(crate) const CATEGORIES: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v3/catalog/categories"),
    params: &[],
    paging: V3_PAGES,
    filters: None,
    map: |raw, ctx| map(Entity::Category, raw.get(), ctx),
    ..PRODUCTS
};

/// `GET /v3/catalog/trees/categories` of the configured tree (`tree_id:in`, added by
/// the adapter).
pub(crate) const TREE_CATEGORIES: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v3/catalog/trees/categories"),
    ..CATEGORIES
};

/// `GET /v3/inventory/items`: one level per variant and location.
pub(crate) const INVENTORY: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("v3/inventory/items"),
    map: |raw, ctx| map(Entity::Inventory, raw.get(), ctx),
    ..CATEGORIES
};

/// One listed v3 item (or a complete v2 order) as unified records.
pub(crate) fn map(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Vec<Record>> {
    let mut records = crate::mapping::map_one(entity, text, ctx)?;
    if entity == Entity::Category {
        // A flat category list: children (tree nodes) would repeat categories.
        records.truncate(1);
    }
    Ok(records)
}

/// The cursor older versions wrote for every listing: a page number, and for the
/// listings by date the second they went on from and the ids returned in it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OldCursor {
    #[serde(default)]
    page: u32,
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    seen: Vec<String>,
}

/// Reads an older cursor of a listing by date: its second (a page number within it is
/// dropped: the second is read again, the ids returned left out), or a page of the
/// listing from `updated_since`.
fn older(c: &Cursor) -> Result<Resume> {
    let old: OldCursor = c.decode()?;
    Ok(match old.since {
        Some(second) => Resume::At(Some(Position::open(second, old.seen))),
        None if old.page > 1 => Resume::Page(old.page),
        None => Resume::At(None),
    })
}

/// The query a keyset listing goes on with, and the parameters an older page cursor
/// adds (its page, read once).
pub(crate) fn resume(query: &ListQuery) -> Result<(ListQuery, Vec<(&'static str, String)>)> {
    let (query, page) = Resume::read(query.cursor.as_ref(), older)?.query(query);
    Ok((
        query,
        page.map(|p| ("page", p.to_string())).into_iter().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resumed(cursor: &str) -> (Option<Position>, Vec<(&'static str, String)>) {
        let q = ListQuery::new(Entity::Order).with_cursor(Some(Cursor::new(cursor)));
        let (q, extra) = resume(&q).unwrap();
        (Position::read(q.cursor.as_ref()).unwrap(), extra)
    }

    #[test]
    fn older_cursors_go_on_without_skipping() {
        // Page 2 within second 17: that second again, the ids returned left out.
        assert_eq!(
            resumed(r#"{"page":2,"since":17,"seen":["3","4"]}"#),
            (
                Some(Position::open(17, vec!["3".into(), "4".into()])),
                vec![]
            )
        );
        // A page of the listing: that page once, then by keyset.
        assert_eq!(resumed(r#"{"page":5}"#), (None, vec![("page", "5".into())]));
        assert_eq!(resumed(r#"{"page":1}"#), (None, vec![]));
        let now = Position::open(9, vec!["1".into()]);
        assert_eq!(resumed(now.encode().as_str()), (Some(now), vec![]));
        let q = ListQuery::new(Entity::Order).with_cursor(Some(Cursor::new("junk")));
        assert!(resume(&q).is_err());
    }
}
