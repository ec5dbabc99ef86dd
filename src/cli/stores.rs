//! `polycart stores add|list|remove`: connects a store (URL validated, credentials
//! encrypted at rest, entities from the adapter's capabilities), lists stores with
//! their sync state, last error and the features they run without (an optional
//! credential left out), removes one.

use std::collections::BTreeMap;

use polycart_kit::Entity;

use super::db::DbArgs;
use crate::store::UrlPolicy;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: StoresCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoresCommand {
    /// Connect a store; prints its id alone on the last line.
    Add {
        /// Registry name of the platform ("shopify").
        #[arg(long)]
        platform: String,
        /// The store's base URL (http or https, no credentials in it).
        #[arg(long)]
        url: String,
        /// A credential as name=value; repeat for each.
        #[arg(long = "credential", value_name = "NAME=VALUE")]
        credentials: Vec<String>,
        /// A platform setting as name=value (API version, plan, ...); repeat for each.
        #[arg(long = "setting", value_name = "NAME=VALUE")]
        settings: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        /// Entities to sync (default: every entity the platform lists).
        #[arg(long, value_delimiter = ',')]
        entities: Vec<Entity>,
        /// Seconds between incremental syncs.
        #[arg(long, default_value_t = 300)]
        interval: i64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List stores with their state and last error.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove a store and its records.
    Remove {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn pairs(items: &[String], what: &str) -> Result<BTreeMap<String, String>, String> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| {
                    format!(
                        "{what} {:?} is not NAME=VALUE",
                        item.split('=').next().unwrap_or("")
                    )
                })
        })
        .collect()
}

pub async fn run(args: &Args) -> Result<String, String> {
    match &args.command {
        StoresCommand::Add {
            platform,
            url,
            credentials,
            settings,
            name,
            entities,
            interval,
            db,
        } => {
            let new = crate::connect::prepare(
                crate::connect::ConnectRequest {
                    platform: platform.clone(),
                    url: url.clone(),
                    name: name.clone(),
                    credentials: pairs(credentials, "credential")?,
                    settings: pairs(settings, "setting")?,
                    entities: entities.clone(),
                    interval_secs: *interval,
                },
                UrlPolicy::from_env(),
            )
            .map_err(|e| e.to_string())?;
            let public = crate::webhook_setup::public_url_from_env()?;
            let off = crate::connect::features_off(
                &new.platform,
                new.credentials.keys().map(String::as_str),
                public.is_some(),
            );
            let store = db.open().await?;
            let info = store.add_store(&new).await.map_err(|e| e.to_string())?;
            let setup = match &public {
                Some(public) => Some(register_webhooks(store.as_ref(), &info, public).await?),
                None => None,
            };
            let names: Vec<&str> = info.entities.iter().map(|e| e.as_str()).collect();
            let mut out = format!(
                "connected {} store {:?} ({})",
                info.platform,
                info.name,
                names.join(", ")
            );
            for d in &off {
                out.push_str(&format!("\n{} off: {}", d.feature, d.reason));
            }
            match setup {
                Some(s) if s.error.is_none() => out.push_str(&format!(
                    "\nwebhooks registered at {}: {}",
                    s.address,
                    s.topics.join(", ")
                )),
                Some(s) => out.push_str(&format!(
                    "\nwebhooks not registered ({}): the store syncs by polling",
                    s.error.unwrap_or_default()
                )),
                None => {}
            }
            out.push_str(&format!("\n{}", info.id));
            Ok(out)
        }
        StoresCommand::List { json, db } => {
            let store = db.open().await?;
            let stores = store.list_stores().await.map_err(|e| e.to_string())?;
            let registering = crate::webhook_setup::public_url_from_env()?.is_some();
            let mut off = Vec::with_capacity(stores.len());
            for s in &stores {
                off.push(
                    crate::connect::disabled_features(
                        store.as_ref(),
                        &s.id,
                        &s.platform,
                        registering,
                    )
                    .await
                    .map_err(|e| e.to_string())?,
                );
            }
            if *json {
                let listed: Vec<serde_json::Value> = stores
                    .iter()
                    .zip(&off)
                    .map(|(s, off)| {
                        let mut v = serde_json::to_value(s).expect("stores serialise");
                        v["disabled_features"] =
                            serde_json::to_value(off).expect("features serialise");
                        v
                    })
                    .collect();
                return Ok(serde_json::to_string_pretty(&listed).expect("stores serialise"));
            }
            let mut out = format!(
                "{:<28} {:<12} {:<13} {:<30} LAST ERROR",
                "ID", "PLATFORM", "STATE", "NAME"
            );
            for (s, off) in stores.iter().zip(&off) {
                let retry = s
                    .retry_at
                    .map(|t| format!(" (retry at {})", t.format("%Y-%m-%d %H:%M:%S")))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "\n{:<28} {:<12} {:<13} {:<30} {}{retry}",
                    s.id,
                    s.platform,
                    s.state.as_str(),
                    s.name,
                    s.last_error.as_deref().unwrap_or("-")
                ));
                for d in off {
                    out.push_str(&format!("\n  {} off: {}", d.feature, d.reason));
                }
            }
            Ok(out)
        }
        StoresCommand::Remove { id, db } => {
            let store = db.open().await?;
            if let Some(public) = crate::webhook_setup::public_url_from_env()? {
                if let Ok(adapter) = adapter_of(store.as_ref(), id).await {
                    crate::webhook_setup::unregister(adapter.as_ref(), &public, id).await;
                }
            }
            store.remove_store(id).await.map_err(|e| e.to_string())?;
            Ok(format!("removed {id}"))
        }
    }
}

/// The adapter of connected store `id`, built from its stored configuration.
async fn adapter_of(
    store: &dyn crate::store::Store,
    id: &str,
) -> Result<std::sync::Arc<dyn polycart_kit::Adapter>, String> {
    let info = store.get_store(id).await.map_err(|e| e.to_string())?;
    let config = store.store_config(id).await.map_err(|e| e.to_string())?;
    let connector = crate::registry::connector(&info.platform).map_err(|e| e.to_string())?;
    (connector.connect)(&config, &polycart_kit::connector::AdapterContext::default())
        .map_err(|e| e.to_string())
}

/// Registers a new store's webhooks under `public`.
async fn register_webhooks(
    store: &dyn crate::store::Store,
    info: &crate::store::StoreInfo,
    public: &url::Url,
) -> Result<crate::webhook_setup::WebhookSetup, String> {
    let adapter = adapter_of(store, &info.id).await?;
    Ok(crate::webhook_setup::register(adapter.as_ref(), public, &info.id, &info.entities).await)
}
