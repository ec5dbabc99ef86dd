//! GraphQL connection paging (Relay): the request's `first`/`after` variables, the
//! response's `pageInfo { hasNextPage endCursor }` (Shopify Admin GraphQL, BigCommerce
//! storefront GraphQL, Wix's v3 queries in the same shape).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PageRequest, PageView, state};
use crate::adapter::Cursor;
use crate::envelope::{json_path, pointer};
use crate::error::{Error, Result};

/// Connection paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// The page-size variable (`first`).
    pub first: &'static str,
    /// The cursor variable (`after`).
    pub after: &'static str,
    /// JSON pointer to the connection's `pageInfo` (`/data/orders/pageInfo`).
    pub page_info: &'static str,
}

/// The cursor: `{"after": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    after: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

impl Connection {
    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        r.variables
            .insert(self.first.to_owned(), Value::from(limit));
        if let Some(s) = state::<State>(at)? {
            r.variables
                .insert(self.after.to_owned(), Value::String(s.after));
        }
        Ok(r)
    }

    pub fn next(&self, view: &PageView<'_>) -> Result<Option<Cursor>> {
        let path = json_path(self.page_info);
        let raw = pointer(view.body, self.page_info)?
            .ok_or_else(|| Error::decode(path.clone(), "missing"))?;
        let info: PageInfo = crate::error::decode_json(raw.get()).map_err(|e| match e {
            Error::Decode { path: p, excerpt } => Error::Decode {
                path: format!("{path}{}", p.strip_prefix('$').unwrap_or(&p)),
                excerpt,
            },
            other => other,
        })?;
        Ok(match (info.has_next_page, info.end_cursor) {
            (true, Some(after)) if !after.is_empty() => Some(Cursor::encode(&State { after })),
            (true, _) => {
                return Err(Error::decode(
                    format!("{path}.endCursor"),
                    "hasNextPage without an endCursor",
                ));
            }
            (false, _) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    #[test]
    fn pages_by_end_cursor() {
        let c = Connection {
            first: "first",
            after: "after",
            page_info: "/data/orders/pageInfo",
        };
        let h = HeaderMap::new();
        let body =
            r#"{"data":{"orders":{"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":"eyJ"}}}}"#;
        let view = PageView {
            headers: &h,
            body,
            items: &[],
        };
        let next = c.next(&view).unwrap().unwrap();
        let r = c.request(Some(&next), 50).unwrap();
        assert_eq!(r.variables["first"], 50);
        assert_eq!(r.variables["after"], "eyJ");
        assert!(c.request(None, 5).unwrap().variables.get("after").is_none());
        let last = r#"{"data":{"orders":{"pageInfo":{"hasNextPage":false,"endCursor":null}}}}"#;
        assert!(c.next(&PageView { body: last, ..view }).unwrap().is_none());
        let broken = r#"{"data":{"orders":{"pageInfo":{"hasNextPage":"yes"}}}}"#;
        let err = c
            .next(&PageView {
                body: broken,
                ..view
            })
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path.starts_with("$.data.orders.pageInfo")),
            "{err:?}"
        );
    }
}
