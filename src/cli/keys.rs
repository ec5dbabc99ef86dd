//! `polycart keys create --stores a,b | --all [--name N]`: creates an API key; the key
//! is printed alone on the last line and shown only this once (only its hash is kept).

use super::db::DbArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key scoped to some stores, or to all of them.
    Create {
        /// Comma-separated store ids the key may see.
        #[arg(
            long,
            value_delimiter = ',',
            conflicts_with = "all",
            required_unless_present = "all"
        )]
        stores: Vec<String>,
        /// The key sees every store and may connect and remove stores.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "api key")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(args: &Args) -> Result<String, String> {
    match &args.command {
        KeysCommand::Create {
            stores,
            all,
            name,
            db,
        } => {
            let store = db.open().await?;
            let scope = if *all { None } else { Some(stores.as_slice()) };
            if let Some(ids) = scope {
                for id in ids {
                    store
                        .get_store(id)
                        .await
                        .map_err(|e| format!("store {id}: {e}"))?;
                }
            }
            let (key, plaintext) = store
                .create_api_key(name, scope)
                .await
                .map_err(|e| e.to_string())?;
            let scope_text = match &key.store_ids {
                None => "every store".to_owned(),
                Some(ids) => ids.join(", "),
            };
            Ok(format!(
                "created API key {} ({}) for {scope_text}; it is shown once:\n{plaintext}",
                key.id, key.name
            ))
        }
    }
}
