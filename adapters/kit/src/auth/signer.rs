//! The request-signer trait the marketplace adapters implement (Shopee, Lazada,
//! TikTok Shop, Temu each hash a different canonical string), and the wrapper that
//! turns any signer into an [`Auth`] strategy.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Auth, PreparedRequest};
use crate::error::Result;
use crate::secret::Secret;

/// Signs one request: computes the platform's canonical string at `now` and adds the
/// signature (and its timestamp, app key, ...) to the query, headers or body.
pub trait RequestSigner: Send + Sync {
    fn sign(&self, request: &mut PreparedRequest, now: DateTime<Utc>) -> Result<()>;

    /// Every secret the signer holds, for redaction.
    fn secrets(&self) -> Vec<Secret>;
}

/// An [`Auth`] that signs each request with `S` at the moment it is sent.
#[derive(Debug, Clone)]
pub struct Signed<S>(pub S);

#[async_trait]
impl<S: RequestSigner> Auth for Signed<S> {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        self.0.sign(request, Utc::now())
    }

    fn secrets(&self) -> Vec<Secret> {
        self.0.secrets()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::hmac::{hex, hmac_sha256};
    use crate::auth::test_request;

    /// A Shopee-style signer: hex(HMAC-SHA256(key, partner_id + path + timestamp)).
    struct PathSigner {
        partner_id: u64,
        key: Secret,
    }

    impl RequestSigner for PathSigner {
        fn sign(&self, request: &mut PreparedRequest, now: DateTime<Utc>) -> Result<()> {
            let ts = now.timestamp();
            let base = format!("{}{}{}", self.partner_id, request.url.path(), ts);
            let sign = hex(&hmac_sha256(self.key.expose().as_bytes(), base.as_bytes()));
            request
                .url
                .query_pairs_mut()
                .append_pair("partner_id", &self.partner_id.to_string())
                .append_pair("timestamp", &ts.to_string())
                .append_pair("sign", &sign);
            Ok(())
        }

        fn secrets(&self) -> Vec<Secret> {
            vec![self.key.clone()]
        }
    }

    #[test]
    fn a_signer_adds_its_signature() {
        let signer = PathSigner {
            partner_id: 1,
            key: "k".into(),
        };
        let mut req = test_request(
            http::Method::GET,
            "https://p.example/api/v2/shop/get_shop_info",
        );
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        signer.sign(&mut req, now).unwrap();
        let expected = hex(&hmac_sha256(b"k", b"1/api/v2/shop/get_shop_info1700000000"));
        assert_eq!(
            req.url.query(),
            Some(format!("partner_id=1&timestamp=1700000000&sign={expected}").as_str())
        );
    }
}
