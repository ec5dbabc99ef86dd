//! Webhooks: none. Amazon delivers notifications (`ORDER_CHANGE`,
//! `LISTINGS_ITEM_STATUS_CHANGE`, ...) only to an Amazon SQS queue or an Amazon
//! EventBridge bus, never to an HTTP endpoint, so there is nothing to verify here:
//! stores are polled (see `docs.md`, "Webhooks").
