//! `polycart sync [--store ID | --all] [--entities ...] [--full]`: syncs to the end
//! with a progress bar per store × entity, then prints a summary (exit status 1 when a
//! pair failed or was interrupted). SIGTERM or Ctrl-C stops it after the pages in
//! flight; interrupted (even by kill -9), it resumes from the last committed page.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use polycart_kit::Entity;

use super::db::DbArgs;
use super::progress::Bars;
use crate::engine::{Engine, EngineOptions, RegistrySource, SyncMode};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to sync.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    pub store: Option<String>,
    /// Sync every store.
    #[arg(long)]
    pub all: bool,
    /// Only these entities (default: the store's configured entities).
    #[arg(long, value_delimiter = ',')]
    pub entities: Vec<Entity>,
    /// A full pass with reconciliation of deleted records.
    #[arg(long)]
    pub full: bool,
    /// Store × entity pairs synced at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(args: &Args) -> Result<String, String> {
    let store = args.db.open().await?;
    let stores = match &args.store {
        Some(id) => vec![store.get_store(id).await.map_err(|e| e.to_string())?],
        None => store.list_stores().await.map_err(|e| e.to_string())?,
    };
    let mut pairs = Vec::new();
    for s in &stores {
        for e in &s.entities {
            if args.entities.is_empty() || args.entities.contains(e) {
                pairs.push((s.id.clone(), *e));
            }
        }
    }
    if pairs.is_empty() {
        return Err("nothing to sync: no store (or no such entity) is connected".to_owned());
    }
    let opts = EngineOptions {
        concurrency: args.concurrency.max(1),
        ..EngineOptions::default()
    };
    let engine = Engine::new(store, Arc::new(RegistrySource::default()), opts);
    let bars = Bars::with_totals();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            super::shutdown_signal().await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    let mode = if args.full {
        SyncMode::Full
    } else {
        SyncMode::Auto
    };
    let results = engine.sync_all(pairs, mode, &bars, &stop).await;
    let mut out = String::from("summary:");
    let (mut failed, mut unfinished) = (0, 0);
    for (store_id, entity, result) in &results {
        match result {
            Ok(r) if r.done => out.push_str(&format!(
                "\n  {store_id} {entity:<9} ok: {} records in {} pages, {} changed, {} deleted{}",
                r.records,
                r.pages,
                r.changed,
                r.deleted,
                if r.full { " (full pass)" } else { "" }
            )),
            Ok(r) => {
                unfinished += 1;
                out.push_str(&format!(
                    "\n  {store_id} {entity:<9} interrupted after {} pages (the next sync resumes it)",
                    r.pages
                ));
            }
            Err(e) => {
                failed += 1;
                out.push_str(&format!("\n  {store_id} {entity:<9} FAILED: {e}"));
            }
        }
    }
    // An interrupted sync did not run to completion: it exits non-zero too.
    if failed + unfinished > 0 {
        Err(out)
    } else {
        Ok(out)
    }
}
