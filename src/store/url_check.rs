//! Validation of store URLs supplied by users: http(s) only, no credentials in the
//! URL, and optionally no private, loopback or link-local addresses (for hosted
//! deployments; off by default so the loopback simulators work).

use std::net::IpAddr;

use url::{Host, Url};

use super::{Error, Result};

/// Which addresses a store URL may point at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Refuse loopback, private, link-local and unspecified addresses and `localhost`.
    /// Only literal addresses and `localhost` names are checked, not DNS answers.
    pub refuse_private: bool,
}

impl UrlPolicy {
    /// `POLYCART_REFUSE_PRIVATE_URLS=1` turns the refusal on.
    pub fn from_env() -> Self {
        let on =
            std::env::var("POLYCART_REFUSE_PRIVATE_URLS").is_ok_and(|v| v == "1" || v == "true");
        Self { refuse_private: on }
    }
}

/// Parses and checks a store's base URL.
pub fn validate_store_url(text: &str, policy: UrlPolicy) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| Error::Invalid(format!("store url: {e}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(Error::Invalid(format!(
            "store url must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Invalid(
            "store url must not carry credentials; pass them with --credential".into(),
        ));
    }
    if url.fragment().is_some() {
        return Err(Error::Invalid("store url must not have a fragment".into()));
    }
    let host = url
        .host()
        .ok_or_else(|| Error::Invalid("store url has no host".into()))?;
    if policy.refuse_private {
        let private = match host {
            Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
            Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
            Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
        };
        if private {
            return Err(Error::Invalid(
                "store url points at a private or loopback address".into(),
            ));
        }
    }
    Ok(url)
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_scheme_userinfo_and_private_addresses() {
        let open = UrlPolicy::default();
        let strict = UrlPolicy {
            refuse_private: true,
        };
        assert!(validate_store_url("https://shop.example.com", strict).is_ok());
        assert!(validate_store_url("http://127.0.0.1:8080", open).is_ok());
        assert!(validate_store_url("ftp://shop.example.com", open).is_err());
        assert!(validate_store_url("https://user:pw@shop.example.com", open).is_err());
        for private in [
            "http://127.0.0.1",
            "http://10.1.2.3",
            "http://192.168.0.1",
            "http://[::1]",
            "http://localhost:3000",
            "http://169.254.169.254",
            "http://[::ffff:10.0.0.1]",
        ] {
            assert!(validate_store_url(private, strict).is_err(), "{private}");
        }
    }
}
