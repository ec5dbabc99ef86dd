//! OAuth 1.0a request signing (RFC 5849), HMAC-SHA1 or HMAC-SHA256: WooCommerce's
//! one-legged signing over plain HTTP, Magento integrations.

use async_trait::async_trait;
use http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;

use super::hmac::{base64, hmac_sha1, hmac_sha256};
use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// RFC 5849 §3.6: everything but unreserved characters is percent-encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// The signature method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth1SignatureMethod {
    HmacSha1,
    HmacSha256,
}

impl OAuth1SignatureMethod {
    fn name(self) -> &'static str {
        match self {
            OAuth1SignatureMethod::HmacSha1 => "HMAC-SHA1",
            OAuth1SignatureMethod::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// Where the protocol parameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth1Placement {
    /// In the query string (WooCommerce).
    Query,
    /// In an `Authorization: OAuth ...` header.
    Header,
}

/// An OAuth 1.0a signer; one-legged when there is no token.
#[derive(Debug, Clone)]
pub struct OAuth1 {
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub token: Option<(Secret, Secret)>,
    pub method: OAuth1SignatureMethod,
    pub placement: OAuth1Placement,
    /// Send `oauth_version=1.0` (optional in RFC 5849).
    pub include_version: bool,
}

impl OAuth1 {
    /// A one-legged signer (consumer key and secret only).
    pub fn one_legged(
        consumer_key: Secret,
        consumer_secret: Secret,
        method: OAuth1SignatureMethod,
    ) -> Self {
        Self {
            consumer_key,
            consumer_secret,
            token: None,
            method,
            placement: OAuth1Placement::Query,
            include_version: false,
        }
    }

    fn protocol_params(&self, nonce: &str, timestamp: u64) -> Vec<(String, String)> {
        let mut p = vec![
            (
                "oauth_consumer_key".to_owned(),
                self.consumer_key.expose().to_owned(),
            ),
            ("oauth_nonce".to_owned(), nonce.to_owned()),
            (
                "oauth_signature_method".to_owned(),
                self.method.name().to_owned(),
            ),
            ("oauth_timestamp".to_owned(), timestamp.to_string()),
        ];
        if let Some((token, _)) = &self.token {
            p.push(("oauth_token".to_owned(), token.expose().to_owned()));
        }
        if self.include_version {
            p.push(("oauth_version".to_owned(), "1.0".to_owned()));
        }
        p
    }

    /// The signature base string (RFC 5849 §3.4.1).
    pub fn base_string(request: &PreparedRequest, protocol: &[(String, String)]) -> String {
        let url = &request.url;
        let mut base_uri = format!(
            "{}://{}",
            url.scheme(),
            url.host_str().unwrap_or_default().to_ascii_lowercase()
        );
        if let Some(port) = url.port() {
            base_uri.push_str(&format!(":{port}"));
        }
        base_uri.push_str(url.path());

        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "oauth_signature")
            .map(|(k, v)| (enc(&k), enc(&v)))
            .collect();
        let is_form = request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if let (true, Some(body)) = (is_form, &request.body) {
            params.extend(url::form_urlencoded::parse(body).map(|(k, v)| (enc(&k), enc(&v))));
        }
        params.extend(protocol.iter().map(|(k, v)| (enc(k), enc(v))));
        params.sort();
        let normalized = params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        format!(
            "{}&{}&{}",
            request.method.as_str().to_ascii_uppercase(),
            enc(&base_uri),
            enc(&normalized)
        )
    }

    /// Signs with a given nonce and timestamp (tests use the RFC's values).
    pub fn sign_with(
        &self,
        request: &mut PreparedRequest,
        nonce: &str,
        timestamp: u64,
    ) -> Result<()> {
        let protocol = self.protocol_params(nonce, timestamp);
        let base = Self::base_string(request, &protocol);
        let key = format!(
            "{}&{}",
            enc(self.consumer_secret.expose()),
            self.token
                .as_ref()
                .map(|(_, s)| enc(s.expose()))
                .unwrap_or_default()
        );
        let signature = match self.method {
            OAuth1SignatureMethod::HmacSha1 => base64(&hmac_sha1(key.as_bytes(), base.as_bytes())),
            OAuth1SignatureMethod::HmacSha256 => {
                base64(&hmac_sha256(key.as_bytes(), base.as_bytes()))
            }
        };
        match self.placement {
            OAuth1Placement::Query => {
                let mut pairs = request.url.query_pairs_mut();
                for (k, v) in &protocol {
                    pairs.append_pair(k, v);
                }
                pairs.append_pair("oauth_signature", &signature);
            }
            OAuth1Placement::Header => {
                let mut parts: Vec<String> = protocol
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", enc(v)))
                    .collect();
                parts.push(format!("oauth_signature=\"{}\"", enc(&signature)));
                let value = HeaderValue::from_str(&format!("OAuth {}", parts.join(", ")))
                    .map_err(|_| Error::auth("oauth parameters cannot be sent in a header"))?;
                request.headers.insert(http::header::AUTHORIZATION, value);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Auth for OAuth1 {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let nonce: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let timestamp = chrono::Utc::now().timestamp().max(0) as u64;
        self.sign_with(request, &nonce, timestamp)
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = vec![self.consumer_key.clone(), self.consumer_secret.clone()];
        if let Some((t, ts)) = &self.token {
            s.push(t.clone());
            s.push(ts.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_request;

    /// RFC 5849 §1.2: the photo-printing example's signed resource request.
    #[test]
    fn rfc5849_section_1_2_vector() {
        let signer = OAuth1 {
            consumer_key: "dpf43f3p2l4k3l03".into(),
            consumer_secret: "kd94hf93k423kf44".into(),
            token: Some(("nnch734d00sl2jdk".into(), "pfkkdhi9sl3r4s00".into())),
            method: OAuth1SignatureMethod::HmacSha1,
            placement: OAuth1Placement::Header,
            include_version: false,
        };
        let mut req = test_request(
            http::Method::GET,
            "http://photos.example.net/photos?file=vacation.jpg&size=original",
        );
        let protocol = signer.protocol_params("chapoH", 137131202);
        assert_eq!(
            OAuth1::base_string(&req, &protocol),
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26\
             oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26\
             oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
        );
        signer.sign_with(&mut req, "chapoH", 137131202).unwrap();
        let header = req.headers["authorization"].to_str().unwrap();
        assert!(
            header.contains("oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\""),
            "{header}"
        );
    }

    #[test]
    fn query_placement_and_sha256() {
        let signer = OAuth1::one_legged(
            "ck_x".into(),
            "cs_y".into(),
            OAuth1SignatureMethod::HmacSha256,
        );
        let mut req = test_request(
            http::Method::GET,
            "http://shop.example/wp-json/wc/v3/orders?page=2",
        );
        signer.sign_with(&mut req, "n", 1).unwrap();
        let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "page",
                "oauth_consumer_key",
                "oauth_nonce",
                "oauth_signature_method",
                "oauth_timestamp",
                "oauth_signature"
            ]
        );
        // The signature recomputes from the base string with key "cs_y&".
        let base = OAuth1::base_string(
            &test_request(
                http::Method::GET,
                "http://shop.example/wp-json/wc/v3/orders?page=2",
            ),
            &signer.protocol_params("n", 1),
        );
        let expected = base64(&hmac_sha256(b"cs_y&", base.as_bytes()));
        assert_eq!(pairs.last().unwrap().1, expected);
    }
}
