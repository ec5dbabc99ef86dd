//! Every shell example in the README (and in an adapter's `docs.md`, should one get a
//! command block) is checked by running it: the commands of each ```sh block are read
//! (comments dropped, `\` continuations joined) and handled by what they are:
//!
//! - `polycart stores|sync|keys|normalize ...`: run to completion with the built binary
//!   (`CARGO_BIN_EXE_polycart`), in the repository root, against a fresh SQLite sync
//!   store and a running Shopify simulator. The README's placeholders are substituted,
//!   and only these (each must still appear in the README):
//!   `https://my-shop.myshopify.com` → the simulator's base URL,
//!   `shpat_...` → the simulator's Admin API access token.
//!   Each must exit 0; what the README's comments promise (an id or a key on the last
//!   line, JSON from `normalize`) is checked too.
//! - Long-running ones, `polycart serve|worker|demo|simulate|bench ...` and
//!   `cargo run ... -- ARGS`: not run; their arguments are parsed by the binary's own
//!   clap definition (`polycart::cli::Cli`), and `simulate`'s platform and faults are
//!   read as `simulate` would (`tests/demo.rs` runs the demo's own curl lines).
//! - `cargo test ...` (this very suite) is not run; `cargo bench --bench NAME` is
//!   checked to name a bench target of `Cargo.toml`.
//!
//! Anything else fails the test, so a new kind of example must be taught here.

use std::path::{Path, PathBuf};
use std::process::Command;

mod shell;
use shell::words;

use clap::Parser;
use polycart::cli::{Cli, Command as Sub};
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files whose shell blocks are checked.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut adapters: Vec<PathBuf> = std::fs::read_dir(root().join("adapters"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("docs.md"))
        .filter(|p| p.exists())
        .collect();
    adapters.sort();
    docs.extend(adapters);
    docs
}

/// The commands of a document's shell blocks, in order: comments dropped (a `#` at
/// the start of a word, outside quotes), continuation lines joined.
fn commands(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        let fence = line.trim_start();
        if let Some(lang) = fence.strip_prefix("```") {
            if in_block {
                in_block = false;
            } else {
                in_block = matches!(lang.trim(), "sh" | "bash" | "shell" | "console");
            }
            continue;
        }
        if !in_block {
            continue;
        }
        let code = strip_comment(line);
        let code = code.trim();
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head.trim_end());
            pending.push(' ');
            continue;
        }
        pending.push_str(code);
        let command = std::mem::take(&mut pending).trim().to_owned();
        if !command.is_empty() {
            out.push(command);
        }
    }
    out
}

fn strip_comment(line: &str) -> String {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if prev_space => return line[..i].to_owned(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line.to_owned()
}

/// Leading `NAME=value` words (environment for the command) and the rest.
fn split_env(words: Vec<String>) -> (Vec<(String, String)>, Vec<String>) {
    let at = words
        .iter()
        .position(|w| {
            !w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
        })
        .unwrap_or(words.len());
    let env = words[..at]
        .iter()
        .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    (env, words[at..].to_vec())
}

/// The README's placeholders and what replaces them.
struct Placeholders(Vec<(&'static str, String)>);

impl Placeholders {
    fn apply(&self, word: &str) -> String {
        let mut w = word.to_owned();
        for (from, to) in &self.0 {
            w = w.replace(from, to);
        }
        w
    }
}

/// Whether a `polycart` subcommand runs until stopped (checked by parsing only).
fn long_running(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Sub::Serve(_) | Sub::Worker(_) | Sub::Demo(_) | Sub::Simulate(_) | Sub::Bench(_)
    )
}

/// Parses `args` (without the program name) as the binary would; for `simulate`, also
/// reads the platform and the options as the command does.
fn parse(args: &[String], doc: &Path) -> Cli {
    let cli =
        Cli::try_parse_from(std::iter::once("polycart".to_owned()).chain(args.iter().cloned()))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: `polycart {}` does not parse: {e}",
                    doc.display(),
                    args.join(" ")
                )
            });
    if let Sub::Simulate(s) = &cli.command {
        polycart::registry::connector(&s.platform)
            .unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        s.options()
            .unwrap_or_else(|e| panic!("{}: `polycart {}`: {e}", doc.display(), args.join(" ")));
    }
    cli
}

fn bench_targets() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut names = Vec::new();
    let mut in_bench = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if in_bench && let Some(name) = line.strip_prefix("name = ") {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    names
}

/// What the example's run must show beyond exit 0 (the README's own promises).
fn check_output(args: &[String], stdout: &str, doc: &Path) {
    let last = stdout.trim_end().lines().last().unwrap_or("");
    let shown = format!(
        "{}: `polycart {}` printed:\n{stdout}",
        doc.display(),
        args.join(" ")
    );
    match (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    ) {
        (Some("stores"), Some("add")) => {
            assert!(
                last.starts_with("st_"),
                "the new store's id on its last line; {shown}"
            )
        }
        (Some("keys"), Some("create")) => assert!(
            !last.is_empty() && !last.contains(char::is_whitespace) && last.len() >= 16,
            "the key alone on its last line; {shown}"
        ),
        (Some("stores"), Some("list")) => assert!(stdout.contains("shopify"), "{shown}"),
        (Some("normalize"), _) => {
            serde_json::from_str::<serde_json::Value>(stdout)
                .unwrap_or_else(|e| panic!("unified JSON ({e}); {shown}"));
        }
        _ => {}
    }
}

