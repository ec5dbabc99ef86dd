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
            let off = crate::connect::features_off(
                &new.platform,
                new.credentials.keys().map(String::as_str),
            );
            let store = db.open().await?;
            let info = store.add_store(&new).await.map_err(|e| e.to_string())?;
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
            out.push_str(&format!("\n{}", info.id));
            Ok(out)
        }
        StoresCommand::List { json, db } => {
            let store = db.open().await?;
            let stores = store.list_stores().await.map_err(|e| e.to_string())?;
            let mut off = Vec::with_capacity(stores.len());
            for s in &stores {
                off.push(
                    crate::connect::disabled_features(store.as_ref(), &s.id, &s.platform)
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
            store.remove_store(id).await.map_err(|e| e.to_string())?;
            Ok(format!("removed {id}"))
        }
    }
}
