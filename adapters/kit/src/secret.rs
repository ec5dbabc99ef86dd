//! Secrets as a type: a credential prints as `**REDACTED**` in `Debug` and `Display`,
//! so it cannot leak into a log line or an error by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A credential (token, key, password). Read it with [`Secret::expose`] only where it
/// goes on the wire.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's value, for signing or a header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

/// Replaces every occurrence of known secrets (and their URL-encoded forms) in text.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.needles.len())
    }
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut r = Self::default();
        for s in secrets {
            r.add(s);
        }
        r
    }

    /// Adds a secret to hide; very short values are skipped (they would mangle text).
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        if value.len() < 4 {
            return;
        }
        const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let encoded = percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string();
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        for needle in [value.to_owned(), encoded, form] {
            if !self.needles.contains(&needle) {
                self.needles.push(needle);
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Text with every known secret replaced by `**REDACTED**`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), "**REDACTED**");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("shpat_abcdef");
        assert_eq!(format!("{s} {s:?}"), "**REDACTED** **REDACTED**");
    }

    #[test]
    fn redacts_plain_and_url_encoded() {
        let r = Redactor::new([&Secret::new("cs_se/cret+1")]);
        let text = "https://x?consumer_secret=cs_se%2Fcret%2B1 and cs_se/cret+1";
        assert_eq!(
            r.redact(text),
            "https://x?consumer_secret=**REDACTED** and **REDACTED**"
        );
    }
}
