//! The REST Admin API read path: `Link` header `page_info` paging, incremental reads by
//! `updated_at_min`, single records, counts' helpers, inventory levels enriched with
//! their variant, and `shop.json` (the shop's currency and primary location).

use std::collections::HashMap;

use http::HeaderMap;
use polycart_kit::adapter::{Cursor, ListQuery, Page};
use polycart_kit::model::{Currency, Entity, InventoryLevel, Record};
use polycart_kit::paging::link::link_target;
use polycart_kit::transport::Request;
use polycart_kit::{ApiPath, Error, Result, StoreContext};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::adapter::{ShopInfo, ShopifyAdapter};
use crate::client::MAX_PAGE;
use crate::ids;
use crate::mapping::{self, map_one};

/// What the cursor of a listing holds: the next `page_info`, and for collections
/// which of the two REST resources it is in.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RestCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_info: Option<String>,
    /// `custom_collections` or `smart_collections`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
}

/// Where an inventory item belongs in the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct ItemInfo {
    pub(crate) product_id: String,
    pub(crate) variant_id: String,
    pub(crate) sku: Option<String>,
}

impl ShopifyAdapter {
    /// `shop.json`, once: the shop's currency and primary location.
    pub(crate) async fn shop(&self) -> Result<&ShopInfo> {
        self.shop
            .get_or_try_init(|| async {
                #[derive(Deserialize)]
                struct Shop {
                    currency: Option<String>,
                    primary_location_id: Option<polycart_kit::decode::Id>,
                }
                #[derive(Deserialize)]
                struct Envelope {
                    shop: Shop,
                }
                if self.graphql.is_some() {
                    let data = self
                        .gql(
                            "{ shop { currencyCode } locations(first: 1) { nodes { id } } }",
                            json!({}),
                            5,
                        )
                        .await?;
                    let currency = match data["shop"]["currencyCode"].as_str() {
                        Some(c) => Some(Currency::parse(c).map_err(|e| {
                            Error::decode("$.data.shop.currencyCode", e.to_string())
                        })?),
                        None => None,
                    };
                    let location = data["locations"]["nodes"][0]["id"]
                        .as_str()
                        .map(mapping::legacy_id);
                    return Ok(ShopInfo {
                        context: StoreContext {
                            currency,
                            ..Default::default()
                        },
                        primary_location_id: location,
                    });
                }
                let response = self
                    .send(self.get_request(&ApiPath::new("shop.json")))
                    .await?;
                let envelope: Envelope = response.json()?;
                let currency = match envelope.shop.currency.as_deref() {
                    Some(c) => Some(
                        Currency::parse(c)
                            .map_err(|e| Error::decode("$.shop.currency", e.to_string()))?,
                    ),
                    None => None,
                };
                Ok(ShopInfo {
                    context: StoreContext {
                        currency,
                        ..Default::default()
                    },
                    primary_location_id: envelope.shop.primary_location_id.map(|i| i.0),
                })
            })
            .await
    }

    /// Rebuilds the inventory item → variant map from the catalogue.
    pub(crate) async fn refresh_items(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct V {
            id: polycart_kit::decode::Id,
            sku: Option<String>,
            inventory_item_id: Option<polycart_kit::decode::Id>,
        }
        #[derive(Deserialize)]
        struct P {
            id: polycart_kit::decode::Id,
            #[serde(default)]
            variants: Vec<V>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            products: Vec<P>,
        }
        let mut map = HashMap::new();
        let mut page_info: Option<String> = None;
        loop {
            let mut request = self
                .get_request(&ApiPath::new("products.json"))
                .query([("limit", "250"), ("fields", "id,variants")]);
            if let Some(p) = &page_info {
                request = request.query([("page_info", p.as_str())]);
            }
            let response = self.send(request).await?;
            let envelope: Envelope = response.json()?;
            for p in envelope.products {
                for v in p.variants {
                    if let Some(item) = v.inventory_item_id {
                        map.insert(
                            item.0,
                            ItemInfo {
                                product_id: p.id.0.clone(),
                                variant_id: v.id.0,
                                sku: v.sku.filter(|s| !s.is_empty()),
                            },
                        );
                    }
                }
            }
            page_info = next_page_info(&response.headers);
            if page_info.is_none() {
                break;
            }
        }
        *self.items.lock().await = map;
        Ok(())
    }

