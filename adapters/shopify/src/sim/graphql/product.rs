//! `Product`, `ProductVariant`, `InventoryItem` and their options, images and
//! weights, rendered from the generated store.

use super::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct Image {
    pub(crate) id: ID,
    pub(crate) url: String,
    pub(crate) alt_text: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct SelectedOption {
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct Weight {
    pub(crate) value: f64,
    pub(crate) unit: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct InventoryItemMeasurement {
    pub(crate) weight: Option<Weight>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct InventoryItem {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) sku: Option<String>,
    pub(crate) tracked: bool,
    pub(crate) measurement: InventoryItemMeasurement,
    #[graphql(skip)]
    pub(crate) variant_id: u64,
}

#[ComplexObject]
impl InventoryItem {
    async fn variant(&self, ctx: &Context<'_>) -> Option<ProductVariant> {
        let store = state(ctx).store();
        let p = store
            .products
            .iter()
            .find(|p| !p.deleted && p.variants.iter().any(|v| v.id == self.variant_id))?;
        let v = p.variants.iter().find(|v| v.id == self.variant_id)?;
        Some(variant(p, v))
    }

    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
    ) -> async_graphql::Result<Option<InventoryLevel>> {
        let location = legacy(&location_id)?;
        let store = state(ctx).store();
        let found = store.products.iter().filter(|p| !p.deleted).find_map(|p| {
            let v = p.variants.iter().find(|v| v.id == self.variant_id)?;
            let (_, q) = v.stock.iter().find(|(l, _)| *l == location)?;
            Some(level(p, v, location, *q))
        });
        Ok(found)
    }
}

pub(crate) fn level(
    p: &SimProduct,
    v: &SimVariant,
    location: u64,
    available: i64,
) -> InventoryLevel {
    InventoryLevel {
        id: ID(format!(
            "gid://shopify/InventoryLevel/{location}?inventory_item_id={}",
            v.inventory_item_id
        )),
        updated_at: time(v.updated_at),
        item: variant(p, v).item,
        available,
        location_id: location,
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct ProductVariant {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) title: String,
    pub(crate) sku: Option<String>,
    pub(crate) barcode: Option<String>,
    pub(crate) price: String,
    pub(crate) compare_at_price: Option<String>,
    pub(crate) position: i32,
    pub(crate) selected_options: Vec<SelectedOption>,
    pub(crate) inventory_quantity: Option<i64>,
    pub(crate) image: Option<Image>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[graphql(skip)]
    pub(crate) product_id: u64,
    #[graphql(skip)]
    pub(crate) item: InventoryItem,
}

#[ComplexObject]
impl ProductVariant {
    async fn product(&self, ctx: &Context<'_>) -> Option<Product> {
        let store = state(ctx).store();
        store
            .products
            .iter()
            .find(|p| p.id == self.product_id && !p.deleted)
            .map(|p| product(p, &store))
    }

    async fn inventory_item(&self) -> InventoryItem {
        self.item.clone()
    }
}

pub(crate) fn variant(p: &SimProduct, v: &SimVariant) -> ProductVariant {
    let selected = if p.options.is_empty() {
        vec![SelectedOption {
            name: "Title".into(),
            value: "Default Title".into(),
        }]
    } else {
        p.options
            .iter()
            .zip(&v.option_values)
            .map(|((n, _), val)| SelectedOption {
                name: n.clone(),
                value: val.clone(),
            })
            .collect()
    };
    ProductVariant {
        id: ID(gid("ProductVariant", v.id)),
        legacy_resource_id: v.id.to_string(),
        title: v.title.clone(),
        sku: Some(v.sku.clone()),
        barcode: v.barcode.clone(),
        price: amount(v.price),
        compare_at_price: v.compare_at_price.map(amount),
        position: p
            .variants
            .iter()
            .position(|x| x.id == v.id)
            .map_or(1, |i| i as i32 + 1),
        selected_options: selected,
        inventory_quantity: Some(v.total_stock()),
        image: None,
        created_at: time(v.created_at),
        updated_at: time(v.updated_at),
        product_id: p.id,
        item: InventoryItem {
            id: ID(gid("InventoryItem", v.inventory_item_id)),
            legacy_resource_id: v.inventory_item_id.to_string(),
            sku: Some(v.sku.clone()),
            tracked: true,
            measurement: InventoryItemMeasurement {
                weight: Some(Weight {
                    value: f64::from(v.weight_grams) / 1000.0,
                    unit: "KILOGRAMS".into(),
                }),
            },
            variant_id: v.id,
        },
    }
}

#[derive(SimpleObject, Clone)]
pub(crate) struct ProductOption {
    pub(crate) id: ID,
    pub(crate) name: String,
    pub(crate) position: i32,
    pub(crate) values: Vec<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Product {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) title: String,
    pub(crate) handle: String,
    pub(crate) description_html: String,
    pub(crate) vendor: String,
    pub(crate) product_type: String,
    pub(crate) status: String,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    published_at: Option<String>,
    pub(crate) total_inventory: i64,
    pub(crate) options: Vec<ProductOption>,
    #[graphql(skip)]
    pub(crate) variant_list: Vec<ProductVariant>,
    #[graphql(skip)]
    pub(crate) image_list: Vec<Image>,
    #[graphql(skip)]
    pub(crate) collection_list: Vec<Collection>,
}

#[ComplexObject]
impl Product {
    async fn variants(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<String, ProductVariant>> {
        let items = self
            .variant_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first.or(last), after)
    }

    async fn images(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Image>> {
        let items = self
            .image_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first, after)
    }

    async fn collections(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Collection>> {
        let items = self
            .collection_list
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.clone()))
            .collect();
        paginate(items, first, after)
    }

    async fn featured_image(&self) -> Option<Image> {
        self.image_list.first().cloned()
    }
}

impl Product {
    /// The variants with these legacy ids.
    pub(crate) fn variants_with(&self, ids: &[u64]) -> Vec<ProductVariant> {
        self.variant_list
            .iter()
            .filter(|v| {
                v.legacy_resource_id
                    .parse()
                    .is_ok_and(|n: u64| ids.contains(&n))
            })
            .cloned()
            .collect()
    }
}

pub(crate) fn product(p: &SimProduct, store: &SimStore) -> Product {
    Product {
        id: ID(gid("Product", p.id)),
        legacy_resource_id: p.id.to_string(),
        title: p.title.clone(),
        handle: p.handle.clone(),
        description_html: p.description_html.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        status: match p.status {
            SimProductStatus::Active => "ACTIVE",
            SimProductStatus::Draft => "DRAFT",
            SimProductStatus::Archived => "ARCHIVED",
        }
        .to_owned(),
        tags: p.tags.clone(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
        published_at: (p.status == SimProductStatus::Active).then(|| time(p.created_at)),
        total_inventory: p.variants.iter().map(SimVariant::total_stock).sum(),
        options: if p.options.is_empty() {
            vec![ProductOption {
                id: ID(gid("ProductOption", p.id + 1)),
                name: "Title".into(),
                position: 1,
                values: vec!["Default Title".into()],
            }]
        } else {
            p.options
                .iter()
                .enumerate()
                .map(|(i, (n, vals))| ProductOption {
                    id: ID(gid("ProductOption", p.id * 10 + i as u64)),
                    name: n.clone(),
                    position: i as i32 + 1,
                    values: vals.clone(),
                })
                .collect()
        },
        variant_list: p.variants.iter().map(|v| variant(p, v)).collect(),
        image_list: p
            .images
            .iter()
            .map(|im| Image {
                id: ID(gid("ProductImage", im.id)),
                url: im.url.clone(),
                alt_text: Some(im.alt.clone()),
            })
            .collect(),
        collection_list: store
            .categories
            .iter()
            .filter(|c| p.category_ids.contains(&c.id))
            .map(collection)
            .collect(),
    }
}
