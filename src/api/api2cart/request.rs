//! One API2Cart request as its SDKs send it: the method from the path
//! (`/v1.1/order.list.json`), parameters from the query string and from a JSON or form
//! body (the body wins), and the keys from the `x-api-key` / `x-store-key` headers or
//! the `api_key` / `store_key` parameters. Typed accessors turn parameters into bounded
//! numbers, booleans and UTC times, refusing what does not parse.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use super::envelope::{A2cError, ReturnCode};

/// The most parameters one request may carry.
const MAX_PARAMS: usize = 200;
/// The longest parameter value accepted (a JSON body value counts as its text).
const MAX_VALUE_CHARS: usize = 64 * 1024;

/// A parsed request.
#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<String, Value>,
    /// `x-api-key` (header or parameter).
    pub api_key: Option<String>,
    /// `x-store-key` (header or parameter): a polycart store id.
    pub store_key: Option<String>,
}

impl Params {
    /// Merges the query string, the body (JSON object or form) and the key headers.
    pub fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Self, A2cError> {
        let mut values = BTreeMap::new();
        if let Some(q) = query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                values.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        let body_text = std::str::from_utf8(body)
            .map_err(|_| A2cError::invalid("the request body is not UTF-8"))?
            .trim();
        if !body_text.is_empty() {
            let is_form = headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if is_form {
                for (k, v) in url::form_urlencoded::parse(body_text.as_bytes()) {
                    values.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            } else {
                match serde_json::from_str::<Value>(body_text) {
                    Ok(Value::Object(map)) => values.extend(map),
                    _ => return Err(A2cError::invalid("the request body is not a JSON object")),
                }
            }
        }
        if values.len() > MAX_PARAMS {
            return Err(A2cError::invalid(format!(
                "more than {MAX_PARAMS} parameters"
            )));
        }
        if let Some((k, _)) = values.iter().find(|(_, v)| text_len(v) > MAX_VALUE_CHARS) {
            return Err(A2cError::invalid(format!(
                "parameter {} is longer than {MAX_VALUE_CHARS} characters",
                polycart_kit::error::excerpt(k, 40)
            )));
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let param = |values: &BTreeMap<String, Value>, name: &str| {
            values
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let api_key = header("x-api-key")
            .or_else(|| param(&values, "api_key"))
            .or_else(|| {
                header("authorization")
                    .as_deref()
                    .and_then(crate::api::auth::bearer_token)
                    .map(str::to_owned)
            });
        let store_key = header("x-store-key").or_else(|| param(&values, "store_key"));
        Ok(Self {
            values,
            api_key,
            store_key,
        })
    }

    /// A parameter as text (numbers and booleans in a JSON body are read as text).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.values.get(name)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Every parameter with its text (`None` for arrays and objects).
    pub fn fields(&self) -> impl Iterator<Item = (&str, Option<String>)> {
        self.values.keys().map(|k| (k.as_str(), self.str(k)))
    }

    /// A parameter as it came (JSON bodies carry arrays and objects).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// A bounded integer parameter, `default` when absent.
    pub fn int(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, A2cError> {
        let Some(text) = self.str(name) else {
            return Ok(default);
        };
        let n: i64 = text.parse().map_err(|_| {
            A2cError::invalid(format!("{name} must be an integer from {min} to {max}"))
        })?;
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(A2cError::invalid(format!(
                "{name} must be from {min} to {max}, not {n}"
            )))
        }
    }

    /// A boolean parameter (`true`/`false`/`1`/`0`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, A2cError> {
        match self.str(name).as_deref() {
            None => Ok(None),
            Some("true" | "1" | "True" | "TRUE") => Ok(Some(true)),
            Some("false" | "0" | "False" | "FALSE") => Ok(Some(false)),
            Some(_) => Err(A2cError::invalid(format!("{name} must be true or false"))),
        }
    }

    /// A decimal parameter (a price), bounded like `/v1` prices.
    pub fn decimal(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, A2cError> {
        let Some(text) = self.str(name) else {
            return Ok(None);
        };
        let d: rust_decimal::Decimal = text
            .parse()
            .map_err(|_| A2cError::invalid(format!("{name} must be a number")))?;
        crate::api::bounds::price(name, Some(d)).map_err(A2cError::from)?;
        Ok(Some(d))
    }

    /// A date parameter in API2Cart's format (`2024-05-01 13:45:00`, UTC), a bare date,
    /// or RFC 3339.
    pub fn date(&self, name: &str) -> Result<Option<DateTime<Utc>>, A2cError> {
        let Some(text) = self.str(name) else {
            return Ok(None);
        };
        parse_date(&text).map(Some).ok_or_else(|| {
            A2cError::invalid(format!(
                "{name} must be a date like 2024-05-01 13:45:00 (UTC), not {:?}",
                polycart_kit::error::excerpt(&text, 40)
            ))
        })
    }

    /// A comma-separated list parameter (empty entries dropped).
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let text = self.str(name)?;
        let items: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        (!items.is_empty()).then_some(items)
    }

    /// A parameter that must be there.
    pub fn required(&self, name: &str) -> Result<String, A2cError> {
        self.str(name).ok_or_else(|| {
            A2cError::new(
                ReturnCode::RequiredParameter,
                format!("required parameter {name} is not specified"),
            )
        })
    }
}

fn text_len(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        other => other.to_string().len(),
    }
}

/// Parses API2Cart's date forms; times without a zone are UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_api2carts_date_forms() {
        let want = "2024-05-01T13:45:00Z".parse::<DateTime<Utc>>().unwrap();
        for t in [
            "2024-05-01 13:45:00",
            "2024-05-01T13:45:00",
            "2024-05-01T13:45:00+0000",
            "2024-05-01T15:45:00+02:00",
        ] {
            assert_eq!(parse_date(t), Some(want), "{t}");
        }
        assert!(parse_date("2024-05-01").is_some());
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn keys_come_from_headers_or_parameters_and_the_body_wins() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "k1".parse().unwrap());
        let p = Params::parse(
            Some("store_key=s1&count=5&start=1"),
            &headers,
            br#"{"count": 7}"#,
        )
        .unwrap();
        assert_eq!(p.api_key.as_deref(), Some("k1"));
        assert_eq!(p.store_key.as_deref(), Some("s1"));
        assert_eq!(p.int("count", 1, 250, 10).unwrap(), 7);
        assert_eq!(p.int("start", 0, 10, 0).unwrap(), 1);
        assert!(p.int("count", 1, 3, 10).is_err());
        assert!(Params::parse(None, &headers, b"[1]").is_err());
    }
}
