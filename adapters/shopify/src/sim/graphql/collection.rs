//! `Collection` (custom and smart), rendered from the generated store's categories.

use super::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct CollectionRule {
    pub(crate) column: String,
    pub(crate) relation: String,
    pub(crate) condition: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct CollectionRuleSet {
    pub(crate) applied_disjunctively: bool,
    pub(crate) rules: Vec<CollectionRule>,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct Collection {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) title: String,
    pub(crate) handle: String,
    pub(crate) description_html: String,
    pub(crate) updated_at: String,
    pub(crate) sort_order: String,
    pub(crate) rule_set: Option<CollectionRuleSet>,
}

pub(crate) fn collection(c: &SimCategory) -> Collection {
    Collection {
        id: ID(gid("Collection", c.id)),
        legacy_resource_id: c.id.to_string(),
        title: c.name.clone(),
        handle: c.handle.clone(),
        description_html: c.description_html.clone(),
        updated_at: time(c.updated_at),
        sort_order: "MANUAL".into(),
        rule_set: is_smart(c).then(|| CollectionRuleSet {
            applied_disjunctively: false,
            rules: vec![CollectionRule {
                column: "TAG".into(),
                relation: "EQUALS".into(),
                condition: c.handle.clone(),
            }],
        }),
    }
}
