//! The methods served, by API2Cart name, and what each needs of a store's platform:
//! a synced entity (reads) or a write capability. `cart.info` and `cart.methods`
//! report this per store; a method the platform cannot do answers 109.

use polycart_kit::{Capabilities, Entity, WriteCapabilities};

use super::reads::Kind;

/// What a method does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AccountCartAdd,
    AccountCartList,
    SupportedPlatforms,
    CartList,
    CartInfo,
    CartMethods,
    CartDelete,
    List(Kind),
    Info(Kind),
    Count(Kind),
    ChildList,
    ChildInfo,
    OrderStatusList,
    ShipmentList,
    ProductUpdate,
    VariantUpdate,
    OrderUpdate,
    ShipmentAdd,
    WebhookCreate,
    WebhookList,
    WebhookCount,
    WebhookUpdate,
    WebhookDelete,
    WebhookEvents,
    /// An API2Cart method polycart's model has nothing for: always 109, with why.
    Unmodelled(&'static str),
}

/// What a method needs of the store's platform.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Nothing, or no store at all.
    Nothing,
    /// The store syncs this entity.
    Entity(Entity),
    /// The platform's adapter can do this write.
    Write(fn(&WriteCapabilities) -> bool),
    /// No store can: polycart does not model what the method changes.
    Never,
}

/// One served method.
#[derive(Debug, Clone, Copy)]
pub struct Method {
    pub name: &'static str,
    pub op: Op,
    pub need: Need,
    /// Needs an `x-store-key`.
    pub store: bool,
}

const fn account(name: &'static str, op: Op) -> Method {
    Method {
        name,
        op,
        need: Need::Nothing,
        store: false,
    }
}

const fn store(name: &'static str, op: Op, need: Need) -> Method {
    Method {
        name,
        op,
        need,
        store: true,
    }
}

/// Every method polycart serves.
pub const METHODS: &[Method] = &[
    account("account.cart.add", Op::AccountCartAdd),
    account("account.cart.list", Op::AccountCartList),
    account("account.supported_platforms", Op::SupportedPlatforms),
    account("cart.list", Op::CartList),
    store("cart.info", Op::CartInfo, Need::Nothing),
    store("cart.methods", Op::CartMethods, Need::Nothing),
    store("cart.delete", Op::CartDelete, Need::Nothing),
    store(
        "order.list",
        Op::List(Kind::Order),
        Need::Entity(Entity::Order),
    ),
    store(
        "order.info",
        Op::Info(Kind::Order),
        Need::Entity(Entity::Order),
    ),
    store(
        "order.count",
        Op::Count(Kind::Order),
        Need::Entity(Entity::Order),
    ),
    store(
        "order.status.list",
        Op::OrderStatusList,
        Need::Entity(Entity::Order),
    ),
    store(
        "order.shipment.list",
        Op::ShipmentList,
        Need::Entity(Entity::Order),
    ),
    store(
        "product.list",
        Op::List(Kind::Product),
        Need::Entity(Entity::Product),
    ),
    store(
        "product.info",
        Op::Info(Kind::Product),
        Need::Entity(Entity::Product),
    ),
    store(
        "product.count",
        Op::Count(Kind::Product),
        Need::Entity(Entity::Product),
    ),
    store(
        "product.child_item.list",
        Op::ChildList,
        Need::Entity(Entity::Product),
    ),
    store(
        "product.child_item.info",
        Op::ChildInfo,
        Need::Entity(Entity::Product),
    ),
    store(
        "customer.list",
        Op::List(Kind::Customer),
        Need::Entity(Entity::Customer),
    ),
    store(
        "customer.info",
        Op::Info(Kind::Customer),
        Need::Entity(Entity::Customer),
    ),
    store(
        "customer.count",
        Op::Count(Kind::Customer),
        Need::Entity(Entity::Customer),
    ),
    store(
        "category.list",
        Op::List(Kind::Category),
        Need::Entity(Entity::Category),
    ),
    store(
        "category.info",
        Op::Info(Kind::Category),
        Need::Entity(Entity::Category),
    ),
    store(
        "category.count",
        Op::Count(Kind::Category),
        Need::Entity(Entity::Category),
    ),
    store(
        "product.update",
        Op::ProductUpdate,
        Need::Write(product_update),
    ),
    store(
        "product.variant.update",
        Op::VariantUpdate,
        Need::Write(product_update),
    ),
    store(
        "order.update",
        Op::OrderUpdate,
        Need::Write(|w| w.order_status || w.order_note),
    ),
    store(
        "order.shipment.add",
        Op::ShipmentAdd,
        Need::Write(|w| w.shipment_create),
    ),
    // Webhooks follow polycart's change feed, whatever the platform's own webhooks.
    store("webhook.create", Op::WebhookCreate, Need::Nothing),
    store("webhook.list", Op::WebhookList, Need::Nothing),
    store("webhook.count", Op::WebhookCount, Need::Nothing),
    store("webhook.update", Op::WebhookUpdate, Need::Nothing),
    store("webhook.delete", Op::WebhookDelete, Need::Nothing),
    store("webhook.events", Op::WebhookEvents, Need::Nothing),
    // API2Cart's price methods change group (tier) prices only; the base price is
    // product.update's `price`.
    store(
        "product.price.update",
        Op::Unmodelled(GROUP_PRICES),
        Need::Never,
    ),
    store(
        "product.variant.price.update",
        Op::Unmodelled(GROUP_PRICES),
        Need::Never,
    ),
];

const GROUP_PRICES: &str = "group (tier) prices are not modelled by polycart; \
     change a product's or variant's base price with product.update / product.variant.update `price`";

fn product_update(w: &WriteCapabilities) -> bool {
    w.product_price || w.product_title || w.product_status || w.inventory_set
}

/// The method named `name` (`order.list`, with or without `.json`).
pub fn find(name: &str) -> Option<&'static Method> {
    let name = name.strip_suffix(".json").unwrap_or(name);
    METHODS.iter().find(|m| m.name == name)
}

impl Method {
    /// Whether a store that syncs `entities` on a platform with `caps` can serve it.
    pub fn supported(&self, entities: &[Entity], caps: &Capabilities) -> bool {
        match self.need {
            Need::Nothing => true,
            Need::Entity(e) => entities.contains(&e),
            Need::Write(can) => can(&caps.writes),
            Need::Never => false,
        }
    }
}

/// The names of the methods a store can serve.
pub fn supported_names(entities: &[Entity], caps: &Capabilities) -> Vec<&'static str> {
    METHODS
        .iter()
        .filter(|m| m.supported(entities, caps))
        .map(|m| m.name)
        .collect()
}
