//! Which network addresses polycart may call. A hosted deployment must not be made to
//! call its own network (SSRF): with the policy on ([`refuse_private_addresses`]),
//! every connection polycart opens — platform requests, token endpoints, bulk
//! downloads, outbound webhook deliveries, any redirect — resolves names through
//! [`PolicyResolver`], which drops private, loopback, link-local, CGNAT, multicast and
//! IPv4-mapped addresses at connection time (so a DNS answer that changes after a
//! store was added cannot slip through), and literal addresses are checked before a
//! request is sent ([`check_url`]). The policy is the process's: the app sets it from
//! where it listens and `POLYCART_REFUSE_PRIVATE_URLS`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::error::{Error, Result};

static REFUSE_PRIVATE: AtomicBool = AtomicBool::new(false);

/// Turns the refusal of private addresses on or off for the whole process.
pub fn refuse_private_addresses(on: bool) {
    REFUSE_PRIVATE.store(on, Ordering::SeqCst);
}

/// Whether private addresses are refused now.
pub fn refusing_private() -> bool {
    REFUSE_PRIVATE.load(Ordering::SeqCst)
}

/// Addresses a hosted deployment must not be made to call: loopback, private,
/// shared (CGNAT), link-local, "this network", benchmarking, reserved, multicast and
/// broadcast; IPv6 unique-local, link- and site-local, multicast, and IPv4 addresses
/// embedded in IPv6 (mapped, compatible, NAT64, 6to4).
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (b & 0xc0) == 64)
                || (a == 198 && (b & 0xfe) == 18)
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::new(
                    (hi >> 8) as u8,
                    hi as u8,
                    (lo >> 8) as u8,
                    lo as u8,
                ))
            };
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_ip(IpAddr::V4(v4));
            }
            // ::a.b.c.d (deprecated "compatible"), 64:ff9b::a.b.c.d (NAT64).
            if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return v6.is_loopback()
                    || v6.is_unspecified()
                    || is_private_ip(embedded(s[6], s[7]));
            }
            // 2002:AABB:CCDD::/48 (6to4).
            if s[0] == 0x2002 && is_private_ip(embedded(s[1], s[2])) {
                return true;
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
        }
    }
}

/// A name that resolved only to addresses the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to private or internal addresses, which this deployment refuses to call"
)]
pub struct PrivateAddress {
    pub host: String,
}

/// A DNS resolver that drops the addresses the policy refuses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyResolver;

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = allowed(found);
            if allowed.is_empty() {
                return Err(
                    Box::new(PrivateAddress { host }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `found` the policy allows now.
fn allowed(found: Vec<SocketAddr>) -> Vec<SocketAddr> {
    if !refusing_private() {
        return found;
    }
    found
        .into_iter()
        .filter(|a| !is_private_ip(a.ip()))
        .collect()
}

/// Refuses a URL whose host is a literal address the policy refuses (names are
/// checked when they are resolved).
pub fn check_url(url: &Url) -> Result<()> {
    if !refusing_private() {
        return Ok(());
    }
    let private = match url.host() {
        Some(Host::Ipv4(ip)) => is_private_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_private_ip(IpAddr::V6(ip)),
        Some(Host::Domain(_)) => false,
        None => true,
    };
    if private {
        return Err(Error::Invalid {
            message: "the URL points at a private or internal address, which this deployment refuses to call".into(),
        });
    }
    Ok(())
}

/// Checks a configurable endpoint that credentials are sent to (a token host, a
/// regional API host): HTTPS, or plain HTTP to this machine only (a simulator).
/// `what` names the setting in the error.
pub fn check_credential_endpoint(url: &Url, what: &str) -> Result<()> {
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => check_url(url),
        "http" if loopback => check_url(url),
        _ => Err(Error::Invalid {
            message: format!("{what}: an https URL is required"),
        }),
    }
}

/// A client builder every polycart HTTP client starts from: names resolved through
/// [`PolicyResolver`], redirects not followed.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PolicyResolver))
        .redirect(reqwest::redirect::Policy::none())
}

/// A redirect policy that follows at most `max` redirects and never one to a refused
/// literal address (names are refused by the resolver).
pub fn redirect_policy(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= max {
            attempt.stop()
        } else if let Err(e) = check_url(attempt.url()) {
            attempt.error(e)
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_internal_and_embedded_addresses_are_private() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::1",
        ] {
            assert!(is_private_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_private_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused_at_connection() {
        refuse_private_addresses(true);
        let refused = PolicyResolver
            .resolve("localhost".parse::<Name>().unwrap())
            .await;
        refuse_private_addresses(false);
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("localhost resolves only to private"),
            "{message}"
        );
        assert!(
            PolicyResolver
                .resolve("localhost".parse::<Name>().unwrap())
                .await
                .is_ok()
        );
    }

    #[test]
    fn credential_endpoints_are_https_or_loopback_http() {
        let ok = |u: &str| check_credential_endpoint(&u.parse().unwrap(), "auth_url").is_ok();
        assert!(ok("https://auth.tiktok-shops.com/"));
        assert!(ok("http://127.0.0.1:8080/"));
        assert!(ok("http://localhost:1/"));
        assert!(!ok("http://auth.tiktok-shops.com/"));
        assert!(!ok("ftp://127.0.0.1/"));
        assert!(!ok("http://10.0.0.1/"));
    }
}
