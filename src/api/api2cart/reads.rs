//! Read methods over the sync store: `*.list` (paging by `start`/`count` or
//! `page_cursor`, filters), `*.info`, `*.count`, product children (variants), order
//! statuses and shipments. Filtering and keyset paging are `/v1`'s
//! ([`crate::api::records`]); this module turns API2Cart's parameters into them and
//! the records into API2Cart's shapes.

use base64::Engine as _;
use polycart_kit::Entity;
use serde_json::{Value, json};

use super::Ctx;
use super::envelope::{A2cError, Reply, ReturnCode};
use super::map;
use super::select::EntityFields;
use crate::api::ids;
use crate::api::records::{Filters, count_matching, page_of_store};

/// The largest `count` API2Cart allows.
pub const MAX_COUNT: i64 = 250;
/// The largest `start` accepted: offset paging re-reads the records before it, so
/// deep pages should use `page_cursor`.
pub const MAX_START: i64 = 100_000;

/// An entity as API2Cart names and shapes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Order,
    Product,
    Customer,
    Category,
}

impl Kind {
    pub fn entity(self) -> Entity {
        match self {
            Kind::Order => Entity::Order,
            Kind::Product => Entity::Product,
            Kind::Customer => Entity::Customer,
            Kind::Category => Entity::Category,
        }
    }

    /// The key of a listing's items (`result.order`).
    /// API2Cart's name of the entity (`order`, `product`, ...).
    pub(crate) fn name(self) -> &'static str {
        self.list_key()
    }

    fn list_key(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Product => "product",
            Kind::Customer => "customer",
            Kind::Category => "category",
        }
    }

    /// The key of a count (`result.orders_count`).
    fn count_key(self) -> &'static str {
        match self {
            Kind::Order => "orders_count",
            Kind::Product => "products_count",
            Kind::Customer => "customers_count",
            Kind::Category => "categories_count",
        }
    }

    pub(crate) fn map(self, doc: &Value) -> Value {
        match self {
            Kind::Order => map::order::map(doc),
            Kind::Product => map::product::map(doc),
            Kind::Customer => map::customer::map(doc),
            Kind::Category => map::category::map(doc),
        }
    }

    fn default_params(self) -> &'static str {
        match self {
            Kind::Order => map::order::DEFAULT_PARAMS,
            Kind::Product => map::product::DEFAULT_PARAMS,
            Kind::Customer => map::customer::DEFAULT_PARAMS,
            Kind::Category => map::category::DEFAULT_PARAMS,
        }
    }

    pub(crate) fn aliases(self) -> fn(&str) -> &'static [&'static str] {
        match self {
            Kind::Order => map::order::aliases,
            Kind::Product => map::product::aliases,
            Kind::Customer => map::customer::aliases,
            Kind::Category => map::category::aliases,
        }
    }

    /// `find_where` fields (API2Cart's name → the unified document's), the first
    /// being the default.
    fn searchable(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Order => &[("order_id", "number")],
            Kind::Product => &[("name", "name"), ("sku", "sku"), ("model", "sku")],
            Kind::Customer => &[
                ("email", "email"),
                ("first_name", "first_name"),
                ("last_name", "last_name"),
                ("phone", "phone"),
            ],
            Kind::Category => &[("name", "name")],
        }
    }
}

/// Which fields to return, from `params` and `exclude` (a `response_fields` tree is
/// applied to the whole answer later, over every field).
fn fields(
    ctx: &Ctx<'_>,
    default: &str,
    aliases: fn(&str) -> &'static [&'static str],
) -> (EntityFields, Vec<String>) {
    let params = if ctx.params.str("response_fields").is_some() {
        Some("force_all".to_owned())
    } else {
        ctx.params.str("params")
    };
    let fields = EntityFields::from_params(params.as_deref(), default, aliases);
    (fields, ctx.params.list("exclude").unwrap_or_default())
}

fn no_aliases(_: &str) -> &'static [&'static str] {
    &[]
}

