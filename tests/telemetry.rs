//! Traces and logs of the `polycart` binary, end to end. A local OTLP/HTTP receiver
//! started by the test takes what `polycart sync` and `polycart serve` (child
//! processes, configured only by the standard `OTEL_*` variables) export while they
//! sync a Lazada simulator — a platform that sends its access token in the query
//! string — and answer an API request: the sync pass, page, platform request and API
//! request spans arrive nested, with store and platform, and no credential appears in
//! any exported byte or log line. `POLYCART_LOG_FORMAT=json` makes every stderr line a
//! JSON object, naming the trace it belongs to.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polycart::store::{Cipher, NewStore, SqliteStore, Stores};
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_kit::{Entity, Secret};
use serde_json::Value;

const KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const PLATFORM: &str = "lazada";

/// What the receiver got: one request's content type and body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// An OTLP/HTTP receiver on a loopback port, keeping every `POST /v1/traces`.
async fn receiver() -> (SocketAddr, Received) {
    let received: Received = Arc::default();
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let keep = keep.clone();
                async move {
                    let kind = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    keep.lock().unwrap().push((kind, body.to_vec()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, received)
}

/// One exported span, from OTLP/JSON.
#[derive(Debug, Clone)]
struct Span {
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    attrs: BTreeMap<String, String>,
    resource: BTreeMap<String, String>,
}

/// An OTLP `KeyValue` list as text values.
fn attributes(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            let key = kv["key"].as_str()?.to_owned();
            let value = kv["value"].as_object()?.values().next()?;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect()
}

fn spans(received: &Received) -> Vec<Span> {
    let mut out = Vec::new();
    for (kind, body) in received.lock().unwrap().iter() {
        assert!(kind.starts_with("application/json"), "{kind}");
        let doc: Value = serde_json::from_slice(body).expect("an OTLP/JSON body");
        for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
            let resource = attributes(&rs["resource"]["attributes"]);
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for s in ss["spans"].as_array().into_iter().flatten() {
                    out.push(Span {
                        name: s["name"].as_str().unwrap_or_default().to_owned(),
                        trace_id: s["traceId"].as_str().unwrap_or_default().to_owned(),
                        span_id: s["spanId"].as_str().unwrap_or_default().to_owned(),
                        parent: s["parentSpanId"].as_str().unwrap_or_default().to_owned(),
                        attrs: attributes(&s["attributes"]),
                        resource: resource.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The `polycart` binary over the sync store `db`, logging JSON at debug level and
/// exporting traces to `otlp` (when given) as OTLP/JSON.
fn polycart(db: &str, otlp: Option<SocketAddr>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polycart"));
    cmd.env("POLYCART_DATABASE_URL", db)
        .env("POLYCART_SECRET_KEY", KEY)
        .env("POLYCART_LOG", "debug")
        .env("POLYCART_LOG_FORMAT", "json")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200");
    for var in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_SDK_DISABLED",
        "OTEL_TRACES_SAMPLER",
    ] {
        cmd.env_remove(var);
    }
    if let Some(addr) = otlp {
        cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}"))
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
            .env("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test");
    }
    cmd
}

/// Runs a command to its end off the async runtime.
async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("polycart runs"))
        .await
        .unwrap()
}

/// Every line is one JSON object with a level, a target and a message; the objects.
fn json_lines(stderr: &str) -> Vec<serde_json::Map<String, Value>> {
    stderr
        .lines()
        .map(|line| {
            let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
                panic!("a stderr line is not a JSON object: {line}");
            };
            for key in ["level", "target", "message", "timestamp"] {
                assert!(
                    obj.get(key).is_some_and(Value::is_string),
                    "{key} in {line}"
                );
            }
            obj
        })
        .collect()
}

/// The sync store with the simulator connected as a store; its path and store id.
async fn store_for(
    sim: &polycart_kit::sim::SimServer,
    dir: &tempfile::TempDir,
) -> (String, String) {
    let url = format!("sqlite://{}", dir.path().join("polycart.db").display());
    let store = SqliteStore::open(&url, Some(Cipher::parse(KEY).unwrap()))
        .await
        .unwrap();
    let added = store
        .add_store(&NewStore {
            name: "telemetry".into(),
            platform: PLATFORM.into(),
            base_url: url::Url::parse(&sim.info.base_url).unwrap(),
            credentials: sim
                .info
                .credentials
                .iter()
                .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
                .collect(),
            settings: Default::default(),
            entities: vec![Entity::Order, Entity::Product],
            interval_secs: 3600,
        })
        .await
        .unwrap();
    (url, added.id)
}

async fn simulator(seed: u64) -> polycart_kit::sim::SimServer {
    let connector = polycart::registry::connector(PLATFORM).unwrap();
    let options = SimOptions {
        seed,
        size: StoreSize {
            products: 12,
            customers: 4,
            orders: 30,
        },
        ..SimOptions::default()
    };
    (connector.simulate)(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Waits until `received` holds spans named `name` (the batch exporter sends them a
/// moment after they end).
async fn wait_for(received: &Received, name: &str) {
    for _ in 0..100 {
        if spans(received).iter().any(|s| s.name == name) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {name} span arrived: {:?}", spans(received));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_api_spans_reach_an_otlp_receiver_without_secrets() {
    let (otlp, received) = receiver().await;
    let sim = simulator(11).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, store_id) = store_for(&sim, &dir).await;

    // A sync, traced.
    let mut sync = polycart(&db, Some(otlp));
    sync.args(["sync", "--store", &store_id]);
    let out = output(sync).await;
    let sync_err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{sync_err}");
    wait_for(&received, "sync_pass").await;

    // An API key, then the API serving one request, traced; SIGTERM flushes.
    let mut keys = polycart(&db, None);
    keys.args(["keys", "create", "--all"]);
    let out = output(keys).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let api_key = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let mut serve = polycart(&db, Some(otlp));
    serve
        .args(["serve", "--addr", "127.0.0.1:0", "--no-worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = serve.spawn().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let mut serve_err = String::new();
    let api = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve says where it listens");
        serve_err.push_str(&line);
        serve_err.push('\n');
        if let Some(at) = line.find("polycart API on ") {
            let rest = &line[at + "polycart API on ".len()..];
            break rest.split('"').next().unwrap().to_owned();
        }
    };
    let response = reqwest::Client::new()
        .get(format!("{api}/v1/stores/{store_id}/orders"))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // An HTTP server span is named `{method} {route}`.
    wait_for(&received, "GET /v1/stores/{store}/{entity}").await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    reader.join().unwrap();
    serve_err.extend(lines_rx.try_iter().map(|l| l + "\n"));

    let spans = spans(&received);
    let named = |name: &'static str| spans.iter().filter(move |s| s.name == name);
    let pass = named("sync_pass")
        .find(|s| s.attrs.get("entity").map(String::as_str) == Some("order"))
        .expect("an order sync pass");
    assert_eq!(pass.attrs["store"], store_id);
    assert_eq!(pass.attrs["platform"], PLATFORM);
    assert_eq!(pass.attrs["done"], "true");
    assert!(
        pass.attrs["records"].parse::<u64>().unwrap() >= 30,
        "{pass:?}"
    );
    assert_eq!(pass.resource["service.name"], "polycart");
    assert_eq!(pass.resource["deployment.environment"], "test");
    assert!(pass.resource["service.version"].contains(" ("), "{pass:?}");

    let page = named("sync_page")
        .find(|s| s.parent == pass.span_id)
        .expect("a page inside the order pass");
    assert_eq!(page.trace_id, pass.trace_id);
    assert_eq!(page.attrs["store"], store_id);
    assert_eq!(page.attrs["platform"], PLATFORM);
    assert_eq!(page.attrs["cursor.kind"], "first");
    assert!(page.attrs.contains_key("records"), "{page:?}");

    let request = named("platform_request")
        .find(|s| s.parent == page.span_id)
        .expect("a platform request inside the page");
    assert_eq!(request.trace_id, pass.trace_id);
    assert_eq!(request.attrs["store"], store_id);
    assert_eq!(request.attrs["platform"], PLATFORM);
    assert_eq!(request.attrs["http.request.method"], "GET");
    assert_eq!(request.attrs["http.response.status_code"], "200");
    assert_eq!(request.attrs["attempt"], "1");
    assert!(
        request.attrs.contains_key("governor_wait_ms"),
        "{request:?}"
    );
    for s in named("platform_request") {
        let route = &s.attrs["http.route"];
        assert!(route.starts_with('/') && !route.contains('?'), "{route}");
    }

    let api_span = named("GET /v1/stores/{store}/{entity}")
        .next()
        .expect("the API request");
    assert_eq!(api_span.attrs["http.route"], "/v1/stores/{store}/{entity}");
    assert_eq!(api_span.attrs["http.request.method"], "GET");
    assert_eq!(api_span.attrs["http.response.status_code"], "200");

    // No credential in any exported byte or log line.
    let mut secrets: Vec<String> = sim
        .info
        .credentials
        .values()
        .filter(|v| v.len() >= 8)
        .cloned()
        .collect();
    secrets.push(api_key.clone());
    secrets.push(KEY.to_owned());
    assert!(secrets.len() >= 4, "{secrets:?}");
    let exported: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| String::from_utf8_lossy(body).into_owned())
        .collect();
    for secret in &secrets {
        for body in &exported {
            assert!(!body.contains(secret.as_str()), "a credential was exported");
        }
        assert!(
            !sync_err.contains(secret.as_str()),
            "a credential was logged by sync"
        );
        assert!(
            !serve_err.contains(secret.as_str()),
            "a credential was logged by serve"
        );
    }

    // JSON lines, naming the traces the spans were exported under.
    let lines = json_lines(&sync_err);
    assert!(lines.iter().any(|l| l["level"] == "DEBUG"), "{sync_err}");
    let traced: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.get("trace_id").and_then(Value::as_str))
        .collect();
    assert!(
        !traced.is_empty(),
        "no log line names its trace:\n{sync_err}"
    );
    assert!(
        traced
            .iter()
            .any(|t| *t == pass.trace_id || spans.iter().any(|s| s.trace_id == *t)),
        "log trace ids are not the exported ones"
    );
    json_lines(&serve_err);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_is_the_default_otlp_encoding() {
    let (otlp, received) = receiver().await;
    let sim = simulator(12).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, store_id) = store_for(&sim, &dir).await;
    let mut sync = polycart(&db, Some(otlp));
    sync.env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("http://{otlp}/v1/traces"),
        )
        .args(["sync", "--store", &store_id]);
    let out = output(sync).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = received.lock().unwrap().clone();
    assert!(!got.is_empty(), "nothing exported before exit");
    for (kind, body) in &got {
        assert_eq!(kind, "application/x-protobuf");
        assert!(!body.is_empty());
    }
    // Span names travel as plain strings inside the protobuf messages.
    for name in ["sync_pass", "sync_page", "platform_request"] {
        assert!(
            got.iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains(name)),
            "{name}"
        );
    }
    sim.shutdown().await;
}

/// A command that fails with a one-line error.
const UNKNOWN_PLATFORM: [&str; 6] = [
    "normalize",
    "--platform",
    "nosuch",
    "--entity",
    "order",
    "/dev/null",
];

#[test]
fn json_logs_without_tracing_and_clear_errors_for_bad_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());

    let out = polycart(&db, None)
        .args(["stores", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert!(lines.iter().all(|l| !l.contains_key("trace_id")));

    // An error is a JSON line too.
    let out = polycart(&db, None).args(UNKNOWN_PLATFORM).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    let last = lines.last().unwrap();
    assert_eq!(last["level"], "ERROR");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("unknown platform")
    );

    // The default stays human-readable.
    let out = polycart(&db, None)
        .env_remove("POLYCART_LOG_FORMAT")
        .args(UNKNOWN_PLATFORM)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.starts_with("error: unknown platform"), "{text}");

    for (var, value, says) in [
        ("POLYCART_LOG_FORMAT", "yaml", "POLYCART_LOG_FORMAT"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "http/protobuf"),
    ] {
        let out = polycart(&db, None)
            .env_remove("POLYCART_LOG_FORMAT")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
            .env(var, value)
            .args(["stores", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(text.contains(says) && text.contains(value), "{text}");
    }
}
