//! A platform's settings, declared: name, kind (and so the values it takes), default
//! and what it does. `stores add --setting` and `POST /v1/stores` check a store's
//! settings against the declaration before connecting (an unknown name lists the
//! known ones), `polycart platforms` and `GET /v1/platforms` list them, and the
//! OpenAPI description states them, so no adapter parses its settings ad hoc.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::connector::StoreConfig;
use crate::error::{Error, Result};

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum SettingKind {
    /// One of these words.
    OneOf { values: &'static [&'static str] },
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A decimal number in `min..=max` (written as text, compared exactly).
    Number {
        min: &'static str,
        max: &'static str,
    },
    /// `true` or `false`.
    Bool,
    /// An ISO 4217 currency code.
    Currency,
    /// An RFC 3339 timestamp.
    Timestamp,
    /// Free text of printable characters, at most 100 of them.
    Text,
}

/// One declared setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingSpec {
    pub name: &'static str,
    pub kind: SettingKind,
    /// The value used when the setting is not given, if there is one.
    pub default: Option<&'static str>,
    /// What the setting does, for people.
    pub doc: &'static str,
}

impl SettingSpec {
    /// `value`, checked against the kind; the error names the setting and what it takes.
    pub fn check<'a>(&self, value: &'a str) -> Result<&'a str> {
        let v = value.trim();
        let ok = match self.kind {
            SettingKind::OneOf { values } => values.contains(&v),
            SettingKind::Integer { min, max } => {
                v.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n))
            }
            SettingKind::Number { min, max } => match (
                Decimal::from_str(v),
                Decimal::from_str(min),
                Decimal::from_str(max),
            ) {
                (Ok(n), Ok(lo), Ok(hi)) => n >= lo && n <= hi,
                _ => false,
            },
            SettingKind::Bool => matches!(v, "true" | "false"),
            SettingKind::Currency => v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()),
            SettingKind::Timestamp => crate::decode::parse_datetime(v).is_some(),
            SettingKind::Text => {
                !v.is_empty() && v.chars().count() <= 100 && !v.chars().any(char::is_control)
            }
        };
        if ok {
            Ok(v)
        } else {
            Err(Error::invalid(format!(
                "setting {}: {:?} is not {}",
                self.name,
                crate::error::excerpt(value, 40),
                self.describe()
            )))
        }
    }

    /// What the setting takes, in words.
    pub fn describe(&self) -> String {
        match self.kind {
            SettingKind::OneOf { values } => format!("one of {}", values.join(", ")),
            SettingKind::Integer { min, max } => format!("a whole number from {min} to {max}"),
            SettingKind::Number { min, max } => format!("a number from {min} to {max}"),
            SettingKind::Bool => "true or false".to_owned(),
            SettingKind::Currency => "an ISO 4217 currency code".to_owned(),
            SettingKind::Timestamp => "an RFC 3339 timestamp".to_owned(),
            SettingKind::Text => "printable text of at most 100 characters".to_owned(),
        }
    }

    /// The store's value of this setting, checked and parsed, or the default.
    pub fn read<T: FromStr>(&self, store: &StoreConfig) -> Result<Option<T>> {
        let Some(text) = store.setting(self.name).or(self.default) else {
            return Ok(None);
        };
        let text = self.check(text)?;
        text.parse().map(Some).map_err(|_| {
            Error::invalid(format!(
                "setting {}: {text:?} is not {}",
                self.name,
                self.describe()
            ))
        })
    }
}

/// Checks every setting of `settings` against `specs`: unknown names and bad values
/// are `Invalid` errors naming what is accepted.
pub fn check_all(specs: &[SettingSpec], settings: &BTreeMap<String, String>) -> Result<()> {
    for (name, value) in settings {
        let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            Error::invalid(format!(
                "unknown setting {:?}; known settings: {}",
                crate::error::excerpt(name, 40),
                if known.is_empty() {
                    "(none)".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        spec.check(value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[SettingSpec] = &[
        SettingSpec {
            name: "api",
            kind: SettingKind::OneOf {
                values: &["rest", "graphql"],
            },
            default: Some("graphql"),
            doc: "",
        },
        SettingSpec {
            name: "burst",
            kind: SettingKind::Integer { min: 1, max: 10 },
            default: None,
            doc: "",
        },
        SettingSpec {
            name: "rate",
            kind: SettingKind::Number {
                min: "0.01",
                max: "1000",
            },
            default: None,
            doc: "",
        },
        SettingSpec {
            name: "refunds",
            kind: SettingKind::Bool,
            default: None,
            doc: "",
        },
    ];

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn settings_are_checked_against_their_declaration() {
        assert!(
            check_all(
                SPECS,
                &settings(&[
                    ("api", "rest"),
                    ("burst", "10"),
                    ("rate", "0.5"),
                    ("refunds", "false")
                ])
            )
            .is_ok()
        );
        for bad in [
            ("api", "soap"),
            ("burst", "11"),
            ("burst", "x"),
            ("rate", "1e400"),
            ("rate", "0"),
            ("refunds", "yes"),
        ] {
            assert!(check_all(SPECS, &settings(&[bad])).is_err(), "{bad:?}");
        }
        let unknown = check_all(SPECS, &settings(&[("colour", "red")]))
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("known settings: api, burst, rate, refunds"),
            "{unknown}"
        );
    }
}
