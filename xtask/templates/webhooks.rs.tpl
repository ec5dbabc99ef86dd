//! {{Name}}'s webhooks. The skeleton declares none (`Capabilities::webhooks` is
//! false, so the trait's default refuses deliveries and the store is polled); a
//! platform that signs its deliveries verifies them here with the kit's HMAC
//! helpers and registers them from `Adapter::register_webhooks`.
