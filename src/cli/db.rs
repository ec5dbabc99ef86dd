//! The database options every command that touches the sync store shares.

use std::sync::Arc;

use crate::store::{self, Cipher, DEFAULT_DATABASE_URL, Store};

#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// The sync store: sqlite://FILE (default) or postgres://...
    #[arg(long, env = "POLYCART_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

impl DbArgs {
    /// Opens the store (running migrations), with the credential key from
    /// `POLYCART_SECRET_KEY` when set.
    pub async fn open(&self) -> Result<Arc<dyn Store>, String> {
        let cipher = Cipher::from_env().map_err(|e| e.to_string())?;
        store::open(&self.database_url, cipher)
            .await
            .map_err(|e| e.to_string())
    }
}
