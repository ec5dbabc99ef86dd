//! The dashboard in a real browser: `polycart demo` is started (small shops, a free
//! port, a known API key), a fifth store that cannot sync (the Shopify simulator with a
//! wrong access token) is connected through the API, and headless Chromium (the
//! system's, driven by Playwright's `playwright-core` from `tests/browser/`, which
//! never downloads a browser) logs in, sees the stores, opens one, triggers a sync and
//! watches it land, sees the failed store's error, and saves screenshots under
//! `target/browser-artefacts/` (their paths and the measured first contentful paint are
//! printed). Needs `chromium`, `node` and `npm ci` in `tests/browser` (`.ci/run`
//! installs them); without them the test is skipped with a message, or fails under
//! `CI=true`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the browser test needs, or why it cannot run.
fn prerequisites() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })
        .filter(|p| p.exists())
        .ok_or("no Chromium (apt-get install -y chromium, or set CHROMIUM)")?;
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        return Err("no node on PATH (apt-get install -y nodejs npm)".into());
    }
    let dir = root().join("tests/browser");
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return Err(format!(
            "no playwright-core: run `npm ci` in {}",
            dir.display()
        ));
    }
    Ok((chromium, dir))
}

/// Kills the demo when the test ends, however it ends.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_dashboard_works_in_a_real_browser() {
    let (chromium, browser_dir) = match prerequisites() {
        Ok(p) => p,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the browser test cannot run under CI=true: {why}")
        }
        Err(why) => {
            eprintln!("skipped: the dashboard browser test needs {why}");
            return;
        }
    };
    let artefacts = root().join("target/browser-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let data = tempfile::tempdir().unwrap();
    let key = "pk_dashboard_browser_0123456789";
    let log = std::fs::File::create(artefacts.join("demo.log")).unwrap();
    let mut demo = Demo(
        Command::new(env!("CARGO_BIN_EXE_polycart"))
            .args([
                "demo",
                "--addr",
                "127.0.0.1:0",
                "--orders",
                "30",
                "--api-key",
                key,
                "--data-dir",
            ])
            .arg(data.path())
            .env_remove("POLYCART_SECRET_KEY")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the demo starts"),
    );
    let stdout = demo.0.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let dashboard = first
        .strip_prefix("dashboard: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo prints the dashboard first: {first:?}"))
        .to_owned();
    assert!(first.contains(key), "the first line names the key: {first}");
    for line in lines.by_ref() {
        if line.expect("utf-8").starts_with("Ctrl-C stops the demo") {
            break;
        }
    }
    // Nothing more is printed, but keep the pipe drained.
    std::thread::spawn(move || lines.for_each(drop));
    let base = dashboard
        .trim_end_matches('/')
        .trim_end_matches("/ui")
        .to_owned();

    // The demo's stores, and one that cannot sync.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        rt.block_on(async {
            let res = req.send().await.expect("the demo answers");
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            (status, body)
        })
    };
    let (status, list) = call(reqwest::Method::GET, "/v1/stores", None);
    assert!(status.is_success(), "{list}");
    let stores: Vec<&serde_json::Value> = list["data"].as_array().unwrap().iter().collect();
    assert!(stores.len() >= 3, "the demo's stores: {list}");
    let ids: Vec<String> = stores
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let shopify = stores
        .iter()
        .find(|s| s["platform"] == "shopify")
        .expect("the demo runs a Shopify simulator");
    let (status, broken) = call(
        reqwest::Method::POST,
        "/v1/stores",
        Some(serde_json::json!({
            "platform": "shopify",
            "name": "broken shop",
            "url": shopify["base_url"],
            "credentials": {"access_token": "shpat_wrong_token_0000"},
            "entities": ["product"],
        })),
    );
    assert_eq!(status, reqwest::StatusCode::CREATED, "{broken}");
    let broken_id = broken["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("/v1/stores/{broken_id}/sync"),
        None,
    );
    assert!(status.is_success(), "{body}");

    let output = Command::new("node")
        .arg("dashboard.mjs")
        .current_dir(&browser_dir)
        .env("POLYCART_URL", &base)
        .env("POLYCART_KEY", key)
        .env("POLYCART_STORES", ids.join(","))
        .env("POLYCART_FAILING_STORE", &broken_id)
        .env("ARTEFACTS", &artefacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    println!("{out}");
    eprintln!("{err}");
    assert!(
        output.status.success(),
        "the browser test failed (screenshots and demo.log in {}):\n{out}\n{err}",
        artefacts.display()
    );
    let shots: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("screenshot: "))
        .collect();
    assert!(shots.len() >= 5, "screenshots saved: {out}");
    for s in &shots {
        assert!(Path::new(s).exists(), "{s} exists");
    }
    let fcp: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("first-contentful-paint-ms: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the first paint was measured");
    println!("dashboard first contentful paint: {fcp:.1} ms");
}
