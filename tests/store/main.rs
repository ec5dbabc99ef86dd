//! The sync store's suite: every concern's behaviour, each test run on SQLite and (when
//! `POLYCART_TEST_PG_URL` is set; under `CI=true` it must be) PostgreSQL, through the
//! `Store` trait the engine and the API use. One module per concern, as in
//! `src/store/`; the feed's retention and compaction are in `tests/retention.rs`, the
//! engine's behaviour on top of the store in `tests/engine/`.

#[path = "../common/mod.rs"]
mod common;

mod dashboard;
mod drift;
mod feed;
mod idempotency;
mod jobs;
mod records;
mod stores;
mod subscriptions;