    /// Fills variant, product and SKU of inventory levels from the catalogue.
    pub(crate) async fn enrich(&self, levels: &mut [InventoryLevel]) -> Result<()> {
        let item_of = |l: &InventoryLevel| {
            l.platform_id
                .split(':')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let missing = {
            let items = self.items.lock().await;
            levels.iter().any(|l| !items.contains_key(&item_of(l)))
        };
        if missing {
            self.refresh_items().await?;
        }
        let items = self.items.lock().await;
        for l in levels {
            if let Some(info) = items.get(&item_of(l)) {
                l.product_id = Some(info.product_id.clone());
                l.variant_id = Some(info.variant_id.clone());
                l.sku = info.sku.clone();
            }
        }
        Ok(())
    }

    /// The inventory item of a variant (by id or SKU).
    pub(crate) async fn inventory_item_of(
        &self,
        variant_id: Option<&str>,
        sku: Option<&str>,
    ) -> Result<String> {
        for attempt in 0..2 {
            if attempt == 1 || self.items.lock().await.is_empty() {
                self.refresh_items().await?;
            }
            let items = self.items.lock().await;
            let found = items.iter().find(|(_, info)| {
                variant_id.is_some_and(|v| info.variant_id == v)
                    || (variant_id.is_none() && sku.is_some() && info.sku.as_deref() == sku)
            });
            if let Some((item, _)) = found {
                return Ok(item.clone());
            }
        }
        Err(Error::not_found(format!(
            "variant {}",
            variant_id.or(sku).unwrap_or("?")
        )))
    }

    pub(crate) async fn map_records(
        &self,
        entity: Entity,
        items: &[&RawValue],
    ) -> Result<Vec<Record>> {
        let ctx = if entity == Entity::Product {
            self.shop().await?.context.clone()
        } else {
            StoreContext::default()
        };
        let mut records = Vec::with_capacity(items.len());
        let mut levels = Vec::new();
        for (i, raw) in items.iter().enumerate() {
            let record = map_one(entity, raw, &ctx)
                .map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
            match record {
                Record::Inventory(l) => levels.push(*l),
                mut other => {
                    other.assign_store(self.transport.store_id());
                    records.push(other);
                }
            }
        }
        if !levels.is_empty() {
            self.enrich(&mut levels).await?;
            for l in levels {
                let mut r = Record::from(l);
                r.assign_store(self.transport.store_id());
                records.push(r);
            }
        }
        Ok(records)
    }

    /// The REST filters of a query (not used with a page_info).
    pub(crate) fn filters(query: &ListQuery) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        if let Some(t) = query.updated_since {
            f.push(("updated_at_min", t.to_rfc3339()));
        }
        if let Some(t) = query.created_since {
            f.push(("created_at_min", t.to_rfc3339()));
        }
        f
    }

    pub(crate) async fn location_ids(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct L {
            id: polycart_kit::decode::Id,
        }
        #[derive(Deserialize)]
        struct Envelope {
            locations: Vec<L>,
        }
        let response = self
            .send(self.get_request(&ApiPath::new("locations.json")))
            .await?;
        let envelope: Envelope = response.json()?;
        Ok(envelope
            .locations
            .into_iter()
            .map(|l| l.id.0)
            .collect::<Vec<_>>()
            .join(","))
    }

