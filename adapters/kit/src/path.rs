//! Platform URL paths, built only from code literals and validated ids.
//!
//! A caller's id (from the unified API, a webhook, a stored record) reaches a platform
//! URL only through [`ApiPath::id`]: it is checked against the platform's id grammar
//! ([`IdGrammar`]) and percent-encoded as one segment, so no id can add, remove or
//! climb a segment (`..`, `%2F`, `/`, `?`, `#`, NUL, unicode dots). Literal segments
//! are `&'static str`, so they can only come from the adapter's own code.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::error::{Error, Result};

/// The longest id accepted in a path segment.
pub const MAX_ID_LEN: usize = 255;

/// What a platform's ids look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdGrammar {
    /// Decimal digits only (1–20 of them): Shopify, WooCommerce, BigCommerce,
    /// Magento entity ids.
    Numeric,
    /// ASCII letters, digits, `-` and `_`: UUIDs, hashes, opaque keys.
    Token,
    /// Free text such as a SKU: any printable characters except a lone dot segment;
    /// percent-encoded whole (a `/` inside a SKU becomes `%2F`).
    Text,
}

impl IdGrammar {
    fn describe(self) -> &'static str {
        match self {
            IdGrammar::Numeric => "numeric",
            IdGrammar::Token => "letters, digits, '-' and '_'",
            IdGrammar::Text => "printable text",
        }
    }

    /// `id` if it is a valid id of this grammar, else a `NotFound` error naming what
    /// was expected (the id itself is quoted, shortened): no record of this platform
    /// can have it, which is what a caller needs to know.
    pub fn check<'a>(self, id: &'a str) -> Result<&'a str> {
        let ok = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && match self {
                IdGrammar::Numeric => id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()),
                IdGrammar::Token => id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                IdGrammar::Text => {
                    !id.chars().any(char::is_control)
                        && !id.chars().all(is_dot_like)
                        && id.trim() == id
                }
            };
        if ok {
            Ok(id)
        } else {
            Err(Error::not_found(format!(
                "{:?} (no record has it: this platform's ids are {})",
                crate::error::excerpt(id, 40),
                self.describe()
            )))
        }
    }
}

/// Characters that some servers or URL parsers treat as a dot segment.
fn is_dot_like(c: char) -> bool {
    matches!(
        c,
        '.' | '\u{2024}' | '\u{FE52}' | '\u{FF0E}' | '\u{3002}' | '\u{FF61}'
    )
}

/// Everything but unreserved characters is encoded in an id segment (`.` too, so an
/// id never reads as a dot segment anywhere in a chain of proxies).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// A relative platform path (`orders/123/notes`), safe by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath(String);

impl ApiPath {
    /// A path starting with a literal (`"v3/catalog/products"`, `"orders"`).
    pub fn new(literal: &'static str) -> Self {
        Self(String::new()).lit(literal)
    }

    /// Appends literal segments from the adapter's code.
    pub fn lit(mut self, literal: &'static str) -> Self {
        debug_assert!(
            !literal.contains(['?', '#', '%', '\\']) && !literal.split('/').any(|s| s == ".."),
            "{literal:?} is not a plain path literal"
        );
        let literal = literal.trim_matches('/');
        if !literal.is_empty() {
            if !self.0.is_empty() {
                self.0.push('/');
            }
            self.0.push_str(literal);
        }
        self
    }

    /// Appends one id segment, validated against `grammar` and percent-encoded.
    pub fn id(mut self, grammar: IdGrammar, id: &str) -> Result<Self> {
        let id = grammar.check(id)?;
        if !self.0.is_empty() {
            self.0.push('/');
        }
        self.0.extend(utf8_percent_encode(id, SEGMENT));
        Ok(self)
    }

    /// Appends a numeric id segment (the common case).
    pub fn num(self, id: &str) -> Result<Self> {
        self.id(IdGrammar::Numeric, id)
    }

    /// Glues a literal suffix to the last segment (`orders/123` + `.json`).
    pub fn suffix(mut self, suffix: &'static str) -> Self {
        debug_assert!(!suffix.contains(['/', '?', '#', '%']));
        self.0.push_str(suffix);
        self
    }

    /// The path as text, without a leading slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `root` (whose path is kept, with or without a trailing slash) + this path.
    pub fn under(&self, root: &Url) -> Url {
        let mut url = root.clone();
        url.set_query(None);
        url.set_fragment(None);
        let base = root.path().trim_end_matches('/');
        url.set_path(&format!("{base}/{}", self.0));
        url
    }
}

impl std::fmt::Display for ApiPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an attacker sends in place of an id: each must be refused by every id
/// grammar but [`IdGrammar::Text`], which encodes it into one segment or refuses it.
/// Shared with the API's tests, which send each to every route that takes an id.
pub const HOSTILE_IDS: &[&str] = &[
    "..",
    "../products/1",
    "..%2Fproducts%2F1",
    "%2e%2e",
    "1/2",
    "/",
    "1?status=draft",
    "1#x",
    "1\0",
    "\u{FF0E}\u{FF0E}",
    "\u{2024}\u{2024}",
    "",
    " 1",
    "1 ",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_never_become_numeric_or_token_segments() {
        for bad in HOSTILE_IDS {
            assert!(ApiPath::new("orders").num(bad).is_err(), "{bad:?}");
            assert!(
                ApiPath::new("orders").id(IdGrammar::Token, bad).is_err(),
                "{bad:?}"
            );
        }
        assert!(ApiPath::new("o").num("123456789012345678901").is_err());
        assert!(ApiPath::new("o").num("-1").is_err());
        assert!(ApiPath::new("o").num("+1").is_err());
    }

    #[test]
    fn text_ids_are_one_encoded_segment_or_refused() {
        let root = Url::parse("https://shop.example/rest/V1/").unwrap();
        for bad in ["..", ".", "\u{FF0E}\u{FF0E}", "a\0b", "", " a"] {
            assert!(
                ApiPath::new("products").id(IdGrammar::Text, bad).is_err(),
                "{bad:?}"
            );
        }
        for (sku, segment) in [
            ("../x", "..%2Fx"),
            ("a/b", "a%2Fb"),
            ("a?b#c", "a%3Fb%23c"),
            ("%2e%2e", "%252e%252e"),
            ("TS-01 L", "TS-01%20L"),
        ] {
            let url = ApiPath::new("products")
                .id(IdGrammar::Text, sku)
                .unwrap()
                .under(&root);
            let encoded = segment.replace('.', "%2E");
            assert_eq!(
                url.path(),
                format!("/rest/V1/products/{encoded}"),
                "{sku:?}"
            );
            assert_eq!(url.path_segments().unwrap().count(), 4, "{sku:?}");
            assert_eq!(url.query(), None);
        }
    }

    #[test]
    fn paths_join_under_a_root_path() {
        let root = Url::parse("https://api.example/stores/abc?x=1").unwrap();
        let url = ApiPath::new("v2/orders")
            .num("42")
            .unwrap()
            .lit("shipments")
            .under(&root);
        assert_eq!(
            url.as_str(),
            "https://api.example/stores/abc/v2/orders/42/shipments"
        );
        let url = ApiPath::new("orders")
            .num("7")
            .unwrap()
            .suffix(".json")
            .under(&Url::parse("http://h/admin/api/2026-10/").unwrap());
        assert_eq!(url.as_str(), "http://h/admin/api/2026-10/orders/7.json");
    }
}
