//! `InventoryLevel` and `Location`, with a location's levels as a connection.

use super::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct InventoryQuantity {
    pub(crate) name: String,
    pub(crate) quantity: i64,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct InventoryLevel {
    pub(crate) id: ID,
    pub(crate) updated_at: String,
    pub(crate) item: InventoryItem,
    #[graphql(skip)]
    pub(crate) available: i64,
    #[graphql(skip)]
    pub(crate) location_id: u64,
}

#[ComplexObject]
impl InventoryLevel {
    async fn quantities(&self, names: Vec<String>) -> Vec<InventoryQuantity> {
        names
            .into_iter()
            .filter_map(|name| {
                let quantity = match name.as_str() {
                    "available" | "on_hand" => self.available,
                    "committed" | "reserved" | "damaged" | "incoming" | "quality_control"
                    | "safety_stock" => 0,
                    _ => return None,
                };
                Some(InventoryQuantity { name, quantity })
            })
            .collect()
    }

    async fn location(&self, ctx: &Context<'_>) -> Option<Location> {
        let store = state(ctx).store();
        store
            .locations
            .iter()
            .find(|l| l.id == self.location_id)
            .map(location)
    }
}

pub(crate) fn location(l: &SimLocation) -> Location {
    Location {
        id: ID(gid("Location", l.id)),
        legacy_resource_id: l.id.to_string(),
        name: l.name.clone(),
        is_active: true,
        location_id: l.id,
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Location {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) name: String,
    pub(crate) is_active: bool,
    #[graphql(skip)]
    pub(crate) location_id: u64,
}

#[ComplexObject]
impl Location {
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<String, InventoryLevel>> {
        let filter = Search::parse(query.as_deref())?;
        let store = state(ctx).store();
        let mut items = Vec::new();
        for p in store.products.iter().filter(|p| !p.deleted) {
            for v in &p.variants {
                if let Some((_, q)) = v.stock.iter().find(|(l, _)| *l == self.location_id) {
                    if !filter.keeps(None, v.updated_at) {
                        continue;
                    }
                    items.push((v.inventory_item_id, level(p, v, self.location_id, *q)));
                }
            }
        }
        items.sort_by_key(|(k, _)| *k);
        paginate(items, first, after)
    }
}
