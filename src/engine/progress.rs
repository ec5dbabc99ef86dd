//! Progress adapters for a sync made of a pass and its catch-up pass: the caller's
//! progress sink sees one bar per store × entity, started once and finished once with
//! the combined figures.

use polycart_kit::Entity;

use super::Progress;

/// Forwards everything but the end: the caller reports it once the catch-up is done.
pub(super) struct Deferred<'a>(&'a dyn Progress);

impl<'a> Deferred<'a> {
    pub(super) fn new(inner: &'a dyn Progress) -> Self {
        Self(inner)
    }
}

impl Progress for Deferred<'_> {
    fn wants_total(&self) -> bool {
        self.0.wants_total()
    }
    fn started(&self, store: &str, entity: Entity, total: Option<u64>) {
        self.0.started(store, entity, total);
    }
    fn page(&self, store: &str, entity: Entity, records: u64) {
        self.0.page(store, entity, records);
    }
}

/// A catch-up pass continuing a bar already started: only its pages are counted.
pub(super) struct Continued<'a>(pub(super) &'a dyn Progress);

impl Progress for Continued<'_> {
    fn page(&self, store: &str, entity: Entity, records: u64) {
        self.0.page(store, entity, records);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::engine::SliceReport;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Progress for Log {
        fn wants_total(&self) -> bool {
            true
        }
        fn started(&self, _: &str, _: Entity, total: Option<u64>) {
            self.0.lock().unwrap().push(format!("started {total:?}"));
        }
        fn page(&self, _: &str, _: Entity, records: u64) {
            self.0.lock().unwrap().push(format!("page {records}"));
        }
        fn finished(&self, _: &str, _: Entity, report: &SliceReport) {
            self.0
                .lock()
                .unwrap()
                .push(format!("finished {}", report.records));
        }
    }

    #[test]
    fn a_pass_and_its_catch_up_start_and_finish_once() {
        let log = Log::default();
        let report = SliceReport {
            records: 7,
            ..SliceReport::default()
        };
        let first = Deferred::new(&log);
        assert!(first.wants_total());
        first.started("s", Entity::Order, Some(5));
        first.page("s", Entity::Order, 5);
        first.finished("s", Entity::Order, &report);
        let more = Continued(&log);
        assert!(!more.wants_total(), "a catch-up asks for no count");
        more.started("s", Entity::Order, Some(2));
        more.page("s", Entity::Order, 2);
        more.finished("s", Entity::Order, &report);
        assert_eq!(
            *log.0.lock().unwrap(),
            vec!["started Some(5)", "page 5", "page 2"]
        );
    }
}
