//! `polycart demo` as a user meets it: the binary is started (small shops, a free
//! port, a known API key), and every `curl` line it prints is run against it as
//! printed: the lines name records by their `id` (polycart's, `{store}:{platform id}`,
//! what listings return) and each one answers 2xx, the shipment example included
//! (it is written through to the Shopify simulator). The first line printed is the
//! dashboard's URL with the key, and the page answers there. The demo is stopped by killing
//! the child process this test started.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod shell;
use shell::words;

/// One `curl` invocation of the demo's: method, headers, body and URL.
#[derive(Debug)]
struct Curl {
    method: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    url: String,
}

/// Parses `curl -s [-X M] [-H 'K: V']... [-d BODY] URL` (a trailing `| head` only
/// shortens what a terminal shows, so it is left out).
fn curl(command: &str) -> Curl {
    let command = command.trim().trim_end_matches("| head").trim();
    let w = words(command);
    assert_eq!(w.first().map(String::as_str), Some("curl"), "{command}");
    let mut c = Curl {
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        url: String::new(),
    };
    let mut it = w.into_iter().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-s" => {}
            "-X" => c.method = it.next().expect("a method"),
            "-H" => {
                let h = it.next().expect("a header");
                let (k, v) = h.split_once(':').expect("Name: value");
                c.headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" => {
                c.body = it.next();
                if c.method == "GET" {
                    c.method = "POST".into();
                }
            }
            other if !other.starts_with('-') => c.url = other.to_owned(),
            other => panic!("an option the demo does not print: {other}"),
        }
    }
    c
}

#[test]
fn the_demos_curl_lines_work_as_printed() {
    let data = tempfile::tempdir().unwrap();
    let key = "pk_demo_test_0123456789";
    let mut child = Command::new(env!("CARGO_BIN_EXE_polycart"))
        .args([
            "demo",
            "--addr",
            "127.0.0.1:0",
            "--orders",
            "24",
            "--api-key",
            key,
            "--data-dir",
        ])
        .arg(data.path())
        .env_remove("POLYCART_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().expect("piped");
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("utf-8 lines");
        let done = line.starts_with("Ctrl-C stops the demo");
        printed.push(line);
        if done {
            break;
        }
    }
    // The dashboard comes first: its URL and the key to log in with.
    let first = printed.first().expect("the demo printed something");
    let dashboard = first
        .strip_prefix("dashboard: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo prints the dashboard's URL first: {first:?}"))
        .to_owned();
    assert!(first.contains(key), "{first}");

    // Each `curl` line with the comment above it.
    let mut commands: Vec<(String, String)> = Vec::new();
    let mut what = String::new();
    for line in &printed {
        if let Some(comment) = line.strip_prefix("# ") {
            what = comment.to_owned();
        } else if line.starts_with("curl ") {
            commands.push((what.clone(), line.clone()));
        }
    }
    assert!(
        commands.len() >= 6,
        "the demo printed its curl lines: {printed:#?}"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let mut shipped = false;
    for (what, line) in &commands {
        for part in line.split("; ") {
            let c = curl(part);
            let mut req = client.request(c.method.parse().unwrap(), &c.url);
            for (k, v) in &c.headers {
                req = req.header(k, v);
            }
            if let Some(b) = &c.body {
                req = req.body(b.clone());
            }
            let (status, body) = rt.block_on(async {
                let res = req.send().await.expect("the demo answers");
                let status = res.status();
                (status, res.text().await.unwrap_or_default())
            });
            assert!(status.is_success(), "{what}: {part} → {status} {body}");
            if c.url.contains("/products/") || c.url.contains("/shipments") {
                // A record route names the record by its polycart id.
                let path = c.url.split("/v1/stores/").nth(1).unwrap();
                let mut segments = path.split('/');
                let store = segments.next().unwrap();
                let id = segments.nth(1).unwrap();
                assert!(
                    id.starts_with(&format!("{store}:")),
                    "{what}: {id} is the record's id, not its platform id"
                );
            }
            if c.url.ends_with("/shipments") {
                let shipment: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(shipment.is_object(), "{body}");
                shipped = true;
            }
        }
    }
    assert!(shipped, "the shipment example ran: {printed:#?}");
    let (status, page) = rt.block_on(async {
        let res = client
            .get(&dashboard)
            .send()
            .await
            .expect("the dashboard answers");
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    });
    assert!(
        status.is_success() && page.contains("<title>polycart dashboard</title>"),
        "{dashboard}: {status}"
    );
    child.kill().expect("the demo is ours to stop");
    let _ = child.wait();
}