/// The listing filters of API2Cart's parameters.
fn filters(ctx: &Ctx<'_>, kind: Kind) -> Result<Filters, A2cError> {
    use polycart_kit::model::{FinancialStatus, OrderStatus};
    let p = ctx.params;
    let store_id = &ctx.store()?.id;
    let mut f = Filters {
        created_since: p.date("created_from")?,
        created_until: p.date("created_to")?,
        updated_since: p.date("modified_from")?,
        updated_until: p.date("modified_to")?,
        ..Filters::default()
    };
    let ids_param = match kind {
        Kind::Order => p.list("order_ids").or_else(|| p.list("ids")),
        Kind::Product => p.list("product_ids").or_else(|| p.list("ids")),
        _ => p.list("ids"),
    };
    if let Some(list) = ids_param {
        if list.len() > MAX_COUNT as usize {
            return Err(A2cError::invalid(format!(
                "ids names more than {MAX_COUNT} ids"
            )));
        }
        f.ids = Some(
            list.iter()
                .map(|i| ids::platform_id(store_id, i))
                .collect::<Result<_, _>>()?,
        );
    }
    if kind == Kind::Order {
        if let Some(s) = p.str("order_status") {
            let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            if !known.contains(&s.as_str()) {
                return Err(A2cError::invalid(format!(
                    "unknown order_status {:?}; order.status.list names them: {}",
                    polycart_kit::error::excerpt(&s, 40),
                    known.join(", ")
                )));
            }
            f.status = Some(s);
        }
        if let Some(s) = p.str("financial_status") {
            let known: Vec<&str> = FinancialStatus::ALL.iter().map(|s| s.as_str()).collect();
            if !known.contains(&s.as_str()) {
                return Err(A2cError::invalid(format!(
                    "unknown financial_status {:?}; valid: {}",
                    polycart_kit::error::excerpt(&s, 40),
                    known.join(", ")
                )));
            }
            f.financial_status = Some(s);
        }
        f.email = p.str("customer_email").map(|e| e.to_lowercase());
    }
    if kind == Kind::Product {
        f.sku = p.str("sku");
    }
    if let Some(value) = p.str("find_value") {
        let searchable = kind.searchable();
        let field = match p.str("find_where") {
            None => searchable[0].1,
            Some(w) => searchable
                .iter()
                .find(|(name, _)| *name == w)
                .map(|(_, field)| *field)
                .ok_or_else(|| {
                    A2cError::invalid(format!(
                        "find_where must be one of {}",
                        searchable
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        };
        f.contains = Some((field.to_owned(), value));
    }
    Ok(f)
}

/// `page_cursor`: where the previous page ended (opaque to clients).
fn encode_cursor(after: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({ "a": after }).to_string())
}

fn decode_cursor(text: &str) -> Result<String, A2cError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("a").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| A2cError::invalid("invalid page_cursor"))
}

/// The record id after which the page starts: the cursor's, or the `start`-th match.
async fn page_start(
    ctx: &Ctx<'_>,
    entity: Entity,
    filters: &Filters,
) -> Result<Option<String>, A2cError> {
    if let Some(cursor) = ctx.params.str("page_cursor") {
        return decode_cursor(&cursor).map(Some);
    }
    let mut start = ctx.params.int("start", 0, MAX_START, 0)? as usize;
    let store_id = &ctx.store()?.id;
    let mut after = None;
    while start > 0 {
        let (rows, next) = page_of_store(
            ctx.state,
            store_id,
            entity,
            after.clone(),
            start.min(1000),
            filters,
        )
        .await?;
        start -= rows.len();
        if let Some(last) = rows.last() {
            after = Some(last.platform_id.clone());
        }
        // Past the end, the page starts after the last match: it is empty.
        if next.is_none() {
            break;
        }
    }
    Ok(after)
}

fn parse_doc(text: &str) -> Result<Value, A2cError> {
    serde_json::from_str(text).map_err(|e| {
        A2cError::from(crate::api::error::ApiError::Internal(format!(
            "stored document: {e}"
        )))
    })
}

/// `order.list`, `product.list`, `customer.list`, `category.list`.
pub async fn list(ctx: &Ctx<'_>, kind: Kind) -> Result<Reply, A2cError> {
    let entity = kind.entity();
    let count = ctx.params.int("count", 1, MAX_COUNT, 10)? as usize;
    let filters = filters(ctx, kind)?;
    let after = page_start(ctx, entity, &filters).await?;
    let store_id = &ctx.store()?.id;
    let (rows, next) = page_of_store(ctx.state, store_id, entity, after, count, &filters).await?;
    let total = count_matching(ctx.state, store_id, entity, &filters).await?;
    let (fields, exclude) = fields(ctx, kind.default_params(), kind.aliases());
    let items = rows
        .iter()
        .map(|r| Ok(fields.apply(kind.map(&parse_doc(&r.document)?), &exclude)))
        .collect::<Result<Vec<_>, A2cError>>()?;
    let mut result = serde_json::Map::new();
    result.insert(kind.count_key().into(), json!(total));
    result.insert(kind.list_key().into(), Value::Array(items));
    Ok(Reply {
        result: Value::Object(result),
        pagination: Some(json!({
            "previous": "",
            "next": next.as_deref().map(encode_cursor).unwrap_or_default(),
        })),
    })
}

/// `order.count`, `product.count`, `customer.count`, `category.count`.
pub async fn count(ctx: &Ctx<'_>, kind: Kind) -> Result<Reply, A2cError> {
    let filters = filters(ctx, kind)?;
    let n = count_matching(ctx.state, &ctx.store()?.id, kind.entity(), &filters).await?;
    Ok(Reply::result(json!({ kind.count_key(): n })))
}

/// The stored document of one record, or 112.
async fn record(ctx: &Ctx<'_>, entity: Entity, id: &str) -> Result<Value, A2cError> {
    let store_id = &ctx.store()?.id;
    let platform_id = ids::platform_id(store_id, id)?;
    match ctx
        .state
        .store
        .get_record(store_id, entity, &platform_id)
        .await
        .map_err(crate::api::error::ApiError::from)?
    {
        Some(r) if !r.deleted => parse_doc(&r.document),
        _ => Err(A2cError::new(
            ReturnCode::ItemNotFound,
            format!(
                "{} {} not found",
                entity.as_str(),
                polycart_kit::error::excerpt(&platform_id, 60)
            ),
        )),
    }
}

/// `order.info`, `product.info`, `customer.info`, `category.info`.
pub async fn info(ctx: &Ctx<'_>, kind: Kind) -> Result<Reply, A2cError> {
    let doc = match (ctx.params.str("id"), kind) {
        (Some(id), _) => record(ctx, kind.entity(), &id).await?,
        (None, Kind::Order) => {
            let number = ctx.params.required("order_id")?;
            order_by_number(ctx, &number).await?
        }
        (None, _) => {
            return Err(A2cError::new(
                ReturnCode::RequiredParameter,
                "required parameter id is not specified",
            ));
        }
    };
    let (fields, exclude) = fields(ctx, kind.default_params(), kind.aliases());
    Ok(Reply::result(fields.apply(kind.map(&doc), &exclude)))
}

/// The order whose number (API2Cart's `order_id`) or platform id is `number`.
async fn order_by_number(ctx: &Ctx<'_>, number: &str) -> Result<Value, A2cError> {
    if let Ok(doc) = record(ctx, Entity::Order, number).await {
        return Ok(doc);
    }
    let filters = Filters {
        contains: Some(("number".into(), number.to_owned())),
        ..Filters::default()
    };
    let (rows, _) = page_of_store(
        ctx.state,
        &ctx.store()?.id,
        Entity::Order,
        None,
        50,
        &filters,
    )
    .await?;
    for r in rows {
        let doc = parse_doc(&r.document)?;
        if map::text(&doc, "number").as_deref() == Some(number) {
            return Ok(doc);
        }
    }
    Err(A2cError::new(ReturnCode::ItemNotFound, "order not found"))
}

/// `product.child_item.list`: the variants of the selected products, offset-paged.
pub async fn child_list(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let count = p.int("count", 1, MAX_COUNT, 10)? as usize;
    let start = match p.str("page_cursor") {
        Some(c) => decode_cursor(&c)?
            .parse::<usize>()
            .map_err(|_| A2cError::invalid("invalid page_cursor"))?,
        None => p.int("start", 0, MAX_START, 0)? as usize,
    };
    let store_id = &ctx.store()?.id;
    let mut product_filters = Filters {
        created_since: p.date("created_from")?,
        created_until: p.date("created_to")?,
        updated_since: p.date("modified_from")?,
        updated_until: p.date("modified_to")?,
        sku: p.str("sku"),
        ..Filters::default()
    };
    let products = p
        .list("product_ids")
        .or_else(|| p.str("product_id").map(|i| vec![i]));
    if let Some(list) = products {
        product_filters.ids = Some(
            list.iter()
                .map(|i| ids::platform_id(store_id, i))
                .collect::<Result<_, _>>()?,
        );
    }
    let sku = p.str("sku");
    let (fields, exclude) = fields(ctx, map::product::CHILD_DEFAULT_PARAMS, no_aliases);
    let mut seen = 0usize;
    let mut page = Vec::new();
    let mut after = None;
    loop {
        let (rows, next) = page_of_store(
            ctx.state,
            store_id,
            Entity::Product,
            after,
            500,
            &product_filters,
        )
        .await?;
        for r in &rows {
            let doc = parse_doc(&r.document)?;
            for child in map::product::children(&doc) {
                if sku
                    .as_ref()
                    .is_some_and(|s| map::text(&child, "sku").as_ref() != Some(s))
                {
                    continue;
                }
                if seen >= start && page.len() < count {
                    page.push(fields.apply(child, &exclude));
                }
                seen += 1;
            }
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let next =
        (start + page.len() < seen).then(|| encode_cursor(&(start + page.len()).to_string()));
    Ok(Reply {
        result: json!({ "total_count": seen, "children": page }),
        pagination: Some(json!({ "previous": "", "next": next.unwrap_or_default() })),
    })
}

/// `product.child_item.info`: one variant, by `id` (and `product_id`).
pub async fn child_info(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let id = ctx.params.required("id")?;
    let product_id = ctx.params.required("product_id")?;
    let doc = record(ctx, Entity::Product, &product_id).await?;
    let store_id = &ctx.store()?.id;
    let id = ids::platform_id(store_id, &id)?;
    let child = map::product::children(&doc)
        .into_iter()
        .find(|c| map::text(c, "id").as_deref() == Some(id.as_str()))
        .ok_or_else(|| A2cError::new(ReturnCode::ItemNotFound, "child item not found"))?;
    let (fields, exclude) = fields(ctx, map::product::CHILD_DEFAULT_PARAMS, no_aliases);
    Ok(Reply::result(fields.apply(child, &exclude)))
}

/// `order.status.list`: the statuses `order_status` and `order.update` take.
pub fn order_statuses() -> Reply {
    Reply::result(json!({ "cart_order_statuses": map::order::statuses() }))
}

/// `order.shipment.list`: one order's shipments.
pub async fn shipment_list(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let order_id = ctx.params.required("order_id")?;
    let count = ctx.params.int("count", 1, MAX_COUNT, 10)? as usize;
    let start = ctx.params.int("start", 0, MAX_START, 0)? as usize;
    let doc = record(ctx, Entity::Order, &order_id).await?;
    let all = map::order::shipments(&doc);
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(start).take(count).collect();
    Ok(Reply {
        result: json!({ "shipment_count": total, "shipment": page }),
        pagination: Some(json!({ "previous": "", "next": "" })),
    })
}
