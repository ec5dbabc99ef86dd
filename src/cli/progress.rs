//! Progress bars (indicatif) for syncs run from the command line: one bar per
//! store × entity, counting records as pages commit, finished with what changed.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use polycart_kit::Entity;

use crate::engine::{Progress, SliceReport};

/// One bar per store × entity.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<(String, Entity), ProgressBar>>,
    /// Ask the platform for each pass's record count (one extra request per pass), so
    /// a bar shows how far it has come.
    totals: bool,
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Bars {
    /// Bars that count records without asking the platform for totals.
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
            totals: false,
        }
    }

    /// Bars with a length: each pass first asks the platform how many records it lists.
    pub fn with_totals() -> Self {
        Self {
            totals: true,
            ..Self::new()
        }
    }

    fn bar(&self, store: &str, entity: Entity, total: Option<u64>) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        bars.entry((store.to_owned(), entity))
            .or_insert_with(|| {
                let bar = match total {
                    Some(t) => ProgressBar::new(t),
                    None => ProgressBar::new_spinner(),
                };
                let style = ProgressStyle::with_template(
                    "{prefix:>40} {bar:30.cyan/blue} {pos:>7}/{len:7} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_prefix(format!("{store} {}", entity.plural()));
                self.multi.add(bar)
            })
            .clone()
    }

    /// Removes the bars from the terminal.
    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn wants_total(&self) -> bool {
        self.totals
    }

    fn started(&self, store: &str, entity: Entity, total: Option<u64>) {
        let bar = self.bar(store, entity, total);
        if let Some(t) = total {
            bar.set_length(t);
        }
    }

    fn page(&self, store: &str, entity: Entity, records: u64) {
        let bar = self.bar(store, entity, None);
        bar.inc(records);
        if bar.length().is_some_and(|l| l < bar.position()) {
            bar.set_length(bar.position());
        }
    }

    fn finished(&self, store: &str, entity: Entity, report: &SliceReport) {
        let bar = self.bar(store, entity, None);
        if bar.length().is_some_and(|l| l < bar.position()) {
            bar.set_length(bar.position());
        }
        bar.finish_with_message(format!(
            "{} records, {} changed, {} deleted",
            report.records, report.changed, report.deleted
        ));
    }
}
