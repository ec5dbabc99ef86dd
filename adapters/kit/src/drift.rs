//! Schema drift: noticing that a platform changed its payloads (a new field, a field
//! whose JSON type changed) or announced that the API in use goes away, before a
//! mapping breaks.
//!
//! **Shapes.** A [`Shape`] is the set of field paths (`billing.postcode`,
//! `line_items[].sku`) with the JSON type each was seen with. The first page polycart
//! maps of a platform × entity × API version *learns* it; later records are compared
//! with it ([`Shape::observe`]): a field it has never seen is an
//! [`DriftKind::UnknownField`], a field seen before with another JSON type a
//! [`DriftKind::TypeChanged`] (`null` matches every type). A field under an object or
//! array that was only ever empty or `null` is learnt, not reported (the first refund
//! of a store is not drift). Paths are bounded ([`MAX_DEPTH`], [`MAX_PATHS`], the first
//! [`ARRAY_ITEMS`] items of an array) so a huge payload costs little.
//!
//! **Sampling.** Checking is off the mapping path: the engine calls it on a page's
//! records after the adapter mapped them, and only on the ones [`sampled`] picks (the
//! first of each page and every [`SAMPLE_EVERY`]th), since a platform's change shows
//! in every record.
//!
//! **Deprecation signals.** The transport reads each platform answer's
//! `Deprecation` (RFC 9745: `@<unix seconds>`, or the older `true`/HTTP-date form),
//! `Sunset` (RFC 8594, an HTTP-date) and Shopify's `X-Shopify-API-Deprecated-Reason`
//! ([`signal_of`]) and keeps the latest per store in a process-wide list the engine
//! drains after each page ([`take_signals`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How deep into nested objects and arrays a shape goes.
pub const MAX_DEPTH: usize = 8;
/// At most this many field paths per shape (and per record checked).
pub const MAX_PATHS: usize = 2_000;
/// Items of an array looked at (their fields are merged).
pub const ARRAY_ITEMS: usize = 3;
/// Besides a page's first record, every this-many-th record is checked.
pub const SAMPLE_EVERY: usize = 25;

/// A JSON value's type, as drift reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// What kind of change a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A field the shape has never seen.
    UnknownField,
    /// A known field arriving with another JSON type.
    TypeChanged,
}

impl DriftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::UnknownField => "unknown_field",
            DriftKind::TypeChanged => "type_changed",
        }
    }

    /// Reads [`DriftKind::as_str`] back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "unknown_field" => Some(DriftKind::UnknownField),
            "type_changed" => Some(DriftKind::TypeChanged),
            _ => None,
        }
    }
}

/// One field of one record that does not fit the shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finding {
    /// Dotted path, `[]` for array items (`line_items[].sku`).
    pub field: String,
    pub kind: DriftKind,
    pub seen_type: JsonType,
    /// The type the shape knows; `None` for an unknown field.
    pub expected_type: Option<JsonType>,
}

/// The fields (and their JSON types) records of one platform × entity × API version
/// have been seen with. Serialises to a small JSON document for the sync store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Field path → the non-null type it was seen with (`Null` while only ever null).
    fields: BTreeMap<String, JsonType>,
    /// Objects and arrays seen with content: a field under one that the shape lacks is
    /// new. Under one not in here (only ever empty or null) a field is learnt.
    filled: BTreeSet<String>,
}

impl Shape {
    /// A shape learnt from `records` (the first page of a platform × entity).
    pub fn learn<'a>(records: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut shape = Shape::default();
        for record in records {
            shape.visit(record, true);
        }
        shape
    }

    /// How many field paths the shape knows.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The type the shape knows for `field`.
    pub fn field(&self, field: &str) -> Option<JsonType> {
        self.fields.get(field).copied()
    }

    /// Compares `record` with the shape and returns what does not fit. Fields under
    /// containers the shape only saw empty, and types of fields only seen `null`, are
    /// learnt; whether the shape grew is the second value (save it then).
    pub fn observe(&mut self, record: &Value) -> (Vec<Finding>, bool) {
        let learning = self.fields.is_empty();
        self.visit(record, learning)
    }

    /// [`Shape::observe`], learning every field when `learning`.
    fn visit(&mut self, record: &Value, learning: bool) -> (Vec<Finding>, bool) {
        let mut seen = BTreeMap::new();
        let mut filled = BTreeSet::new();
        flatten(record, "", 0, &mut seen, &mut filled);
        let mut findings = Vec::new();
        let mut grew = false;
        for (path, ty) in seen {
            match self.fields.get(&path).copied() {
                Some(known) if known == ty || ty == JsonType::Null => {}
                Some(JsonType::Null) => {
                    self.fields.insert(path, ty);
                    grew = true;
                }
                Some(known) => findings.push(Finding {
                    field: path,
                    kind: DriftKind::TypeChanged,
                    seen_type: ty,
                    expected_type: Some(known),
                }),
                None => {
                    let parent = parent_of(&path);
                    let reported = !learning && (parent.is_empty() || self.filled.contains(parent));
                    if reported {
                        findings.push(Finding {
                            field: path,
                            kind: DriftKind::UnknownField,
                            seen_type: ty,
                            expected_type: None,
                        });
                    } else if self.fields.len() < MAX_PATHS {
                        self.fields.insert(path, ty);
                        grew = true;
                    }
                }
            }
        }
        for path in filled {
            // A container with content for the first time: its fields were learnt
            // above (it was not filled yet); from now on new ones are reported.
            if self.filled.len() < MAX_PATHS && self.filled.insert(path) {
                grew = true;
            }
        }
        (findings, grew)
    }
}

