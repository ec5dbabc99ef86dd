//! The REST Admin API (stores with `api = rest`): reads ([`read`]), the unified writes
//! ([`writes`]) and webhook subscriptions ([`subscriptions`], used by both families:
//! Shopify's REST `webhooks.json` serves stores of either).

pub(crate) mod read;
pub(crate) mod subscriptions;
pub(crate) mod writes;
