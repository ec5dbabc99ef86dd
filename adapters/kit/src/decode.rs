//! Decoding helpers every adapter's mapping shares: dates in the formats platforms
//! use (RFC 3339, RFC 2822, naive UTC), exact decimals from strings or numbers, ids
//! sent as numbers or strings, and list envelopes.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::{Error, Result, excerpt};
use crate::model::{Currency, Money, decimal_from_f64, parse_decimal};

/// Reads a platform timestamp as UTC: RFC 3339 with any offset, RFC 2822
/// (BigCommerce v2), or a naive `YYYY-MM-DD[T ]HH:MM:SS[.fff]` taken as UTC (the
/// `_gmt` fields of WooCommerce, Magento's timestamps), or `YYYY-MM-DD HH:MM:SS +hhmm`
/// (Ecwid's `createDate`).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S %z") {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

/// [`parse_datetime`] for an optional field, with a decode error naming `path` when
/// the text is present but unreadable.
pub fn datetime(path: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_datetime(t)
            .map(Some)
            .ok_or_else(|| Error::decode(path, format!("not a timestamp: {:?}", excerpt(t, 40)))),
    }
}

/// A unix-seconds timestamp (Shopee, Lazada, TikTok Shop, Etsy) as UTC: absent or `0`
/// (how those platforms write "not yet", e.g. an unpaid order's `pay_time`) is `None`;
/// a value chrono cannot represent is a decode error naming `path`.
pub fn unix_time(path: &str, seconds: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    match seconds {
        None | Some(0) => Ok(None),
        Some(s) => DateTime::from_timestamp(s, 0)
            .map(Some)
            .ok_or_else(|| Error::decode(path, format!("{s} is not a unix time"))),
    }
}

/// Money from a decimal string, with a decode error naming `path`.
pub fn money(path: &str, amount: &str, currency: &Currency) -> Result<Money> {
    Money::parse(amount, currency).map_err(|e| Error::decode(path, e.to_string()))
}

/// Optional money: `None` when the amount is absent or empty.
pub fn opt_money(
    path: &str,
    amount: Option<&str>,
    currency: Option<&Currency>,
) -> Result<Option<Money>> {
    match (amount.map(str::trim), currency) {
        (None | Some(""), _) => Ok(None),
        (Some(a), Some(c)) => money(path, a, c).map(Some),
        (Some(_), None) => Err(Error::decode(path, "an amount without a currency")),
    }
}

/// A currency code, with a decode error naming `path`.
pub fn currency(path: &str, code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| Error::decode(path, e.to_string()))
}

