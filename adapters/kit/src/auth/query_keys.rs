//! Credentials in the query string: the fallback for hosts that strip the
//! `Authorization` header (WooCommerce's `consumer_key`/`consumer_secret`), and
//! platforms that only take keys this way (PrestaShop's `ws_key`).

use async_trait::async_trait;

use super::{Auth, PreparedRequest};
use crate::error::Result;
use crate::secret::Secret;

/// Appends each `name=secret` pair to the query.
#[derive(Debug, Clone)]
pub struct QueryKeys {
    params: Vec<(String, Secret)>,
}

impl QueryKeys {
    pub fn new(params: Vec<(String, Secret)>) -> Self {
        Self { params }
    }
}

#[async_trait]
impl Auth for QueryKeys {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let mut pairs = request.url.query_pairs_mut();
        for (name, value) in &self.params {
            pairs.append_pair(name, value.expose());
        }
        drop(pairs);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        self.params.iter().map(|(_, s)| s.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_request;

    #[tokio::test]
    async fn appends_keys() {
        let auth = QueryKeys::new(vec![
            ("consumer_key".into(), "ck_1".into()),
            ("consumer_secret".into(), "cs_2".into()),
        ]);
        let mut req = test_request(
            http::Method::GET,
            "https://shop.example/wp-json/wc/v3/orders?page=2",
        );
        auth.authorize(&mut req).await.unwrap();
        assert_eq!(
            req.url.query(),
            Some("page=2&consumer_key=ck_1&consumer_secret=cs_2")
        );
    }
}