/// The container a path is in (`a.b[]` for `a.b[].c`, `""` for a top-level field).
fn parent_of(path: &str) -> &str {
    &path[..path.rfind('.').unwrap_or(0)]
}

fn flatten(
    value: &Value,
    at: &str,
    depth: usize,
    out: &mut BTreeMap<String, JsonType>,
    filled: &mut BTreeSet<String>,
) {
    if depth >= MAX_DEPTH || out.len() >= MAX_PATHS {
        return;
    }
    match value {
        Value::Object(map) => {
            if !map.is_empty() && !at.is_empty() {
                filled.insert(at.to_owned());
            }
            for (key, v) in map {
                if out.len() >= MAX_PATHS {
                    return;
                }
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                merge(out, &path, JsonType::of(v));
                flatten(v, &path, depth + 1, out, filled);
            }
        }
        Value::Array(items) => {
            if !items.is_empty() && !at.is_empty() {
                filled.insert(at.to_owned());
            }
            let item_path = format!("{at}[]");
            for item in items.iter().take(ARRAY_ITEMS) {
                if matches!(item, Value::Object(_) | Value::Array(_)) {
                    flatten(item, &item_path, depth + 1, out, filled);
                }
            }
        }
        _ => {}
    }
}

/// Keeps the non-null type when a path is seen several times in one record.
fn merge(out: &mut BTreeMap<String, JsonType>, path: &str, ty: JsonType) {
    match out.get(path) {
        Some(t) if *t != JsonType::Null || ty == JsonType::Null => {}
        _ => {
            out.insert(path.to_owned(), ty);
        }
    }
}

/// Whether the record at `index` of a page is checked.
pub fn sampled(index: usize) -> bool {
    index % SAMPLE_EVERY == 0
}

/// A deprecation announced by a platform's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub platform: &'static str,
    pub store_id: String,
    /// The platform's words (Shopify's reason), or what the headers said.
    pub reason: String,
    /// When the API goes away (`Sunset`), where said.
    pub sunset: Option<DateTime<Utc>>,
    pub seen_at: DateTime<Utc>,
}

/// The longest reason kept.
pub const MAX_REASON: usize = 500;

/// The deprecation an answer's headers announce, if any: Shopify's
/// `X-Shopify-API-Deprecated-Reason`, RFC 9745 `Deprecation` and RFC 8594 `Sunset`.
pub fn signal_of(headers: &HeaderMap) -> Option<(String, Option<DateTime<Utc>>)> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let shopify = text("x-shopify-api-deprecated-reason");
    let deprecation = text("deprecation");
    let sunset = text("sunset").and_then(http_date);
    if shopify.is_none() && deprecation.is_none() && sunset.is_none() {
        return None;
    }
    let reason = match (shopify, deprecation) {
        (Some(r), _) => r.to_owned(),
        (None, Some(d)) => match deprecation_date(d) {
            Some(at) => format!("deprecated since {}", at.format("%Y-%m-%d")),
            None => "deprecated (Deprecation header)".to_owned(),
        },
        (None, None) => "sunset announced (Sunset header)".to_owned(),
    };
    let reason: String = reason
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON)
        .collect();
    Some((reason, sunset))
}

fn http_date(text: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(text)
        .ok()
        .map(DateTime::<Utc>::from)
}

/// RFC 9745's `@<unix seconds>`, or the draft's HTTP-date.
fn deprecation_date(text: &str) -> Option<DateTime<Utc>> {
    match text.strip_prefix('@') {
        Some(secs) => secs
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0)),
        None => http_date(text),
    }
}

type Signals = Mutex<HashMap<String, Signal>>;

