//! End to end through the `polycart` binary against a platform simulator from the
//! registry: `stores add` prints the id last, `stores list` shows the state, and a
//! `polycart sync` child process killed with SIGKILL at random moments (≥ 5 times)
//! then resumed ends with exactly the simulator's records — on SQLite and PostgreSQL.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use polycart::store::{
    ChangeKind, Cipher, PgStore, RunState, SqliteStore, Store, StoreJobs, StoreRecords, Stores,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_kit::{Entity, ListQuery, Secret, StoreConfig};

const KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const PLATFORM: &str = "bigcommerce";

fn polycart(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polycart"));
    cmd.env("POLYCART_DATABASE_URL", db)
        .env("POLYCART_SECRET_KEY", KEY)
        .env_remove("POLYCART_LOG");
    cmd
}

/// The platform's simulator on a loopback port: `customers` customers from `seed`, on
/// `plan` (the platform's default when `None`).
async fn simulator(
    seed: u64,
    customers: usize,
    plan: Option<&str>,
) -> polycart_kit::sim::SimServer {
    let connector = polycart::registry::connector(PLATFORM).unwrap();
    let options = SimOptions {
        seed,
        size: StoreSize {
            products: 5,
            customers,
            orders: 0,
        },
        plan: plan.map(str::to_owned),
        ..SimOptions::default()
    };
    (connector.simulate)(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// The simulator's credentials, as a store holds them.
fn sim_credentials(
    sim: &polycart_kit::sim::SimServer,
) -> std::collections::BTreeMap<String, Secret> {
    sim.info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect()
}

/// The simulator connected as a store syncing customers and categories hourly.
fn sim_store(sim: &polycart_kit::sim::SimServer, name: &str) -> polycart::store::NewStore {
    polycart::store::NewStore {
        name: name.to_owned(),
        platform: PLATFORM.to_owned(),
        base_url: url::Url::parse(&sim.info.base_url).unwrap(),
        credentials: sim_credentials(sim),
        settings: Default::default(),
        entities: vec![Entity::Customer, Entity::Category],
        interval_secs: 3600,
    }
}

/// Stops a `polycart worker` with SIGTERM; its exit status and standard output.
fn terminate(mut worker: std::process::Child) -> (std::process::ExitStatus, String) {
    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    let status = worker.wait().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(worker.stdout.as_mut().unwrap(), &mut out).unwrap();
    (status, out)
}

/// Every customer id the simulator serves, listed through the adapter.
async fn platform_ids(config: &StoreConfig) -> std::collections::BTreeSet<String> {
    let connector = polycart::registry::connector(PLATFORM).unwrap();
    let adapter = (connector.connect)(config, &AdapterContext::default()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = adapter
            .list(&ListQuery::new(Entity::Customer).with_cursor(cursor))
            .await
            .unwrap();
        for r in &page.records {
            assert!(
                ids.insert(r.platform_id().to_owned()),
                "the simulator listed {} twice",
                r.platform_id()
            );
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// A `polycart sync` of one store in a child process.
fn spawn_sync(db_url: &str, id: &str) -> std::process::Child {
    polycart(db_url)
        .args(["sync", "--store", id])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the child has stored `at_least` customers; false when it exited first.
/// Progress, not time, decides; the deadline only keeps a stuck child from hanging.
async fn wait_for_records(
    store: &dyn Store,
    id: &str,
    at_least: u64,
    child: &mut std::process::Child,
) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let stored = store
            .count_records(id, Entity::Customer, true)
            .await
            .unwrap();
        if stored >= at_least || std::time::Instant::now() > deadline {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_and_resume(db_url: &str, store: &dyn Store) {
    use rand::Rng;
    let customers = 20_000;
    let sim = simulator(21, customers, None).await;
    let mut add = polycart(db_url);
    add.args([
        "stores",
        "add",
        "--platform",
        PLATFORM,
        "--url",
        &sim.info.base_url,
        "--entities",
        "customer",
    ]);
    for (k, v) in &sim.info.credentials {
        add.args(["--credential", &format!("{k}={v}")]);
    }
    let out = add.output().unwrap();
    assert!(
        out.status.success(),
        "stores add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let id = stdout.lines().last().unwrap().trim().to_owned();
    assert!(id.starts_with("st_"), "{stdout}");

    // Each round waits until the child has committed new pages (so the kill lands
    // mid-sync, whatever the machine's speed), then kills it at a random moment.
    let mut rng = rand::thread_rng();
    let mut kills = 0;
    let mut progress: Vec<u64> = Vec::new();
    while kills < 6 {
        let before = progress.last().copied().unwrap_or(0);
        let mut child = spawn_sync(db_url, &id);
        let step = rng.gen_range(300..1500);
        if !wait_for_records(store, &id, before + step, &mut child).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..150))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        progress.push(
            store
                .count_records(&id, Entity::Customer, true)
                .await
                .unwrap(),
        );
    }
    // SIGTERM: the sync stops after the pages in flight, says it was interrupted and
    // exits non-zero.
    if kills >= 5 {
        let before = store
            .count_records(&id, Entity::Customer, true)
            .await
            .unwrap();
        let mut child = spawn_sync(db_url, &id);
        assert!(
            wait_for_records(store, &id, before + 200, &mut child).await,
            "the sync ended before SIGTERM could interrupt it"
        );
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("interrupted after"), "{err}");
    }
    let out = polycart(db_url)
        .args(["sync", "--store", &id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "final sync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("summary:") && summary.contains(" ok: "),
        "{summary}"
    );

    let config = StoreConfig {
        store_id: id.clone(),
        base_url: url::Url::parse(&sim.info.base_url).unwrap(),
        credentials: sim_credentials(&sim),
        settings: Default::default(),
    };
    let want = platform_ids(&config).await;
    assert_eq!(want.len(), customers);
    let mut got = std::collections::BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_records(&id, Entity::Customer, after.as_deref(), 5000, true)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.platform_id.clone());
        for r in page {
            assert!(!r.deleted);
            got.insert(r.platform_id);
        }
    }
    assert_eq!(got, want, "stored ids differ from the simulator's");
    let created = store
        .changes_after(0, Some(&id), 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|c| c.kind == ChangeKind::Created)
        .count();
    assert_eq!(created, customers, "each record was created exactly once");
    eprintln!(
        "{db_url}: {kills} kills of polycart sync; customers stored after each: {progress:?}"
    );
    assert!(
        kills >= 5,
        "the sync finished before it could be killed 5 times"
    );
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");

    let list = polycart(db_url).args(["stores", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains(&id) && text.contains("active"), "{text}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_polycart_sync_against_a_simulator_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("polycart.db").display());
    let store = SqliteStore::open(&url, Some(Cipher::parse(KEY).unwrap()))
        .await
        .unwrap();
    kill_and_resume(&url, &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_polycart_sync_against_a_simulator_postgres() {
    let Some(base) = common::pg_ready().await else {
        return;
    };
    let schema = common::unique("cli");
    let _cleanup = common::DropSchema {
        url: base.clone(),
        schema: schema.clone(),
    };
    let store = PgStore::open(&base, Some(&schema), Some(Cipher::parse(KEY).unwrap()))
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    kill_and_resume(&url, &store).await;
}

/// Three `polycart worker` processes share 300 stores on PostgreSQL; one is killed
/// with SIGKILL while it holds leases, the others finish its stores once the leases
/// expire; no store × entity is synced by two workers at once; SIGTERM stops a worker
/// gracefully.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_polycart_workers_on_postgres_with_one_killed() {
    use std::collections::{BTreeMap, BTreeSet};
    let Some(base) = common::pg_ready().await else {
        return;
    };
    let schema = common::unique("workers");
    let _cleanup = common::DropSchema {
        url: base.clone(),
        schema: schema.clone(),
    };
    let cipher = Cipher::parse(KEY).unwrap();
    let store = PgStore::open(&base, Some(&schema), Some(cipher))
        .await
        .unwrap();
    let url = format!(
        "{base}{}options[search_path]={schema}",
        if base.contains('?') { '&' } else { '?' }
    );
    let sim = simulator(5, 30, Some("100000/1000ms")).await;
    let mut ids = Vec::new();
    for i in 0..300 {
        let info = store
            .add_store(&sim_store(&sim, &format!("shop {i}")))
            .await
            .unwrap();
        ids.push(info.id);
    }
    let spawn = |name: &str| {
        polycart(&url)
            .args([
                "worker",
                "--id",
                name,
                "--lease-secs",
                "2",
                "--poll-ms",
                "100",
                "--concurrency",
                "4",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut victim = spawn("w1");
    let survivors = [spawn("w2"), spawn("w3")];
    // Kill w1 mid-run: after it finished some slices, while it holds a lease.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let runs = store.runs(None).await.unwrap();
        let mine = runs.iter().filter(|r| r.worker == "w1");
        let (open, finished) = mine.fold((0, 0), |(o, f), r| {
            if r.finished_at.is_some() {
                (o, f + 1)
            } else {
                (o + 1, f)
            }
        });
        if (finished >= 30 && open > 0) || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut done = 0;
    while std::time::Instant::now() < deadline {
        done = 0;
        for id in &ids {
            let c = store.cursor(id, Entity::Customer).await.unwrap();
            // The first pass is full; categories carry no updated_at, so no watermark.
            let k = store.cursor(id, Entity::Category).await.unwrap();
            if c.pass.is_none()
                && c.last_full_at.is_some()
                && k.pass.is_none()
                && k.last_full_at.is_some()
            {
                done += 1;
            }
        }
        if done == ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // SIGTERM: the survivors stop gracefully and report.
    for w in survivors {
        let (status, out) = terminate(w);
        assert!(
            status.success() && out.contains("stopped"),
            "{status:?} {out}"
        );
    }
    sim.shutdown().await;
    assert_eq!(done, ids.len(), "not every store was synced");
    for id in &ids {
        assert_eq!(
            store
                .count_records(id, Entity::Customer, true)
                .await
                .unwrap(),
            30,
            "{id}"
        );
    }
    let runs = store.runs(None).await.unwrap();
    // A run fenced out (its lease expired under load and was taken over) committed
    // nothing after losing it: only the runs that kept their lease must not overlap.
    let fenced = |r: &polycart::store::SyncRun| {
        r.error
            .as_deref()
            .is_some_and(|e| e.contains("no longer held"))
    };
    let mut by_pair: BTreeMap<(String, String), Vec<_>> = BTreeMap::new();
    for r in runs
        .iter()
        .filter(|r| r.finished_at.is_some() && !fenced(r))
    {
        by_pair
            .entry((r.store_id.clone(), r.entity.clone()))
            .or_default()
            .push(r.clone());
    }
    for runs in by_pair.values_mut() {
        runs.sort_by_key(|r| r.started_at);
        for w in runs.windows(2) {
            assert!(
                w[0].finished_at.unwrap() <= w[1].started_at.unwrap(),
                "overlapping runs {w:?}"
            );
        }
    }
    // The killed worker's runs in flight were closed as abandoned when the survivors
    // took its leases over: none is left running.
    let orphaned: Vec<_> = runs
        .iter()
        .filter(|r| r.worker == "w1" && r.state == RunState::Abandoned)
        .collect();
    assert!(
        !orphaned.is_empty(),
        "the killed worker held no job: the test proves nothing"
    );
    assert!(
        runs.iter().all(|r| r.state != RunState::Running),
        "a run is left running"
    );
    for o in &orphaned {
        let error = o.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("w1") && (error.contains("w2") || error.contains("w3")),
            "{error}"
        );
        assert!(
            runs.iter().any(|r| r.store_id == o.store_id
                && r.entity == o.entity
                && r.worker != "w1"
                && r.finished_at.is_some()
                && r.started_at >= o.started_at),
            "{}/{} left by the killed worker was not taken over",
            o.store_id,
            o.entity
        );
    }
    let workers: BTreeSet<&str> = runs.iter().map(|r| r.worker.as_str()).collect();
    assert_eq!(workers, BTreeSet::from(["w1", "w2", "w3"]));
    eprintln!(
        "{} runs; {} slices of the killed worker taken over",
        runs.len(),
        orphaned.len()
    );
}

/// `polycart worker --id w4` through the binary, on SQLite: every run it records is
/// w4's; an invalid `POLYCART_CHANGES_RETENTION` stops it at startup, naming the
/// variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_polycart_worker_records_its_runs_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("named.db").display());
    let store = SqliteStore::open(&url, Some(Cipher::parse(KEY).unwrap()))
        .await
        .unwrap();
    let sim = simulator(8, 120, None).await;
    let id = store.add_store(&sim_store(&sim, "named")).await.unwrap().id;
    let invalid = polycart(&url)
        .args(["worker", "--id", "w4"])
        .env("POLYCART_CHANGES_RETENTION", "30 days")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        !invalid.status.success() && stderr.contains("POLYCART_CHANGES_RETENTION"),
        "{stderr}"
    );
    let worker = polycart(&url)
        .args([
            "worker",
            "--id",
            "w4",
            "--poll-ms",
            "50",
            "--slice-pages",
            "1",
        ])
        .env("POLYCART_CHANGES_RETENTION", "12h")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let customers = store.cursor(&id, Entity::Customer).await.unwrap();
        let categories = store.cursor(&id, Entity::Category).await.unwrap();
        if customers.last_full_at.is_some() && categories.last_full_at.is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never synced"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, out) = terminate(worker);
    assert!(
        status.success() && out.contains("worker w4 stopped"),
        "{out}"
    );
    sim.shutdown().await;
    let runs = store.runs(Some(&id)).await.unwrap();
    assert!(runs.len() >= 2, "{runs:?}");
    assert!(
        runs.iter()
            .all(|r| r.worker == "w4" && r.state == RunState::Finished),
        "{runs:?}"
    );
}

/// `polycart stores add|list|remove` through the binary: URLs are validated, the new
/// id is alone on the last line, the key is required, and `list` shows a store's
/// state, last error and retry time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_add_list_and_remove_through_the_binary() {
    use polycart::store::{Health, StoreState};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("stores.db").display());
    let sim = simulator(3, 1, None).await;
    let add = |url: &str, extra: &[&str]| {
        let mut cmd = polycart(&db);
        cmd.args(["stores", "add", "--platform", PLATFORM, "--url", url]);
        for (k, v) in &sim.info.credentials {
            cmd.args(["--credential", &format!("{k}={v}")]);
        }
        cmd.args(extra);
        cmd
    };
    let run = |mut cmd: Command| {
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let base = url::Url::parse(&sim.info.base_url).unwrap();
    let mut with_userinfo = base.clone();
    with_userinfo.set_username("admin").unwrap();
    let (ok, _, err) = run(add(with_userinfo.as_str(), &[]));
    assert!(!ok && err.contains("must not carry credentials"), "{err}");
    let (ok, _, err) = run(add("ftp://shop.example.com", &[]));
    assert!(!ok && err.contains("http or https"), "{err}");
    let mut hosted = add(&sim.info.base_url, &[]);
    hosted.env(polycart::store::REFUSE_PRIVATE_ENV, "1");
    let (ok, _, err) = run(hosted);
    assert!(!ok && err.contains("private or loopback"), "{err}");
    let mut keyless = add(&sim.info.base_url, &[]);
    keyless.env_remove("POLYCART_SECRET_KEY");
    let (ok, _, err) = run(keyless);
    assert!(!ok && err.contains("POLYCART_SECRET_KEY"), "{err}");

    let (ok, out, err) = run(add(
        &sim.info.base_url,
        &["--name", "Corner shop", "--entities", "customer"],
    ));
    assert!(ok, "{err}");
    let id = out.lines().last().unwrap().to_owned();
    assert!(id.starts_with("st_") && !id.contains(' '), "{out}");

    // The scheduler's view of the store, as a failing platform leaves it.
    let store = SqliteStore::open(&db, Some(Cipher::parse(KEY).unwrap()))
        .await
        .unwrap();
    let retry = chrono::Utc::now() + chrono::Duration::minutes(4);
    store
        .set_health(
            &id,
            &Health {
                state: StoreState::CircuitOpen,
                failures: 3,
                last_error: Some("platform answered 503".into()),
                retry_at: Some(retry),
            },
        )
        .await
        .unwrap();
    let mut list = polycart(&db);
    list.args(["stores", "list"]);
    let (ok, out, err) = run(list);
    assert!(ok, "{err}");
    let row = out
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("circuit_open")
            && row.contains("Corner shop")
            && row.contains("platform answered 503")
            && row.contains(&retry.format("retry at %Y-%m-%d %H:%M").to_string()),
        "{row}"
    );
    let mut json = polycart(&db);
    json.args(["stores", "list", "--json"]);
    let (ok, out, _) = run(json);
    assert!(ok);
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["state"], "circuit_open");
    assert_eq!(listed[0]["entities"], serde_json::json!(["customer"]));
    assert!(
        !out.contains(&sim.info.credentials["access_token"]),
        "credentials listed"
    );
    // Stored credentials and no key: the binary refuses to start.
    let mut keyless = polycart(&db);
    keyless
        .env_remove("POLYCART_SECRET_KEY")
        .args(["stores", "list"]);
    let (ok, _, err) = run(keyless);
    assert!(!ok && err.contains("POLYCART_SECRET_KEY"), "{err}");

    let mut remove = polycart(&db);
    remove.args(["stores", "remove", &id]);
    let (ok, out, err) = run(remove);
    assert!(ok && out.contains(&id), "{err}");
    assert!(store.list_stores().await.unwrap().is_empty());
    let mut again = polycart(&db);
    again.args(["stores", "remove", &id]);
    let (ok, _, err) = run(again);
    assert!(!ok && err.contains("not found"), "{err}");
    sim.shutdown().await;
}

/// `polycart bench fleet --workers 2 --kill-one` at 50 stores: the bench SIGKILLs a
/// worker a third of the way through, a replacement starts, the leases of the dead
/// one expire and are taken over, and every store × entity ends with exactly the
/// simulator's records, each announced by one `created` change (the bench checks
/// both against the simulators' own counts and fails otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_fleet_with_one_of_two_workers_killed_loses_nothing() {
    let Some(base) = common::pg_ready().await else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_polycart"))
        .args(["bench", "fleet", "--workers", "2", "--kill-one", "--json"])
        .args(["--stores", "50", "--per-host", "50", "--lease-secs", "2"])
        .args(["--worker-concurrency", "1", "--database-url", &base])
        .env_remove("POLYCART_SECRET_KEY")
        .env_remove("POLYCART_DATABASE_URL")
        .stderr(Stdio::inherit())
        .output()
        .expect("polycart runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let figures: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON figures");
    assert_eq!(figures["exact"], true, "{figures}");
    assert_eq!(figures["stores"], 50, "{figures}");
    let killed_at = figures["killed_after_pairs"]
        .as_u64()
        .expect("a worker was killed");
    assert!(
        killed_at < figures["pairs"].as_u64().unwrap(),
        "killed after the end: {figures}"
    );
    // Orders, products (with their categories and inventory) and customers of each
    // store: 5 + 3 + 5 records at least.
    assert!(figures["records"].as_u64().unwrap() >= 50 * 13, "{figures}");
}
