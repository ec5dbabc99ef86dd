//! Products and their variants, from a REST product or a GraphQL `Product` node, with
//! the shop's currency for prices written without one.

use super::*;

/// Drops Shopify's placeholder option of a product without options
/// (`Title: ["Default Title"]`).
fn is_placeholder_option(name: &str, values: &[String]) -> bool {
    name == "Title" && !values.is_empty() && values.iter().all(|v| v == "Default Title")
}

fn variant_price(
    path: &str,
    amount: Option<&Dec>,
    presentment: Option<&rest::MoneyV>,
    ctx: &StoreContext,
) -> Result<Option<Money>> {
    match (amount, &ctx.currency) {
        (Some(a), Some(c)) => Ok(Some(Money::new(a.0, c.clone()))),
        // Without the shop's currency, a presentment price in the same amount names it.
        (Some(a), None) => match presentment.filter(|p| p.amount.0 == a.0) {
            Some(p) => Ok(Some(Money::new(a.0, currency(path, &p.currency_code)?))),
            None => Ok(None),
        },
        (None, _) => Ok(None),
    }
}

/// Maps a REST product with its variants, options and images.
pub fn rest_product(raw: &RawValue, ctx: &StoreContext) -> Result<Product> {
    let p: rest::Product = decode_json_borrowed(raw.get())?;
    // Old payloads list option names without values: the variants have them.
    let mut option_names: Vec<&str> = Vec::new();
    let mut options: Vec<ProductOption> = Vec::new();
    for (n, o) in p.options.iter().enumerate() {
        let mut values = o.values.clone();
        if values.is_empty() {
            let taken = p.variants.iter().filter_map(|v| {
                [&v.option1, &v.option2, &v.option3]
                    .get(n)
                    .and_then(|o| o.as_ref())
            });
            for value in taken {
                if !values.contains(value) {
                    values.push(value.clone());
                }
            }
        }
        if is_placeholder_option(&o.name, &values) {
            option_names.push("");
        } else {
            option_names.push(o.name.as_str());
            options.push(ProductOption {
                name: o.name.clone(),
                values,
            });
        }
    }
    let image_url = |id: &Id| {
        p.images
            .iter()
            .find(|i| i.id.as_ref() == Some(id))
            .map(|i| i.src.clone())
    };

    let mut variants = Vec::with_capacity(p.variants.len());
    for (i, v) in p.variants.iter().enumerate() {
        let path = format!("$.variants[{i}]");
        let presentment = v.presentment_prices.first();
        let mut opts = BTreeMap::new();
        for (n, value) in [&v.option1, &v.option2, &v.option3].into_iter().enumerate() {
            if let (Some(name), Some(value)) =
                (option_names.get(n).filter(|n| !n.is_empty()), value)
            {
                opts.insert((*name).to_owned(), value.clone());
            }
        }
        variants.push(Variant {
            platform_id: lid(&v.id),
            sku: text(v.sku.clone()),
            barcode: text(v.barcode.clone()),
            options: opts,
            price: variant_price(
                &format!("{path}.price"),
                v.price.as_ref(),
                presentment.and_then(|p| p.price.as_ref()),
                ctx,
            )?,
            compare_at_price: variant_price(
                &format!("{path}.compare_at_price"),
                v.compare_at_price.as_ref(),
                presentment.and_then(|p| p.compare_at_price.as_ref()),
                ctx,
            )?,
            inventory_quantity: v.inventory_quantity,
            weight: match (&v.weight, &v.weight_unit) {
                (Some(w), Some(u)) => Some(Weight {
                    value: w.0,
                    unit: u.clone(),
                }),
                _ => None,
            },
            image_url: v.image_id.as_ref().and_then(image_url),
        });
    }
    Ok(assemble_product(ProductParts {
        platform_id: lid(&p.id),
        name: text(p.title),
        description_html: text(p.body_html),
        status: p.status,
        vendor: text(p.vendor),
        product_type: text(p.product_type),
        tags: split_tags(p.tags.as_deref()),
        category_ids: Vec::new(),
        images: p
            .images
            .iter()
            .enumerate()
            .map(|(i, im)| Image {
                url: im.src.clone(),
                alt: text(im.alt.clone()),
                position: im.position.or(Some(i as u32 + 1)),
            })
            .collect(),
        options,
        variants,
        total_inventory: None,
        created_at: date("$.created_at", p.created_at.as_ref())?,
        updated_at: date("$.updated_at", p.updated_at.as_ref())?,
        raw,
    }))
}

struct ProductParts<'a> {
    platform_id: String,
    name: Option<String>,
    description_html: Option<String>,
    status: Option<String>,
    vendor: Option<String>,
    product_type: Option<String>,
    tags: Vec<String>,
    category_ids: Vec<String>,
    images: Vec<Image>,
    options: Vec<ProductOption>,
    variants: Vec<Variant>,
    total_inventory: Option<i64>,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    raw: &'a RawValue,
}