fn signals() -> &'static Signals {
    static SIGNALS: OnceLock<Signals> = OnceLock::new();
    SIGNALS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Notes the deprecation `headers` announce for the store (the transport calls it on
/// every answer; answers without those headers cost three header lookups).
pub fn observe_headers(platform: &'static str, store_id: &str, headers: &HeaderMap) {
    let Some((reason, sunset)) = signal_of(headers) else {
        return;
    };
    let mut all = signals().lock().unwrap_or_else(|e| e.into_inner());
    // Bounded: one entry per store, and stores are few per process.
    all.insert(
        store_id.to_owned(),
        Signal {
            platform,
            store_id: store_id.to_owned(),
            reason,
            sunset,
            seen_at: Utc::now(),
        },
    );
}

/// The latest deprecation signal of `store_id` since the last call, taken out.
pub fn take_signals(store_id: &str) -> Option<Signal> {
    signals()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(store_id)
}

/// The API version a store's adapter speaks, and when the platform stops serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    pub version: String,
    pub sunset: Option<DateTime<Utc>>,
}

/// The version name drift is recorded under when an adapter names none.
pub const UNVERSIONED: &str = "default";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(f: &[Finding]) -> Vec<(String, DriftKind)> {
        f.iter().map(|f| (f.field.clone(), f.kind)).collect()
    }

    #[test]
    fn learns_then_reports_new_fields_and_type_changes() {
        let first = json!({"id": 1, "total": "9.50", "billing": {"city": "Oslo"}, "refunds": [], "note": null});
        let mut shape = Shape::learn([&first]);
        assert_eq!(shape.field("billing.city"), Some(JsonType::String));
        let (f, _) = shape.observe(&first);
        assert!(f.is_empty());
        let later = json!({"id": "1", "total": "9.50", "billing": {"city": "Oslo", "geo": 3},
            "refunds": [{"id": 4}], "note": "hi", "channel": "web"});
        let (f, grew) = shape.observe(&later);
        assert!(grew, "refunds[] and note were learnt");
        assert_eq!(
            kinds(&f),
            [
                ("billing.geo".to_owned(), DriftKind::UnknownField),
                ("channel".to_owned(), DriftKind::UnknownField),
                ("id".to_owned(), DriftKind::TypeChanged),
            ]
        );
        let id = f.iter().find(|f| f.field == "id").unwrap();
        assert_eq!(
            (id.seen_type, id.expected_type),
            (JsonType::String, Some(JsonType::Number))
        );
        // `note` was only null: a string now is learnt, not a change; null later is fine.
        assert_eq!(shape.field("note"), Some(JsonType::String));
        let (f, _) = shape.observe(&json!({"note": null, "refunds": [{"id": 5, "amount": 1}]}));
        assert_eq!(
            kinds(&f),
            [("refunds[].amount".to_owned(), DriftKind::UnknownField)]
        );
    }

    #[test]
    fn shapes_round_trip_and_stay_bounded() {
        let mut big = serde_json::Map::new();
        for i in 0..3 * MAX_PATHS {
            big.insert(format!("f{i}"), json!(i));
        }
        let shape = Shape::learn([&Value::Object(big)]);
        assert!(shape.len() <= MAX_PATHS);
        let text = serde_json::to_string(&shape).unwrap();
        assert_eq!(serde_json::from_str::<Shape>(&text).unwrap(), shape);
        let mut deep = json!(1);
        for _ in 0..50 {
            deep = json!({"a": deep});
        }
        assert!(Shape::learn([&deep]).len() <= MAX_DEPTH);
    }

    #[test]
    fn reads_deprecation_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(signal_of(&h), None);
        h.insert("deprecation", "@1735689600".parse().unwrap());
        h.insert("sunset", "Wed, 31 Dec 2025 23:59:59 GMT".parse().unwrap());
        let (reason, sunset) = signal_of(&h).unwrap();
        assert_eq!(reason, "deprecated since 2025-01-01");
        assert_eq!(sunset.unwrap().to_rfc3339(), "2025-12-31T23:59:59+00:00");
        h.insert(
            "x-shopify-api-deprecated-reason",
            "https://shopify.dev/api/usage/versioning#deprecation-practices"
                .parse()
                .unwrap(),
        );
        assert!(signal_of(&h).unwrap().0.starts_with("https://shopify.dev"));
        observe_headers("shopify", "st_drift_unit", &h);
        assert_eq!(take_signals("st_drift_unit").unwrap().platform, "shopify");
        assert_eq!(take_signals("st_drift_unit"), None);
    }

    #[test]
    fn samples_the_first_record_and_a_stride() {
        let picked: Vec<usize> = (0..60).filter(|i| sampled(*i)).collect();
        assert_eq!(picked, [0, 25, 50]);
    }
}
