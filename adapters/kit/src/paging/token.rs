//! Opaque-token paging: the body names the next page's token (Shopee's
//! `response.next_cursor` with `response.more`, Squarespace's
//! `pagination.nextPageCursor` with `pagination.hasNextPage`, Wix's
//! `metadata.cursors.next`), sent back as a parameter. Some platforms take the
//! listing's filters on the first request only (Squarespace refuses `modifiedAfter`
//! next to `cursor`): [`BodyToken::filters_first_page_only`].

use serde::{Deserialize, Serialize};

use super::{PageRequest, PageView, state};
use crate::adapter::Cursor;
use crate::envelope::pointer;
use crate::error::{Error, Result};

/// Token paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyToken {
    /// The request parameter carrying the token.
    pub param: &'static str,
    /// The page-size parameter, if the platform has one.
    pub size: Option<&'static str>,
    /// JSON pointer to the next token in the body.
    pub next: &'static str,
    /// JSON pointer to a "there is more" boolean, if the platform sends one.
    pub more: Option<&'static str>,
    /// Later requests carry the token alone, without the listing's filters.
    pub filters_first_page_only: bool,
}

/// The cursor: `{"token": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    token: String,
}

impl BodyToken {
    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        if let Some(s) = state::<State>(at)? {
            r.push(self.param, s.token);
        }
        if let Some(size) = self.size {
            r.push(size, limit.to_string());
        }
        Ok(r)
    }

    pub fn next(&self, view: &PageView<'_>) -> Result<Option<Cursor>> {
        if let Some(more) = self.more {
            let more = pointer(view.body, more)?.map(|v| v.get().trim());
            if more != Some("true") {
                return Ok(None);
            }
        }
        let Some(raw) = pointer(view.body, self.next)? else {
            return Ok(None);
        };
        let token = match serde_json::from_str::<serde_json::Value>(raw.get()) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::decode(
                    crate::envelope::json_path(self.next),
                    "the next-page token is not a string",
                ));
            }
        };
        Ok((!token.is_empty()).then(|| Cursor::encode(&State { token })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn view<'a>(h: &'a HeaderMap, body: &'a str) -> PageView<'a> {
        PageView {
            headers: h,
            body,
            items: &[],
        }
    }

    #[test]
    fn reads_the_token_while_there_is_more() {
        let shopee = BodyToken {
            param: "cursor",
            size: Some("page_size"),
            next: "/response/next_cursor",
            more: Some("/response/more"),
            filters_first_page_only: false,
        };
        let h = HeaderMap::new();
        let more = r#"{"response":{"more":true,"next_cursor":"20","order_list":[]}}"#;
        let next = shopee.next(&view(&h, more)).unwrap().unwrap();
        assert_eq!(
            shopee.request(Some(&next), 50).unwrap().query,
            [
                ("cursor".to_owned(), "20".to_owned()),
                ("page_size".to_owned(), "50".to_owned())
            ]
        );
        let done = r#"{"response":{"more":false,"next_cursor":"40"}}"#;
        assert!(shopee.next(&view(&h, done)).unwrap().is_none());
        let squarespace = BodyToken {
            param: "cursor",
            size: None,
            next: "/pagination/nextPageCursor",
            more: None,
            filters_first_page_only: true,
        };
        let last = r#"{"result":[],"pagination":{"hasNextPage":false,"nextPageCursor":null}}"#;
        assert!(squarespace.next(&view(&h, last)).unwrap().is_none());
        let odd = r#"{"pagination":{"nextPageCursor":{"x":1}}}"#;
        assert!(squarespace.next(&view(&h, odd)).is_err());
    }
}
