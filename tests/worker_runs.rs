//! Worker identity and abandoned runs, each test on SQLite and (when
//! `POLYCART_TEST_PG_URL` is set) PostgreSQL: a run under a lease is recorded under the
//! lease owner's name whatever the engine's own default name, a worker loop named `w4`
//! records every lease and run as `w4`, and a run whose worker died is closed as
//! abandoned when another worker takes its lease over (by the scheduler's lease or by
//! `polycart sync`'s claim), never left running and never reopened by a late finish.
//! The `polycart worker --id` binary is checked end to end in `tests/cli_sync.rs`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::*;
use polycart::engine::{Job, NoProgress};
use polycart::store::{NewStore, RunState, Store, SyncRun};
use polycart_kit::{Adapter, Entity};

fn never() -> bool {
    false
}

async fn one_job_store(store: &Arc<dyn Store>, seed: u64) -> String {
    store
        .add_store(&NewStore {
            name: "one job".into(),
            platform: "testshop".into(),
            base_url: url::Url::parse(&shop_url(seed, 3)).unwrap(),
            credentials: BTreeMap::new(),
            settings: BTreeMap::new(),
            entities: vec![Entity::Customer],
            interval_secs: 3600,
        })
        .await
        .unwrap()
        .id
}

async fn run(store: &Arc<dyn Store>, store_id: &str, id: i64) -> SyncRun {
    store
        .runs(Some(store_id))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .expect("the run is recorded")
}

#[tokio::test]
async fn a_run_under_a_lease_is_recorded_under_the_lease_owners_name() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(61, 30));
        let (source, id) = connect(&b.store, &adapter).await;
        // An engine still carrying a default `host:pid` name runs a job leased by w4.
        let engine = engine(b.store.clone(), source, |o| {
            o.worker_id = "host:4242".into()
        });
        let now = Utc::now();
        let lease = b
            .store
            .claim_job(
                &id,
                Entity::Customer,
                "w4",
                now,
                now + chrono::Duration::seconds(30),
                |_| false,
            )
            .await
            .unwrap()
            .unwrap();
        let report = engine
            .run_job(&Job::leased(&lease), &never, &NoProgress)
            .await
            .unwrap();
        assert!(report.done);
        let runs = b.store.runs(Some(&id)).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(
            (runs[0].worker.as_str(), runs[0].state),
            ("w4", RunState::Finished),
            "{}",
            b.name
        );
        // Without a lease (a direct call), the engine's own name is the only one.
        engine
            .run_job(&Job::new(&id, Entity::Category), &never, &NoProgress)
            .await
            .unwrap();
        let runs = b.store.runs(Some(&id)).await.unwrap();
        assert_eq!(runs[1].worker, "host:4242", "{}", b.name);
    }
}

