//! HTTP basic auth (RFC 7617): WooCommerce's consumer key and secret over HTTPS.

use async_trait::async_trait;
use base64::Engine;
use http::HeaderValue;

use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// `Authorization: Basic base64(user:password)`.
#[derive(Debug, Clone)]
pub struct Basic {
    user: Secret,
    password: Secret,
}

impl Basic {
    pub fn new(user: Secret, password: Secret) -> Self {
        Self { user, password }
    }

    fn header_value(&self) -> String {
        let pair = format!("{}:{}", self.user.expose(), self.password.expose());
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

#[async_trait]
impl Auth for Basic {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let mut value = HeaderValue::from_str(&self.header_value())
            .map_err(|_| Error::auth("credentials cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert(http::header::AUTHORIZATION, value);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![
            self.user.clone(),
            self.password.clone(),
            Secret::new(self.header_value()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_request;

    #[tokio::test]
    async fn rfc7617_example() {
        let auth = Basic::new("Aladdin".into(), "open sesame".into());
        let mut req = test_request(http::Method::GET, "https://a.example/");
        auth.authorize(&mut req).await.unwrap();
        assert_eq!(
            req.headers["authorization"],
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
