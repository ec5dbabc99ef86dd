//! The limits of every number and text a caller sends, in one place: handlers check
//! them (a 400 naming the range) and [`document`] writes the same limits into the
//! OpenAPI description, so a request valid against the document is never refused for
//! a limit it does not state.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::error::ApiError;

/// An inclusive integer range a field must fall in.
#[derive(Debug, Clone, Copy)]
pub struct IntRange {
    pub name: &'static str,
    pub min: i64,
    pub max: i64,
}

impl IntRange {
    pub const fn new(name: &'static str, min: i64, max: i64) -> Self {
        Self { name, min, max }
    }

    /// `value`, or a 400 naming the field and its range.
    pub fn check(&self, value: i64) -> Result<i64, ApiError> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(ApiError::Invalid(format!(
                "{} must be between {} and {}, not {value}",
                self.name, self.min, self.max
            )))
        }
    }

    /// The optional `value` checked, or `default`.
    pub fn or(&self, value: Option<i64>, default: i64) -> Result<i64, ApiError> {
        value.map_or(Ok(default), |v| self.check(v))
    }

    fn schema(&self) -> Value {
        json!({"minimum": self.min, "maximum": self.max})
    }
}

/// A text field's limits: at most `max_chars` characters, no control characters but
/// line breaks and tabs where `multiline`, and not empty where `required`.
#[derive(Debug, Clone, Copy)]
pub struct TextLimit {
    pub name: &'static str,
    pub max_chars: usize,
    pub multiline: bool,
}

impl TextLimit {
    pub const fn new(name: &'static str, max_chars: usize, multiline: bool) -> Self {
        Self {
            name,
            max_chars,
            multiline,
        }
    }