fn simulator(rt: &tokio::runtime::Runtime) -> SimServer {
    let connector = polycart::registry::connector("shopify").unwrap();
    let options = SimOptions {
        seed: 3,
        size: StoreSize {
            products: 6,
            customers: 6,
            orders: 12,
        },
        ..SimOptions::default()
    };
    rt.block_on((connector.simulate)(
        options,
        "127.0.0.1:0".parse().unwrap(),
    ))
    .unwrap()
}

#[test]
fn every_documented_command_works() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = simulator(&rt);
    let placeholders = Placeholders(vec![
        ("https://my-shop.myshopify.com", sim.info.base_url.clone()),
        ("shpat_...", sim.info.credentials["access_token"].clone()),
    ]);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (placeholder, _) in &placeholders.0 {
        assert!(
            readme.contains(placeholder),
            "the README no longer uses {placeholder}: update this test"
        );
    }
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("readme.db").display());

    let (mut ran, mut parsed, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for command in commands(&text) {
            let (env, words) = split_env(words(&command));
            let program = words.first().map(String::as_str).unwrap_or("");
            let args: Vec<String> = words
                .iter()
                .skip(1)
                .map(|w| placeholders.apply(w))
                .collect();
            match (program, args.first().map(String::as_str)) {
                ("polycart", _) => {
                    let cli = parse(&args, &doc);
                    if long_running(&cli) {
                        parsed.push(command);
                        continue;
                    }
                    let out = Command::new(env!("CARGO_BIN_EXE_polycart"))
                        .args(&args)
                        .current_dir(root())
                        .env("POLYCART_DATABASE_URL", &database)
                        .env("POLYCART_SECRET_KEY", "0a".repeat(32))
                        .envs(env)
                        .output()
                        .expect("the binary runs");
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    assert!(
                        out.status.success(),
                        "{}: `{command}` failed ({}):\n{stdout}\n{}",
                        doc.display(),
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    );
                    check_output(&args, &stdout, &doc);
                    ran.push(command);
                }
                ("cargo", Some("run")) => {
                    let after = args
                        .iter()
                        .position(|a| a == "--")
                        .map(|i| args[i + 1..].to_vec())
                        .unwrap_or_default();
                    let cli = parse(&after, &doc);
                    assert!(
                        long_running(&cli),
                        "{}: `{command}` would be run here instead",
                        doc.display()
                    );
                    parsed.push(command);
                }
                ("cargo", Some("bench")) => {
                    let name = args
                        .iter()
                        .position(|a| a == "--bench")
                        .and_then(|i| args.get(i + 1))
                        .unwrap_or_else(|| panic!("{}: `{command}` names no bench", doc.display()));
                    assert!(
                        bench_targets().contains(name),
                        "{}: no bench target {name}",
                        doc.display()
                    );
                    parsed.push(command);
                }
                ("cargo", Some("test")) => skipped.push(command),
                _ => panic!(
                    "{}: an example this test does not know how to check: `{command}`",
                    doc.display()
                ),
            }
        }
    }
    // The README's examples are all here: connect, list, sync, a key, a mapping; the
    // long-running ones parsed.
    for expected in [
        "stores add",
        "stores list",
        "sync --all",
        "keys create",
        "normalize",
    ] {
        assert!(
            ran.iter().any(|c| c.contains(expected)),
            "ran {expected}: {ran:#?}"
        );
    }
    for expected in [
        "serve",
        "worker",
        "simulate",
        "bench sync",
        "bench fleet",
        "demo",
    ] {
        assert!(
            parsed.iter().any(|c| c.contains(expected)),
            "parsed {expected}: {parsed:#?}"
        );
    }
    assert!(
        !skipped.is_empty(),
        "the test suite's own command is in the README"
    );
    rt.block_on(sim.shutdown());
}

#[test]
fn commands_are_read_as_a_shell_reads_them() {
    let md = "text\n```sh\n# a comment\nPG=x cargo test --workspace   # trailing\npolycart a \\\n  --b 'c d' \"#e\"\n```\n```json\nnot a command\n```\n";
    assert_eq!(
        commands(md),
        vec!["PG=x cargo test --workspace", "polycart a --b 'c d' \"#e\""]
    );
    let (env, rest) = split_env(words("PG=x cargo test"));
    assert_eq!(env, vec![("PG".to_owned(), "x".to_owned())]);
    assert_eq!(rest, vec!["cargo", "test"]);
    assert_eq!(words("a --b 'c d' \"#e\""), vec!["a", "--b", "c d", "#e"]);
}
