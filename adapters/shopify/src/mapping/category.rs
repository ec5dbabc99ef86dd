//! Collections as categories, from REST custom/smart collections or a GraphQL
//! `Collection` node.

use super::*;

/// Maps a REST custom or smart collection. Collections are flat in Shopify: no parent.
pub fn rest_category(raw: &RawValue) -> Result<Category> {
    let c: rest::Collection = decode_json_borrowed(raw.get())?;
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        name: text(c.title),
        parent_id: None,
        slug: text(c.handle),
        description_html: text(c.body_html),
        position: None,
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `Collection` node (custom and smart collections alike).
pub fn gql_category(raw: &RawValue) -> Result<Category> {
    let c: gql::Collection = decode_json_borrowed(raw.get())?;
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        name: text(c.title),
        parent_id: None,
        slug: text(c.handle),
        description_html: text(c.description_html),
        position: None,
        created_at: None,
        updated_at: date("$.updatedAt", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}