    pub(crate) async fn list_rest(&self, query: &ListQuery) -> Result<Page> {
        let limit = query.page_size_or(MAX_PAGE).to_string();
        let cursor: Option<RestCursor> = query.cursor.as_ref().map(Cursor::decode).transpose()?;
        let resource: &'static str = match query.entity {
            Entity::Order => "orders",
            Entity::Product => "products",
            Entity::Customer => "customers",
            Entity::Inventory => "inventory_levels",
            Entity::Category => match cursor.as_ref().and_then(|c| c.resource.as_deref()) {
                None | Some("custom_collections") => "custom_collections",
                Some("smart_collections") => "smart_collections",
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "unrecognised cursor resource {:?}",
                        polycart_kit::error::excerpt(other, 40)
                    )));
                }
            },
        };
        let key = resource;
        let mut request = self
            .get_request(&ApiPath::new(resource).suffix(".json"))
            .query([("limit", limit.as_str())]);
        match cursor.as_ref().and_then(|c| c.page_info.as_deref()) {
            Some(page_info) => request = request.query([("page_info", page_info)]),
            None => {
                request = request.query(Self::filters(query));
                match query.entity {
                    Entity::Order => request = request.query([("status", "any")]),
                    Entity::Inventory => {
                        let locations = self.location_ids().await?;
                        request = request.query([("location_ids", locations.as_str())]);
                    }
                    _ => {}
                }
            }
        }
        let response = self.send(request).await?;
        let text = response.text()?;
        let envelope: HashMap<&str, Vec<&RawValue>> =
            polycart_kit::error::decode_json_borrowed(text)?;
        let items = envelope
            .get(key)
            .ok_or_else(|| Error::decode(format!("$.{key}"), "missing"))?;
        let records = self.map_records(query.entity, items).await?;
        let next = match next_page_info(&response.headers) {
            Some(page_info) => {
                let resource = (query.entity == Entity::Category).then(|| key.to_owned());
                Some(Cursor::encode(&RestCursor {
                    page_info: Some(page_info),
                    resource,
                }))
            }
            None if key == "custom_collections" => Some(Cursor::encode(&RestCursor {
                page_info: None,
                resource: Some("smart_collections".to_owned()),
            })),
            None => None,
        };
        Ok(Page { records, next })
    }

    pub(crate) async fn get_json(&self, path: ApiPath, key: &str) -> Result<Record> {
        self.one_record(self.get_request(&path), key).await
    }

    pub(crate) async fn write_json(&self, request: Request, key: &str) -> Result<Record> {
        self.one_record(request, key).await
    }

    /// Sends `request` and maps the record under `key` of the answer (`{"order": {...}}`).
    pub(crate) async fn one_record(&self, request: Request, key: &str) -> Result<Record> {
        let response = self.send(request).await?;
        let text = response.text()?;
        let envelope: HashMap<&str, &RawValue> = polycart_kit::error::decode_json_borrowed(text)?;
        let raw = envelope
            .get(key)
            .ok_or_else(|| Error::decode(format!("$.{key}"), "missing"))?;
        let entity = match key {
            "order" => Entity::Order,
            "product" => Entity::Product,
            "customer" => Entity::Customer,
            "inventory_level" => Entity::Inventory,
            _ => Entity::Category,
        };
        let mut records = self.map_records(entity, &[*raw]).await?;
        records.pop().ok_or_else(|| Error::decode("$", "no record"))
    }

    pub(crate) async fn order_raw(&self, id: &str) -> Result<Value> {
        let response = self
            .send(self.get_request(&ids::record_path("orders", "Order", id)?))
            .await?;
        let v: Value = response.json()?;
        Ok(v["order"].clone())
    }
}

/// The `page_info` of the `rel="next"` link, if there is a next page.
pub(crate) fn next_page_info(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    let url = url::Url::parse(link_target(link, "next")?).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "page_info")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_next_page_info_from_link() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://s.myshopify.com/admin/api/2026-01/orders.json?limit=2&page_info=abc>; rel=\"previous\", <https://s.myshopify.com/admin/api/2026-01/orders.json?limit=2&page_info=def%3D>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_page_info(&h).as_deref(), Some("def="));
        h.insert(
            http::header::LINK,
            "<https://s/x.json?page_info=abc>; rel=\"previous\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_page_info(&h), None);
    }
}
