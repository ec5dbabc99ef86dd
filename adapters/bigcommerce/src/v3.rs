//! v3 listings and reads: catalog products (`include=variants,images,options`),
//! customers (`include=addresses`), categories (or one category tree's) and inventory
//! items (one level per variant and location), with `meta.pagination`. Listings are
//! the kit endpoints of [`crate::paging`]: products and customers read oldest change
//! first by keyset, categories and inventory (no dates) by page.

use chrono::{DateTime, SecondsFormat, Utc};
use polycart_kit::endpoint::Target;
use polycart_kit::{ApiPath, Entity, Error, ListQuery, Page, Record, Result};
use serde_json::Value;

use crate::adapter::BigCommerceAdapter;
use crate::client::path_id;
use crate::paging::{self, CATEGORIES, CUSTOMERS, INVENTORY, PRODUCTS, TREE_CATEGORIES};
use polycart_kit::StoreContext;

const V3_PRODUCT_INCLUDE: &str = "variants,images,options";

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Listings that can be read from a date modified on.
fn by_date(entity: Entity) -> bool {
    matches!(entity, Entity::Product | Entity::Customer)
}

/// Query filters naming one inventory level: `variant:location` or `product-P:location`.
pub(crate) fn inventory_filter(id: &str) -> Result<Vec<(&'static str, String)>> {
    let (item, location) = id.split_once(':').ok_or_else(|| {
        Error::invalid(format!(
            "{id:?} is not an inventory level id (variant:location)"
        ))
    })?;
    let location = path_id(location)?.to_owned();
    Ok(match item.strip_prefix("product-") {
        Some(p) => vec![
            ("product_id:in", path_id(p)?.to_owned()),
            ("location_id:in", location),
        ],
        None => vec![
            ("variant_id:in", path_id(item)?.to_owned()),
            ("location_id:in", location),
        ],
    })
}

impl BigCommerceAdapter {
    /// The query parameters of a v3 listing modified at or after `since`.
    fn v3_params(
        &self,
        entity: Entity,
        query: &ListQuery,
        since: Option<DateTime<Utc>>,
    ) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        match entity {
            Entity::Product => {
                params.push(("include", V3_PRODUCT_INCLUDE.to_owned()));
                params.push(("sort", "date_modified".to_owned()));
                params.push(("direction", "asc".to_owned()));
            }
            Entity::Customer => {
                params.push(("include", "addresses".to_owned()));
                params.push(("sort", "date_modified:asc".to_owned()));
            }
            Entity::Category => {
                if let Some(tree) = self.config().category_tree {
                    params.push(("tree_id:in", tree.to_string()));
                }
            }
            Entity::Inventory | Entity::Order => {}
        }
        if by_date(entity) {
            if let Some(since) = since {
                params.push(("date_modified:min", iso(since)));
            }
            if let Some(created) = query.created_since {
                params.push(("date_created:min", iso(created)));
            }
        }
        params
    }

    fn v3_path(&self, entity: Entity) -> ApiPath {
        ApiPath::new(match entity {
            Entity::Product => "/v3/catalog/products",
            Entity::Customer => "/v3/customers",
            Entity::Category if self.config().category_tree.is_some() => {
                "/v3/catalog/trees/categories"
            }
            Entity::Category => "/v3/catalog/categories",
            Entity::Inventory => "/v3/inventory/items",
            Entity::Order => "/v2/orders",
        })
    }

    pub(crate) async fn map_v3(&self, entity: Entity, items: &[Value]) -> Result<Vec<Record>> {
        let ctx = match entity {
            Entity::Product => self.map_context().await?.clone(),
            _ => StoreContext::default(),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mapped = paging::map(entity, &item.to_string(), &ctx)
                .map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
            out.extend(mapped.into_iter().map(|r| self.finish(r)));
        }
        Ok(out)
    }

    pub(crate) async fn list_v3(&self, entity: Entity, query: &ListQuery) -> Result<Page> {
        let (endpoint, mut extra) = match entity {
            Entity::Product => (&PRODUCTS, Vec::new()),
            Entity::Customer => (&CUSTOMERS, Vec::new()),
            Entity::Category => match self.config().category_tree {
                Some(tree) => (&TREE_CATEGORIES, vec![("tree_id:in", tree.to_string())]),
                None => (&CATEGORIES, Vec::new()),
            },
            Entity::Inventory => (&INVENTORY, Vec::new()),
            Entity::Order => return self.list_orders(query).await,
        };
        let query = if by_date(entity) {
            let (query, page) = paging::resume(query)?;
            extra.extend(page);
            query
        } else {
            query.clone()
        };
        let ctx = match entity {
            Entity::Product => self.map_context().await?.clone(),
            _ => StoreContext::default(),
        };
        let root = self.root()?;
        let page = endpoint
            .list(Target::new(self.transport(), &root), &query, &extra, &ctx)
            .await?;
        Ok(Page {
            records: page.records.into_iter().map(|r| self.finish(r)).collect(),
            next: page.next,
        })
    }

    pub(crate) async fn v3_total(&self, entity: Entity, query: &ListQuery) -> Result<u64> {
        let mut params = self.v3_params(entity, query, query.updated_since);
        params.extend([("page", "1".to_owned()), ("limit", "1".to_owned())]);
        let list = self.v3_list(&self.v3_path(entity), &params).await?;
        Ok(list
            .meta
            .pagination
            .map_or(list.data.len() as u64, |p| p.total))
    }

    pub(crate) async fn get_v3(&self, entity: Entity, id: &str) -> Result<Record> {
        let (path, params): (ApiPath, Vec<(&str, String)>) = match entity {
            Entity::Product => (
                ApiPath::new("v3/catalog/products").num(id)?,
                vec![("include", V3_PRODUCT_INCLUDE.to_owned())],
            ),
            Entity::Category => match self.config().category_tree {
                Some(tree) => (
                    ApiPath::new("v3/catalog/trees/categories"),
                    vec![
                        ("category_id:in", path_id(id)?.to_owned()),
                        ("tree_id:in", tree.to_string()),
                    ],
                ),
                None => (ApiPath::new("v3/catalog/categories").num(id)?, Vec::new()),
            },
            Entity::Customer => (
                ApiPath::new("v3/customers"),
                vec![
                    ("id:in", path_id(id)?.to_owned()),
                    ("include", "addresses".to_owned()),
                ],
            ),
            Entity::Inventory => (ApiPath::new("v3/inventory/items"), inventory_filter(id)?),
            Entity::Order => return self.get_order(id).await,
        };
        let r = self.get(&path, &params).await?;
        let text = r.text()?;
        let items = crate::mapping::split_data(text)?
            .0
            .iter()
            .map(|i| serde_json::from_str::<Value>(i.get()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::decode("$.data", e.to_string()))?;
        let records = self.map_v3(entity, &items).await?;
        records
            .into_iter()
            .find(|r| r.platform_id() == id)
            .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
    }
}