/// Product-level price and stock from the variants: the cheapest variant's price (and
/// its compare-at price), the total stock when every variant reports one, and the
/// SKU of a product with a single variant.
fn assemble_product(p: ProductParts<'_>) -> Product {
    let cheapest = p
        .variants
        .iter()
        .filter(|v| v.price.is_some())
        .min_by_key(|v| v.price.as_ref().map(|m| m.amount));
    let inventory = p.total_inventory.or_else(|| {
        if p.variants.is_empty() {
            None
        } else {
            p.variants
                .iter()
                .map(|v| v.inventory_quantity)
                .sum::<Option<i64>>()
        }
    });
    Product {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: p.platform_id,
        name: p.name,
        sku: if p.variants.len() == 1 {
            p.variants[0].sku.clone()
        } else {
            None
        },
        description_html: p.description_html,
        status: p.status.as_deref().and_then(product_status),
        platform_status: p.status,
        vendor: p.vendor,
        product_type: p.product_type,
        tags: p.tags,
        category_ids: p.category_ids,
        images: p.images,
        price: cheapest.and_then(|v| v.price.clone()),
        compare_at_price: cheapest.and_then(|v| v.compare_at_price.clone()),
        options: p.options,
        variants: p.variants,
        inventory_quantity: inventory,
        created_at: p.created_at,
        updated_at: p.updated_at,
        raw: Some(Raw::from_raw(p.raw)),
    }
}

/// Maps a GraphQL `Product` node. GraphQL variant prices are `Money` scalars without a
/// currency: the shop's currency from `ctx` gives them one.
pub fn gql_product(raw: &RawValue, ctx: &StoreContext) -> Result<Product> {
    let p: gql::Product = decode_json_borrowed(raw.get())?;
    let price = |d: Option<&Dec>| match (d, &ctx.currency) {
        (Some(a), Some(c)) => Some(Money::new(a.0, c.clone())),
        _ => None,
    };
    let variants = p
        .variants
        .0
        .iter()
        .map(|v| Variant {
            platform_id: lid(&v.id),
            sku: text(v.sku.clone()),
            barcode: text(v.barcode.clone()),
            options: v
                .selected_options
                .iter()
                .filter(|o| !is_placeholder_option(&o.name, std::slice::from_ref(&o.value)))
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
            price: price(v.price.as_ref()),
            compare_at_price: price(v.compare_at_price.as_ref()),
            inventory_quantity: v.inventory_quantity,
            weight: v
                .inventory_item
                .as_ref()
                .and_then(|i| i.measurement.as_ref())
                .and_then(|m| m.weight.as_ref())
                .map(|w| Weight {
                    value: w.value.0,
                    unit: weight_unit(&w.unit),
                }),
            image_url: v.image.as_ref().and_then(|i| text(i.url.clone())),
        })
        .collect();
    let mut images: Vec<Image> = p
        .images
        .0
        .iter()
        .filter_map(|im| Some((text(im.url.clone())?, text(im.alt_text.clone()))))
        .enumerate()
        .map(|(i, (url, alt))| Image {
            url,
            alt,
            position: Some(i as u32 + 1),
        })
        .collect();
    if images.is_empty() {
        images = p
            .media
            .0
            .iter()
            .filter_map(|m| {
                let url = m
                    .image
                    .as_ref()
                    .or(m.preview.as_ref().and_then(|p| p.image.as_ref()))?
                    .url
                    .clone();
                Some((text(url)?, text(m.alt.clone())))
            })
            .enumerate()
            .map(|(i, (url, alt))| Image {
                url,
                alt,
                position: Some(i as u32 + 1),
            })
            .collect();
    }
    Ok(assemble_product(ProductParts {
        platform_id: lid(&p.id),
        name: text(p.title),
        description_html: text(p.description_html),
        status: p.status.map(|s| s.to_ascii_lowercase()),
        vendor: text(p.vendor),
        product_type: text(p.product_type),
        tags: p
            .tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        category_ids: p.collections.0.iter().map(|c| lid(&c.id)).collect(),
        images,
        options: p
            .options
            .iter()
            .filter(|o| !is_placeholder_option(&o.name, &o.values))
            .map(|o| ProductOption {
                name: o.name.clone(),
                values: o.values.clone(),
            })
            .collect(),
        variants,
        total_inventory: p.total_inventory,
        created_at: date("$.createdAt", p.created_at.as_ref())?,
        updated_at: date("$.updatedAt", p.updated_at.as_ref())?,
        raw,
    }))
}

/// GraphQL `WeightUnit` (`KILOGRAMS`) → the short unit REST uses (`kg`).
fn weight_unit(unit: &str) -> String {
    match unit {
        "KILOGRAMS" => "kg",
        "GRAMS" => "g",
        "POUNDS" => "lb",
        "OUNCES" => "oz",
        other => return other.to_ascii_lowercase(),
    }
    .to_owned()
}
