//! `polycart bench store`: how fast the sync store ingests pages, measured apart from
//! any platform. Real-shaped orders (a golden Shopify order, renumbered) are committed
//! a page at a time with their pass state, exactly as a sync commits them: every page
//! is one transaction of batched upserts, change-feed rows and the cursor, and the
//! next page is prepared (serialised, hashed, compressed) on a blocking thread while
//! one commits, as the engine does with the page it read ahead.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use polycart_kit::Entity;
use serde::Serialize;

use super::orders::Orders;
use super::{BenchDb, Error, Result};
use crate::store::{Pass, PreparedCommit, PreparedPage};

/// What to run.
#[derive(Debug, Clone)]
pub struct IngestBench {
    pub records: usize,
    pub page_size: usize,
    pub database_url: Option<String>,
    /// Prepare each page inside its commit ([`crate::store::StoreRecords::commit_page`])
    /// instead of beside the commit before it.
    pub serial: bool,
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct IngestFigures {
    pub backend: String,
    pub records: u64,
    pub page_size: u64,
    /// Pages prepared beside the previous commit (false: inside their own).
    pub pipelined: bool,
    pub seconds: f64,
    pub records_per_s: f64,
    /// The same pages again, unchanged: hashing and comparing only.
    pub unchanged_records_per_s: f64,
}

pub async fn run(bench: &IngestBench) -> Result<IngestFigures> {
    let db = BenchDb::open(bench.database_url.as_deref()).await?;
    let mut orders = Orders::in_new_store(&*db.store, "ingest bench").await?;
    let store_id = orders.store_id().to_owned();
    let page_size = bench.page_size.max(1);
    let mut pages = Vec::new();
    let mut first = 0;
    while first < bench.records {
        let n = page_size.min(bench.records - first);
        pages.push(orders.range(first, n)?);
        first += n;
    }
    if pages.is_empty() {
        return Err(Error::Invalid("--records must be at least 1".into()));
    }
    let pass = Pass {
        id: db.store.next_pass_id().await?,
        full: true,
        since: None,
        started_at: Utc::now(),
        next: None,
        listed_all: false,
        max_updated: None,
    };
    let pages = Arc::new(pages);
    let prepare = |i: usize| {
        let (pages, store_id) = (pages.clone(), store_id.clone());
        tokio::task::spawn_blocking(move || PreparedPage::prepare(&store_id, &pages[i]))
    };
    let mut timings = [0.0f64; 2];
    for timing in &mut timings {
        let started = Instant::now();
        if bench.serial {
            for page in pages.iter() {
                super::orders::commit(&*db.store, &store_id, page, &pass).await?;
            }
            *timing = started.elapsed().as_secs_f64();
            continue;
        }
        let mut ahead = Some(prepare(0));
        for i in 0..pages.len() {
            let prepared = ahead
                .take()
                .expect("the next page is being prepared")
                .await
                .map_err(|e| Error::Invalid(format!("preparing a page: {e}")))??;
            if i + 1 < pages.len() {
                ahead = Some(prepare(i + 1));
            }
            db.store
                .commit_prepared(&PreparedCommit {
                    page: &prepared,
                    entity: Entity::Order,
                    pass: &pass,
                    fence: None,
                    renew_until: Utc::now(),
                })
                .await?;
        }
        *timing = started.elapsed().as_secs_f64();
    }
    let stored = db
        .store
        .count_records(&store_id, Entity::Order, false)
        .await?;
    if stored != bench.records as u64 {
        return Err(Error::Invalid(format!(
            "stored {stored} records of {}",
            bench.records
        )));
    }
    let figures = IngestFigures {
        backend: format!("{:?}", db.store.backend()).to_lowercase(),
        records: bench.records as u64,
        page_size: page_size as u64,
        pipelined: !bench.serial,
        seconds: timings[0],
        records_per_s: bench.records as f64 / timings[0].max(1e-9),
        unchanged_records_per_s: bench.records as f64 / timings[1].max(1e-9),
    };
    db.close().await;
    Ok(figures)
}