/// A decimal amount sent as a string ("25.0000") or a JSON number (12.99), read
/// exactly. Use with `#[serde(deserialize_with = "...")]` in wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dec(pub Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal number or string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dec, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Ok(Dec(Decimal::ZERO));
                }
                parse_decimal(v).map(Dec).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dec, E> {
                decimal_from_f64(v).map(Dec).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An id sent as a JSON number or a string, kept as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an id (number or string)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Id, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Id(format!("{}", v as i64)))
                } else {
                    Err(E::custom(format!("{v} is not an id")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Id {
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Splits a payload into its records: the array under the first of `keys` that the
/// top-level object has, a bare top-level array, or else the payload itself as one
/// record. Returns borrowed raw JSON of each record and whether it was a list.
pub fn split_envelope<'a>(text: &'a str, keys: &[&str]) -> Result<(Vec<&'a RawValue>, bool)> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = crate::error::decode_json_borrowed(text)?;
        return Ok((items, true));
    }
    if !trimmed.starts_with('{') {
        return Err(Error::decode(
            "$",
            format!(
                "expected a JSON object or array, got {:?}",
                excerpt(text, 40)
            ),
        ));
    }
    let map: std::collections::HashMap<&str, &RawValue> = crate::error::decode_json_borrowed(text)?;
    for key in keys {
        if let Some(inner) = map.get(key) {
            let inner_text = inner.get().trim_start();
            if inner_text.starts_with('[') {
                let items: Vec<&RawValue> = serde_json::from_str(inner.get())
                    .map_err(|e| Error::decode(format!("$.{key}"), e.to_string()))?;
                return Ok((items, true));
            }
            if inner_text.starts_with('{') {
                let raw: &RawValue = serde_json::from_str(inner.get())
                    .map_err(|e| Error::decode(format!("$.{key}"), e.to_string()))?;
                return Ok((vec![raw], false));
            }
        }
    }
    let raw: &RawValue = crate::error::decode_json_borrowed(text)?;
    Ok((vec![raw], false))
}

/// Prefixes the JSON path of a decode error with a list position (`$[3]`).
pub fn at_index(error: Error, index: usize, list: bool) -> Error {
    match error {
        Error::Decode { path, excerpt } if list => {
            let rest = path.strip_prefix('$').unwrap_or(&path);
            Error::Decode {
                path: format!("$[{index}]{rest}"),
                excerpt,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_platform_format() {
        let want = "2012-11-20T00:00:00Z";
        for t in [
            "2012-11-20T00:00:00Z",
            "2012-11-19T19:00:00-05:00",
            "Tue, 20 Nov 2012 00:00:00 +0000",
            "Mon, 19 Nov 2012 19:00:00 -0500",
            "2012-11-20T00:00:00",
            "2012-11-20 00:00:00",
        ] {
            assert_eq!(
                parse_datetime(t)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                want,
                "{t}"
            );
        }
        assert_eq!(
            parse_datetime("Fri, 1 Mar 2019 09:05:01 +0100")
                .unwrap()
                .to_rfc3339(),
            "2019-03-01T08:05:01+00:00"
        );
        // Ecwid: a space before the offset.
        assert_eq!(
            parse_datetime("2024-05-01 05:26:28 +0400")
                .unwrap()
                .to_rfc3339(),
            "2024-05-01T01:26:28+00:00"
        );
        assert!(parse_datetime("yesterday").is_none());
        assert!(datetime("$.created_at", Some("nope")).is_err());
        assert_eq!(datetime("$.x", Some("")).unwrap(), None);
    }

    #[test]
    fn unix_seconds_with_zero_as_unset() {
        assert_eq!(
            unix_time("$.t", Some(1_712_601_591))
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2024-04-08T18:39:51+00:00"
        );
        assert_eq!(unix_time("$.t", Some(0)).unwrap(), None);
        assert_eq!(unix_time("$.t", None).unwrap(), None);
        assert!(unix_time("$.t", Some(i64::MAX)).is_err());
    }

    #[test]
    fn decimals_from_strings_and_numbers() {
        let v: Vec<Dec> = serde_json::from_str(r#"["25.0000", 12.99, 3, "0.1"]"#).unwrap();
        let s: Vec<String> = v.iter().map(|d| d.0.to_string()).collect();
        assert_eq!(s, ["25.0000", "12.99", "3", "0.1"]);
        assert!(serde_json::from_str::<Dec>(r#""abc""#).is_err());
    }

    #[test]
    fn ids_from_numbers_and_strings() {
        let v: Vec<Id> = serde_json::from_str(r#"[450789469, "gid://shopify/Order/1"]"#).unwrap();
        assert_eq!(v[0].0, "450789469");
        assert_eq!(v[1].0, "gid://shopify/Order/1");
    }

    #[test]
    fn envelopes() {
        let (items, list) =
            split_envelope(r#"{"orders":[{"id":1},{"id":2}]}"#, &["orders", "order"]).unwrap();
        assert!(list);
        assert_eq!(items.len(), 2);
        let (items, list) = split_envelope(r#"{"order":{"id":1}}"#, &["orders", "order"]).unwrap();
        assert!(!list);
        assert_eq!(items[0].get(), r#"{"id":1}"#);
        let (items, list) = split_envelope(r#"{"id":1}"#, &["orders"]).unwrap();
        assert!(!list && items.len() == 1);
        let (items, list) = split_envelope(r#"[{"id":1}]"#, &["orders"]).unwrap();
        assert!(list && items.len() == 1);
        assert!(split_envelope("<html>", &["orders"]).is_err());
    }
}