#[tokio::test]
async fn a_named_worker_loop_records_every_lease_and_run_under_its_name() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(62, 250));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |o| {
            o.worker_id = "w4".into();
            o.slice_pages = 1;
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(engine.clone().run_worker(stopped));
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let customers = b.store.cursor(&id, Entity::Customer).await.unwrap();
            let categories = b.store.cursor(&id, Entity::Category).await.unwrap();
            if customers.last_full_at.is_some() && categories.last_full_at.is_some() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: never synced",
                b.name
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(true).unwrap();
        worker.await.unwrap().unwrap();
        let runs = b.store.runs(Some(&id)).await.unwrap();
        assert!(
            runs.len() >= 3,
            "{}: 250 customers in slices of one page",
            b.name
        );
        // A run under a lease carries the lease's owner: every lease was w4's too.
        assert!(
            runs.iter()
                .all(|r| r.worker == "w4" && r.state == RunState::Finished),
            "{}: {runs:?}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_run_whose_worker_died_is_closed_as_abandoned_when_its_lease_is_taken_over() {
    for b in backends().await {
        let id = one_job_store(&b.store, 63).await;
        let ttl = chrono::Duration::seconds(5);
        let t = Utc::now();
        // A run that finished before its lease was given back stays finished.
        let first = b.store.lease_job("w1", t, t + ttl).await.unwrap().unwrap();
        let done = b.store.start_leased_run(&first, "auto").await.unwrap();
        b.store
            .finish_run(&SyncRun {
                id: done,
                ..SyncRun::default()
            })
            .await
            .unwrap();
        b.store.release_job(&first, t).await.unwrap();
        // w2 leases the job, starts a run and dies.
        let dead = b.store.lease_job("w2", t, t + ttl).await.unwrap().unwrap();
        let orphan = b.store.start_leased_run(&dead, "auto").await.unwrap();
        assert_eq!(run(&b.store, &id, orphan).await.state, RunState::Running);
        // Unleased runs are never anybody's to abandon.
        let unleased = b
            .store
            .start_run(&id, Entity::Customer, "auto", "cli")
            .await
            .unwrap();
        let later = t + ttl + chrono::Duration::seconds(1);
        let taken = b
            .store
            .lease_job("w3", later, later + ttl)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.job_id, dead.job_id);

        let abandoned = run(&b.store, &id, orphan).await;
        assert_eq!(abandoned.state, RunState::Abandoned, "{}", b.name);
        assert!(abandoned.finished_at.is_some());
        let error = abandoned.error.clone().unwrap_or_default();
        assert!(
            error.contains("w2") && error.contains("w3"),
            "{}: {error}",
            b.name
        );
        assert_eq!(run(&b.store, &id, done).await.state, RunState::Finished);
        assert_eq!(run(&b.store, &id, unleased).await.state, RunState::Running);
        // A late finish (the worker was only slow) does not reopen or rewrite it.
        b.store
            .finish_run(&SyncRun {
                id: orphan,
                pages: 3,
                error: Some("lease lost".into()),
                ..SyncRun::default()
            })
            .await
            .unwrap();
        assert_eq!(run(&b.store, &id, orphan).await, abandoned, "{}", b.name);
        // A run it starts late under the lease it lost (it has not noticed yet) and
        // never finishes is closed by the job's next lease, with w3's run.
        let late = b.store.start_leased_run(&dead, "auto").await.unwrap();

        // `polycart sync` claiming the job from a dead worker closes its run too.
        let running = b.store.start_leased_run(&taken, "auto").await.unwrap();
        let much_later = later + ttl + chrono::Duration::seconds(1);
        b.store
            .claim_job(
                &id,
                Entity::Customer,
                "sync",
                much_later,
                much_later + ttl,
                |_| false,
            )
            .await
            .unwrap()
            .expect("an expired lease is claimed");
        for id_of in [running, late] {
            let closed = run(&b.store, &id, id_of).await;
            assert_eq!(closed.state, RunState::Abandoned, "{}", b.name);
            assert!(closed.error.unwrap().contains("sync"), "{}", b.name);
        }
        assert_eq!(
            b.store
                .runs(Some(&id))
                .await
                .unwrap()
                .iter()
                .filter(|r| r.state == RunState::Running)
                .count(),
            1,
            "{}: only the unleased run is open",
            b.name
        );
    }
}

#[tokio::test]
async fn what_the_adapter_says_of_its_listing_goes_into_the_run_record() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(64, 10));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        adapter.notes.note(
            Entity::Customer,
            "customer: paged the API instead of a bulk export: the slots stayed taken".into(),
        );
        adapter
            .notes
            .note(Entity::Category, "another entity's".into());
        engine
            .run_job(&Job::new(&id, Entity::Customer), &never, &NoProgress)
            .await
            .unwrap();
        engine
            .run_job(&Job::new(&id, Entity::Customer), &never, &NoProgress)
            .await
            .unwrap();
        let runs = b.store.runs(Some(&id)).await.unwrap();
        assert_eq!(runs.len(), 2, "{}", b.name);
        let note = runs[0].note.as_deref().unwrap_or_default();
        assert!(note.contains("paged the API"), "{}: {note}", b.name);
        assert_eq!(runs[1].note, None, "{}: a note is recorded once", b.name);
        assert_eq!(adapter.take_notes(Entity::Category), ["another entity's"]);
    }
}
