//! Platforms with one API host per region (Lazada's six ventures, Shopee's regions):
//! the fixed list of regions and their hosts, and the API root a store's `base_url`
//! and region setting give. When `base_url` is on the platform's own domain it must be
//! the host of the store's region (a seller's token covers one region, so a mismatch is
//! a misconfiguration caught before any request); any other host — a simulator, a
//! proxy — is used as given.

use url::Url;

use crate::error::{Error, Result};

/// A platform's regions and their API hosts.
#[derive(Debug, Clone, Copy)]
pub struct RegionalHosts {
    /// `(region, host)`: `("sg", "api.lazada.sg")`.
    pub regions: &'static [(&'static str, &'static str)],
    /// Text every host of the platform contains (`"lazada."`): a `base_url` with it is
    /// on the platform and must match its region.
    pub platform_marker: &'static str,
}

impl RegionalHosts {
    /// The API host of `region`.
    pub fn host(&self, region: &str) -> Option<&'static str> {
        self.regions
            .iter()
            .find(|(r, _)| *r == region)
            .map(|(_, h)| *h)
    }

    /// Whether `base_url` names one of the platform's own hosts.
    pub fn on_platform(&self, base_url: &Url) -> bool {
        base_url
            .host_str()
            .is_some_and(|h| h.contains(self.platform_marker))
    }

    /// Checks `base_url` against `region`: on the platform, the region is required and
    /// the host must be its host; elsewhere `base_url` stands.
    pub fn check(&self, base_url: &Url, region: Option<&str>) -> Result<()> {
        if !self.on_platform(base_url) {
            return Ok(());
        }
        let names = || {
            self.regions
                .iter()
                .map(|(r, _)| *r)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let region = region.ok_or_else(|| {
            Error::invalid(format!("the region setting is required ({})", names()))
        })?;
        let expected = self
            .host(region)
            .ok_or_else(|| Error::invalid(format!("unknown region {region:?} ({})", names())))?;
        let host = base_url.host_str().unwrap_or_default();
        if host != expected {
            return Err(Error::invalid(format!(
                "base_url host {host} is not the API host of region {region} ({expected})"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: RegionalHosts = RegionalHosts {
        regions: &[("sg", "api.example.sg"), ("th", "api.example.co.th")],
        platform_marker: "example.",
    };

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn a_platform_host_must_be_its_regions() {
        assert_eq!(HOSTS.host("th"), Some("api.example.co.th"));
        assert!(
            HOSTS
                .check(&url("https://api.example.co.th/rest"), Some("th"))
                .is_ok()
        );
        let wrong = HOSTS.check(&url("https://api.example.sg/rest"), Some("th"));
        assert!(wrong.unwrap_err().to_string().contains("api.example.co.th"));
        assert!(
            HOSTS
                .check(&url("https://api.example.sg/rest"), None)
                .is_err()
        );
        assert!(
            HOSTS
                .check(&url("https://api.example.sg/rest"), Some("uk"))
                .is_err()
        );
        // A simulator or proxy stands as given.
        assert!(HOSTS.check(&url("http://127.0.0.1:9/rest"), None).is_ok());
    }
}
