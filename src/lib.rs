//! The polycart app: the adapter registry and the commands of the `polycart` binary.
//! Platforms live in their own crates under `adapters/`; this crate wires them to the
//! sync store, the engine and the unified API.

pub mod api;
pub mod bench;
pub mod cli;
pub mod config_env;
pub mod connect;
pub mod engine;
pub mod registry;
pub mod store;
pub mod telemetry;
pub mod version;
pub mod webhook_setup;
