//! The unified model: one shape for orders, products, customers, categories and
//! inventory whatever platform they came from. The JSON field names are a contract
//! (API, change feed, `polycart normalize`, users' code): add fields, never rename.

mod address;
mod category;
mod customer;
mod inventory;
mod money;
mod order;
mod product;
mod raw;
mod status;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use address::Address;
pub use category::Category;
pub use customer::Customer;
pub use inventory::InventoryLevel;
pub use money::{Currency, Money, MoneyError, decimal_from_f64, parse_decimal};
pub use order::{
    Discount, LineItem, Order, OrderCustomer, OrderTotals, Refund, RefundLineItem, Shipment,
    ShipmentLineItem, ShippingLine, presentment,
};
pub use product::{Image, Product, ProductOption, Variant, Weight};
pub use raw::Raw;
pub use status::{FinancialStatus, FulfillmentStatus, OrderStatus, ProductStatus};

/// The kinds of record polycart syncs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Order,
    Product,
    Customer,
    Category,
    Inventory,
}

impl Entity {
    pub const ALL: [Entity; 5] = [
        Entity::Order,
        Entity::Product,
        Entity::Customer,
        Entity::Category,
        Entity::Inventory,
    ];

    /// Singular name ("order"), as the CLI and the store use it.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Order => "order",
            Entity::Product => "product",
            Entity::Customer => "customer",
            Entity::Category => "category",
            Entity::Inventory => "inventory",
        }
    }

    /// Plural name ("orders"), as the API's paths use it.
    pub fn plural(self) -> &'static str {
        match self {
            Entity::Order => "orders",
            Entity::Product => "products",
            Entity::Customer => "customers",
            Entity::Category => "categories",
            Entity::Inventory => "inventory",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Entity {
    type Err = String;

    /// Accepts singular and plural names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Entity::ALL
            .into_iter()
            .find(|e| e.as_str() == s || e.plural() == s)
            .ok_or_else(|| {
                format!(
                    "unknown entity {s:?}; known: order, product, customer, category, inventory"
                )
            })
    }
}

/// One unified record of any entity. Serialises as the bare entity object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    Order(Box<Order>),
    Product(Box<Product>),
    Customer(Box<Customer>),
    Category(Box<Category>),
    Inventory(Box<InventoryLevel>),
}

macro_rules! each {
    ($self:expr, $r:ident => $body:expr) => {
        match $self {
            Record::Order($r) => $body,
            Record::Product($r) => $body,
            Record::Customer($r) => $body,
            Record::Category($r) => $body,
            Record::Inventory($r) => $body,
        }
    };
}

impl Record {
    pub fn entity(&self) -> Entity {
        match self {
            Record::Order(_) => Entity::Order,
            Record::Product(_) => Entity::Product,
            Record::Customer(_) => Entity::Customer,
            Record::Category(_) => Entity::Category,
            Record::Inventory(_) => Entity::Inventory,
        }
    }

    pub fn platform(&self) -> &str {
        each!(self, r => &r.platform)
    }

    pub fn platform_id(&self) -> &str {
        each!(self, r => &r.platform_id)
    }

    pub fn id(&self) -> Option<&str> {
        each!(self, r => r.id.as_deref())
    }

    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        each!(self, r => r.updated_at)
    }

    /// Creation time; inventory levels have none.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Record::Inventory(_) => None,
            Record::Order(r) => r.created_at,
            Record::Product(r) => r.created_at,
            Record::Customer(r) => r.created_at,
            Record::Category(r) => r.created_at,
        }
    }

    pub fn raw(&self) -> Option<&Raw> {
        each!(self, r => r.raw.as_ref())
    }

    /// Drops the raw payload (for responses that did not ask for it).
    pub fn without_raw(mut self) -> Self {
        each!(&mut self, r => r.raw = None);
        self
    }

    /// Stamps the record with the store it belongs to and polycart's stable id.
    pub fn assign_store(&mut self, store_id: &str) {
        each!(self, r => {
            r.id = Some(record_id(store_id, &r.platform_id));
            r.store_id = Some(store_id.to_owned());
        })
    }

    /// Reads a record of a known entity back from its JSON document.
    pub fn from_json(entity: Entity, json: &str) -> Result<Record, serde_json::Error> {
        Ok(match entity {
            Entity::Order => Record::Order(serde_json::from_str(json)?),
            Entity::Product => Record::Product(serde_json::from_str(json)?),
            Entity::Customer => Record::Customer(serde_json::from_str(json)?),
            Entity::Category => Record::Category(serde_json::from_str(json)?),
            Entity::Inventory => Record::Inventory(serde_json::from_str(json)?),
        })
    }
}

/// polycart's id of a record: stable for a store and a platform id.
pub fn record_id(store_id: &str, platform_id: &str) -> String {
    format!("{store_id}:{platform_id}")
}

impl From<Order> for Record {
    fn from(v: Order) -> Self {
        Record::Order(Box::new(v))
    }
}
impl From<Product> for Record {
    fn from(v: Product) -> Self {
        Record::Product(Box::new(v))
    }
}
impl From<Customer> for Record {
    fn from(v: Customer) -> Self {
        Record::Customer(Box::new(v))
    }
}
impl From<Category> for Record {
    fn from(v: Category) -> Self {
        Record::Category(Box::new(v))
    }
}
impl From<InventoryLevel> for Record {
    fn from(v: InventoryLevel) -> Self {
        Record::Inventory(Box::new(v))
    }
}

/// JSON Schemas of every unified entity, by file name, for `schemas/`.
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: JsonSchema>() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialise")
    }
    vec![
        ("order.schema.json", one::<Order>()),
        ("product.schema.json", one::<Product>()),
        ("customer.schema.json", one::<Customer>()),
        ("category.schema.json", one::<Category>()),
        ("inventory_level.schema.json", one::<InventoryLevel>()),
        ("money.schema.json", one::<Money>()),
        ("address.schema.json", one::<Address>()),
    ]
}
