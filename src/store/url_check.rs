//! Validation of store URLs supplied by users: http(s) only, no credentials in the
//! URL, and optionally no private, loopback or link-local addresses (for hosted
//! deployments). The refusal is off by default where the loopback simulators are used
//! (the command line, a server listening on loopback) and on for a server listening
//! beyond the machine ([`UrlPolicy::for_listener`]); `POLYCART_REFUSE_PRIVATE_URLS`
//! overrides both.

use std::net::{IpAddr, SocketAddr};

use polycart_kit::net::is_private_ip;
use url::{Host, Url};

use super::{Error, Result};

/// Which addresses a store URL may point at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Refuse loopback, private, link-local and unspecified addresses and `localhost`.
    /// Here only literal addresses and `localhost` names are checked; what a name
    /// resolves to is checked on every connection ([`polycart_kit::net`]).
    pub refuse_private: bool,
}

/// The variable that turns the refusal on (`1`, `true`) or off (`0`, `false`).
pub const REFUSE_PRIVATE_ENV: &str = "POLYCART_REFUSE_PRIVATE_URLS";

impl UrlPolicy {
    /// Off unless `POLYCART_REFUSE_PRIVATE_URLS` turns it on (the command line).
    pub fn from_env() -> Self {
        Self {
            refuse_private: env_choice().unwrap_or(false),
        }
    }

    /// The policy of a server listening on `addr`: a server reachable from other
    /// machines (a hosted deployment) refuses private addresses, one on loopback only
    /// (the demo, tests, a local install with simulators) accepts them, unless
    /// `POLYCART_REFUSE_PRIVATE_URLS` says otherwise.
    pub fn for_listener(addr: SocketAddr) -> Self {
        Self::listening(addr, env_choice())
    }

    fn listening(addr: SocketAddr, choice: Option<bool>) -> Self {
        Self {
            refuse_private: choice.unwrap_or(!addr.ip().is_loopback()),
        }
    }
}

/// What `POLYCART_REFUSE_PRIVATE_URLS` asks for, if it is set to a known value.
fn env_choice() -> Option<bool> {
    match std::env::var(REFUSE_PRIVATE_ENV).ok()?.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
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
            Host::Ipv4(ip) => is_private_ip(IpAddr::V4(ip)),
            Host::Ipv6(ip) => is_private_ip(IpAddr::V6(ip)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_beyond_loopback_refuses_private_addresses_by_default() {
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let v6_local: SocketAddr = "[::1]:8080".parse().unwrap();
        assert!(UrlPolicy::listening(public, None).refuse_private);
        assert!(!UrlPolicy::listening(local, None).refuse_private);
        assert!(!UrlPolicy::listening(v6_local, None).refuse_private);
        assert!(!UrlPolicy::listening(public, Some(false)).refuse_private);
        assert!(UrlPolicy::listening(local, Some(true)).refuse_private);
    }

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
            "http://0.0.0.0",
            "http://0x7f.1",
            "http://2130706433",
            "http://100.64.0.1",
            "http://198.18.0.1",
            "http://224.0.0.1",
            "http://240.0.0.1",
            "http://[fec0::1]",
            "http://[ff02::1]",
            "http://[64:ff9b::a00:1]",
            "http://[2002:7f00:1::]",
            "http://[::127.0.0.1]",
            "http://LOCALHOST.",
            "http://api.localhost",
        ] {
            assert!(validate_store_url(private, strict).is_err(), "{private}");
            assert!(validate_store_url(private, open).is_ok(), "{private}");
        }
        for public in [
            "https://8.8.8.8",
            "https://[2606:4700::1111]",
            "https://[64:ff9b::808:808]",
            "https://[2002:808:808::]",
            "https://100.128.0.1",
            "https://198.20.0.1",
        ] {
            assert!(validate_store_url(public, strict).is_ok(), "{public}");
        }
        assert!(validate_store_url("https://shop.example.com/#x", open).is_err());
        assert!(validate_store_url("https://user@shop.example.com", open).is_err());
        assert!(validate_store_url("file:///etc/passwd", open).is_err());
    }
}
