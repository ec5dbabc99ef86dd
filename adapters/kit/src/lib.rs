//! polycart's adapter kit: the unified model every platform maps into, the `Adapter`
//! trait, the transport (rate governor, retry, auth strategies, request signers),
//! paging strategies and declarative endpoints (a plain REST platform declares its
//! listings and writes no paging loop), and the simulator toolkit. Adapters depend on this crate only; they never depend on the
//! sync store, the engine or the API.

pub mod adapter;
pub mod auth;
pub mod capabilities;
pub mod conformance;
pub mod connector;
pub mod decode;
pub mod drift;
pub mod endpoint;
pub mod envelope;
pub mod error;
pub mod golden;
pub mod meaning;
pub mod model;
pub mod net;
pub mod paging;
pub mod path;
pub mod region;
pub mod secret;
pub mod settings;
#[cfg(feature = "sim")]
pub mod sim;
pub mod transport;
pub mod walk;

pub use adapter::{
    Adapter, Capabilities, Cursor, IdRole, InventoryChange, ListQuery, Page, ShipmentItem,
    WebhookEvent, WebhookKind, Write, WriteCapabilities, WriteOp,
};
pub use connector::{Connector, StoreConfig, StoreContext};
pub use error::{Error, Result};
pub use model::{Entity, Record};
pub use path::{ApiPath, IdGrammar};
pub use secret::Secret;
