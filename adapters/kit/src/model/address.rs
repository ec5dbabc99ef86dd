//! A postal address as every platform's billing, shipping and customer addresses map to it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A postal address; every part a platform leaves out is `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// The region's name as the platform gave it ("California").
    pub region: Option<String>,
    /// The region's code ("CA") where the platform gives one.
    pub region_code: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Address {
    /// True when the platform sent nothing at all for this address.
    pub fn is_empty(&self) -> bool {
        *self == Address::default()
    }

    /// `None` for an address with no part filled in, so empty objects become `null`.
    pub fn non_empty(self) -> Option<Self> {
        (!self.is_empty()).then_some(self)
    }
}
