//! The configuration reference cannot go stale: `docs/configuration.md` is exactly
//! what `polycart config env` prints (`UPDATE_GOLDEN=1` rewrites it), and every
//! environment variable the source reads — `env::var("…")`, `var_os("…")`, clap's
//! `env = "…"`, any `"POLYCART_…"`/`"OTEL_…"` name — is in the registry it is
//! generated from.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn docs_configuration_md_is_the_generated_reference() {
    let out = Command::new(env!("CARGO_BIN_EXE_polycart"))
        .args(["config", "env"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = root().join("docs/configuration.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/configuration.md is stale: run `UPDATE_GOLDEN=1 cargo test --test config_reference` and commit it"
    );
    // What it must say, whatever else changes.
    for name in [
        "POLYCART_DATABASE_URL",
        "POLYCART_LOG",
        "POLYCART_LOG_FORMAT",
        "POLYCART_SECRET_KEY",
        "POLYCART_METRICS_STORE_LABELS",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_SERVICE_NAME",
    ] {
        assert!(generated.contains(&format!("| `{name}` |")), "{name}");
    }
    // The command line's variables say which flag of which command takes them.
    assert!(
        generated.contains("serve (`--database-url`)"),
        "{generated}"
    );
}

/// Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && !s.ends_with('_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The variable names a source text reads or names.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    // Any quoted POLYCART_… or OTEL_… name.
    for (i, _) in text.match_indices('"') {
        let rest = &text[i + 1..];
        let Some(end) = rest.find('"') else { continue };
        let word = &rest[..end];
        if is_name(word) && (word.starts_with("POLYCART_") || word.starts_with("OTEL_")) {
            names.insert(word.to_owned());
        }
    }
    // Whatever name the code reads from the environment.
    for opener in ["var(\"", "var_os(\"", "env = \""] {
        for (i, _) in text.match_indices(opener) {
            let rest = &text[i + opener.len()..];
            if let Some(end) = rest.find('"')
                && is_name(&rest[..end])
            {
                names.insert(rest[..end].to_owned());
            }
        }
    }
    names
}

#[test]
fn every_variable_the_source_reads_is_in_the_reference() {
    let mut files = vec![root().join("build.rs")];
    rust_files(&root().join("src"), &mut files);
    for adapter in std::fs::read_dir(root().join("adapters"))
        .unwrap()
        .flatten()
    {
        rust_files(&adapter.path().join("src"), &mut files);
    }
    assert!(files.len() > 50, "the source was not found");
    let known: BTreeSet<String> = polycart::config_env::rows(&polycart::cli::Cli::command())
        .into_iter()
        .map(|r| r.name)
        .collect();
    // Set for the compiler (`env!`), by build.rs or by cargo for build scripts.
    let compile_time = ["POLYCART_GIT_REVISION", "CARGO_MANIFEST_DIR"];
    let mut missing = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for name in names_in(&text) {
            if !known.contains(&name) && !compile_time.contains(&name.as_str()) {
                missing.insert(format!("{name} ({})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "read by the source but not in src/config_env.rs (add them, then regenerate docs/configuration.md): {missing:?}"
    );
}

#[test]
fn the_scan_finds_what_it_should() {
    let names = names_in(
        r#"std::env::var("HOSTNAME"); var_os("X_Y"); #[arg(env = "POLYCART_A")] "OTEL_B" "nothing" "POLYCART_c""#,
    );
    let expected: BTreeSet<String> = ["HOSTNAME", "X_Y", "POLYCART_A", "OTEL_B"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(names, expected);
}
