//! A static token in a header: Shopify's `X-Shopify-Access-Token`, BigCommerce's
//! `X-Auth-Token`, or `Authorization: Bearer ...` for admin tokens.

use async_trait::async_trait;
use http::{HeaderName, HeaderValue};

use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Puts `prefix + token` in `header` on every request.
#[derive(Debug, Clone)]
pub struct HeaderToken {
    header: HeaderName,
    prefix: &'static str,
    token: Secret,
}

impl HeaderToken {
    pub fn new(header: HeaderName, token: Secret) -> Self {
        Self {
            header,
            prefix: "",
            token,
        }
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(token: Secret) -> Self {
        Self {
            header: http::header::AUTHORIZATION,
            prefix: "Bearer ",
            token,
        }
    }
}

#[async_trait]
impl Auth for HeaderToken {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let mut value =
            HeaderValue::from_str(&format!("{}{}", self.prefix, self.token.expose()))
                .map_err(|_| Error::auth("the token has characters a header cannot carry"))?;
        value.set_sensitive(true);
        request.headers.insert(self.header.clone(), value);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.token.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_request;

    #[tokio::test]
    async fn sets_the_header() {
        let auth = HeaderToken::new(
            HeaderName::from_static("x-shopify-access-token"),
            "shpat_1".into(),
        );
        let mut req = test_request(http::Method::GET, "https://a.example/x");
        auth.authorize(&mut req).await.unwrap();
        assert_eq!(req.headers["x-shopify-access-token"], "shpat_1");

        let mut req = test_request(http::Method::GET, "https://a.example/x");
        HeaderToken::bearer("abc".into())
            .authorize(&mut req)
            .await
            .unwrap();
        assert_eq!(req.headers["authorization"], "Bearer abc");
    }
}
