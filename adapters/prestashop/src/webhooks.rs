//! PrestaShop's webhooks: none. The core webservice has no webhooks (they come from
//! third-party modules, each its own protocol), so `Capabilities::webhooks` is false,
//! the trait's default refuses deliveries and shops are polled.