    pub fn check<'a>(&self, value: &'a str) -> Result<&'a str, ApiError> {
        let allowed =
            |c: char| !c.is_control() || (self.multiline && matches!(c, '\n' | '\r' | '\t'));
        if value.trim().is_empty()
            || value.chars().count() > self.max_chars
            || !value.chars().all(allowed)
        {
            return Err(ApiError::Invalid(format!(
                "{} must be 1 to {} characters{}",
                self.name,
                self.max_chars,
                if self.multiline {
                    ", without control characters other than line breaks and tabs"
                } else {
                    ", without control characters"
                }
            )));
        }
        Ok(value)
    }

    pub fn check_opt(&self, value: &Option<String>) -> Result<(), ApiError> {
        value
            .as_deref()
            .map(|v| self.check(v))
            .transpose()
            .map(|_| ())
    }

    fn schema(&self) -> Value {
        json!({"minLength": 1, "maxLength": self.max_chars, "pattern": if self.multiline { r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*\S[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$" } else { r"^[^\x00-\x1F\x7F]*\S[^\x00-\x1F\x7F]*$" }})
    }
}

pub const INTERVAL_SECS: IntRange = IntRange::new(
    "interval_secs",
    crate::store::MIN_INTERVAL_SECS,
    crate::store::MAX_INTERVAL_SECS,
);
pub const LIST_LIMIT: IntRange = IntRange::new("limit", 1, 250);
pub const CHANGES_LIMIT: IntRange = IntRange::new("limit", 1, 1000);
pub const DELIVERIES_LIMIT: IntRange = IntRange::new("limit", 1, 500);
/// Sync runs a store's history returns.
pub const HISTORY_LIMIT: IntRange = IntRange::new("limit", 1, 200);
pub const SEQUENCE: IntRange = IntRange::new("after", 0, i64::MAX);
/// An absolute stock level or a change to one (platforms cap stock near a billion).
pub const INVENTORY: IntRange = IntRange::new("available", -1_000_000_000, 1_000_000_000);
pub const SHIPMENT_QUANTITY: IntRange = IntRange::new("quantity", 1, 1_000_000);

pub const TITLE: TextLimit = TextLimit::new("title", 255, false);
pub const NOTE: TextLimit = TextLimit::new("note", 5000, true);
pub const CARRIER: TextLimit = TextLimit::new("carrier", 255, false);
pub const TRACKING_NUMBER: TextLimit = TextLimit::new("tracking_number", 255, false);
pub const TRACKING_URL: TextLimit = TextLimit::new("tracking_url", 2048, false);
/// An API key's name.
pub const KEY_NAME: TextLimit = TextLimit::new("name", 100, false);

/// The largest price accepted (platforms store prices below a billion).
pub const PRICE_MAX: Decimal = Decimal::from_parts(999_999_999, 0, 0, false, 0);
/// The pattern of a price in the document: up to nine digits, up to four decimals.
const PRICE_PATTERN: &str = r"^[0-9]{1,9}(\.[0-9]{1,4})?$";

/// A price: not negative, at most [`PRICE_MAX`] plus a fraction below one.
pub fn price(name: &str, value: Option<Decimal>) -> Result<(), ApiError> {
    match value {
        Some(p) if p.is_sign_negative() || p >= PRICE_MAX + Decimal::ONE => Err(ApiError::Invalid(
            format!("{name} must be between 0 and {PRICE_MAX}.9999, not {p}"),
        )),
        _ => Ok(()),
    }
}

/// A record id: no control characters, not only blanks.
const ID_PATTERN: &str = r"^[^\x00-\x1F\x7F]*\S[^\x00-\x1F\x7F]*$";

/// Writes these limits into the generated OpenAPI document.
pub fn document(doc: &mut Value) {
    // Fields a `oneOf`/`anyOf` below counts as given: `null` does not give them.
    let text = |t: &TextLimit| {
        let mut v = t.schema();
        v["type"] = json!("string");
        v
    };
    let int = |r: &IntRange| {
        let mut v = r.schema();
        v["type"] = json!("integer");
        v
    };
    let id_field = json!({"type": "string", "minLength": 1, "maxLength": super::ids::MAX_ID_LEN, "pattern": ID_PATTERN});
    let price_schema = json!({"type": "string", "pattern": PRICE_PATTERN, "description": "A decimal amount, at least 0 and below one billion."});
    let props = [
        ("CreateStore", "interval_secs", INTERVAL_SECS.schema()),
        (
            "CreateStore",
            "name",
            json!({"minLength": 1, "maxLength": crate::connect::MAX_NAME_LEN}),
        ),
        (
            "CreateStore",
            "entities",
            json!({"uniqueItems": true, "items": {"type": "string", "enum": entity_names()}}),
        ),
        ("CreateStore", "platform", json!({"enum": platform_names()})),
        (
            "CreateStore",
            "url",
            json!({"minLength": 1, "format": "uri"}),
        ),
        ("ProductPatch", "title", text(&TITLE)),
        ("ProductPatch", "price", price_schema.clone()),
        ("ProductPatch", "compare_at_price", price_schema),
        (
            "ProductPatch",
            "status",
            json!({"enum": polycart_kit::model::ProductStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
        ),
        (
            "OrderPatch",
            "status",
            json!({"enum": polycart_kit::model::OrderStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
        ),
        ("OrderPatch", "note", text(&NOTE)),
        ("InventoryPut", "available", int(&INVENTORY)),
        ("InventoryPut", "delta", int(&INVENTORY)),
        ("InventoryPut", "variant_id", id_field.clone()),
        ("InventoryPut", "product_id", id_field.clone()),
        ("InventoryPut", "sku", id_field.clone()),
        ("InventoryPut", "location_id", id_field.clone()),
        ("ProductPatch", "variant_id", id_field.clone()),
        ("ShipmentItemBody", "line_item_id", id_field),
        ("ShipmentPost", "carrier", text(&CARRIER)),
        ("CreateKey", "name", text(&KEY_NAME)),
        (
            "CreateKey",
            "store_ids",
            json!({"minItems": 1, "maxItems": super::keys::MAX_SCOPE, "items": {"minLength": 1, "maxLength": super::ids::MAX_ID_LEN}}),
        ),
        ("ShipmentPost", "tracking_number", text(&TRACKING_NUMBER)),
        (
            "ShipmentPost",
            "tracking_url",
            json!({"maxLength": TRACKING_URL.max_chars, "format": "uri", "pattern": "^https?://"}),
        ),
        ("ShipmentItemBody", "quantity", SHIPMENT_QUANTITY.schema()),
        (
            "CreateSubscription",
            "url",
            json!({"minLength": 1, "format": "uri", "pattern": "^https?://"}),
        ),
        (
            "CreateSubscription",
            "secret",
            json!({"minLength": 16, "maxLength": 512}),
        ),
    ];
    for (schema, field, extra) in props {
        if let Some(target) =
            doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
        {
            merge(target, extra);
        }
    }
    // Record ids in routes and bodies.
    let id = json!({"minLength": 1, "maxLength": super::ids::MAX_ID_LEN, "pattern": ID_PATTERN});
    // Exactly one of `available` and `delta`; at least one way to name the stock.
    if let Some(inv) = doc.pointer_mut("/components/schemas/InventoryPut") {
        merge(
            inv,
            json!({
                "oneOf": [{"required": ["available"]}, {"required": ["delta"]}],
                "anyOf": [{"required": ["variant_id"]}, {"required": ["sku"]}, {"required": ["product_id"]}],
            }),
        );
    }
    // Each platform's required credentials, settings and entities.
    if let Some(create) = doc.pointer_mut("/components/schemas/CreateStore") {
        let branches: Vec<Value> = crate::registry::connectors()
            .iter()
            .map(|c| {
                // The entities a store may sync: those the platform lists.
                let entities: Vec<&str> = (c.capabilities)()
                    .entity_list()
                    .into_iter()
                    .map(|e| e.as_str())
                    .collect();
                // A store gives every credential of one set, where there are several.
                let mut credentials = json!({"required": c.credentials});
                if !c.credential_sets.is_empty() {
                    credentials["anyOf"] = c
                        .credential_sets
                        .iter()
                        .map(|set| json!({"required": set.credentials}))
                        .collect();
                }
                json!({
                    "properties": {
                        "platform": {"const": c.name},
                        "credentials": credentials,
                        "settings": settings_schema(c.settings),
                        "entities": {"items": {"enum": entities}},
                    },
                    "required": ["credentials"],
                })
            })
            .collect();
        merge(create, json!({ "oneOf": branches }));
    }
    if let Some(patch) = doc.pointer_mut("/components/schemas/ProductPatch") {
        merge(
            patch,
            json!({"anyOf": [{"required": ["title"]}, {"required": ["status"]}, {"required": ["price"]}, {"required": ["compare_at_price"]}]}),
        );
    }
    let Some(paths) = doc.pointer_mut("/paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let limit = match path.as_str() {
            "/v1/changes" => CHANGES_LIMIT,
            "/v1/subscriptions/{id}/deliveries" => DELIVERIES_LIMIT,
            "/v1/stores/{store}/history" => HISTORY_LIMIT,
            _ => LIST_LIMIT,
        };
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for param in params {
                let (Some(name), Some(place)) = (
                    param["name"].as_str().map(str::to_owned),
                    param["in"].as_str().map(str::to_owned),
                ) else {
                    continue;
                };
                let extra = match (place.as_str(), name.as_str()) {
                    ("path", "id") => id.clone(),
                    ("query", "limit") => limit.schema(),
                    ("query", "after") => SEQUENCE.schema(),
                    ("query", "status") => json!({"minLength": 1}),
                    _ => continue,
                };
                merge(&mut param["schema"], extra);
            }
        }
    }
}

/// The JSON Schema of a platform's declared settings (each a string).
fn settings_schema(specs: &[polycart_kit::settings::SettingSpec]) -> Value {
    use polycart_kit::settings::SettingKind;
    let properties: serde_json::Map<String, Value> = specs
        .iter()
        .map(|s| {
            let mut p = json!({"type": "string", "description": s.doc});
            match s.kind {
                SettingKind::OneOf { values } => p["enum"] = json!(values),
                SettingKind::Integer { .. } => p["pattern"] = json!("^-?[0-9]+$"),
                SettingKind::Number { .. } => p["pattern"] = json!("^[0-9]+(\\.[0-9]+)?$"),
                SettingKind::Bool => p["enum"] = json!(["true", "false"]),
                SettingKind::Currency => p["pattern"] = json!("^[A-Z]{3}$"),
                SettingKind::Timestamp => p["format"] = json!("date-time"),
                SettingKind::Text => p["maxLength"] = json!(100),
            }
            if let Some(d) = s.default {
                p["default"] = json!(d);
            }
            p["description"] = json!(format!("{} ({})", s.doc, s.describe()));
            (s.name.to_owned(), p)
        })
        .collect();
    json!({"properties": properties, "additionalProperties": false})
}

fn entity_names() -> Vec<&'static str> {
    polycart_kit::Entity::ALL
        .iter()
        .map(|e| e.as_str())
        .collect()
}

fn platform_names() -> Vec<&'static str> {
    crate::registry::connectors()
        .iter()
        .map(|c| c.name)
        .collect()
}

/// Adds `extra`'s keys to the object `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}
