//! Architecture invariants, checked on the source tree (ARCHITECTURE.md says why each
//! holds): every Rust file opens with a `//!` doc; a simulator never imports its
//! adapter's wire types, mapping, client or writes; SQL appears only in `src/store`;
//! an adapter crate depends on the kit and on no other polycart crate; every adapter
//! crate is in the registry and the app's dependencies; every adapter crate has the one
//! crate shape (files, type names, `docs.md` sections).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The adapter crates: `adapters/<name>` except the kit.
fn adapter_crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("adapters"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            (name != "kit").then_some((name, p))
        })
        .collect();
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    let mut missing = Vec::new();
    for dir in ["src", "tests", "benches", "adapters"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.lines().take(5).any(|l| l.starts_with("//!")) {
                missing.push(relative(&file));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a //! doc in their first lines: {missing:#?}"
    );
}

#[test]
fn simulators_never_import_their_adapter() {
    // What a simulator may not reach: the adapter's own view of the platform.
    const FORBIDDEN: &[&str] = &[
        "crate::wire",
        "crate::mapping",
        "crate::client",
        "crate::adapter",
        "crate::normalize",
        "crate::writes",
        "crate::graphql",
        "crate::queries",
        "crate::gql_read",
        "crate::orders",
        "crate::v3",
        "crate::paging",
    ];
    let mut offences = Vec::new();
    for (_, dir) in adapter_crates() {
        let sim = dir.join("src/sim");
        for file in rust_files(&sim) {
            // The module's depth below the crate root (`sim/mod.rs` is `sim`, one
            // level; `sim/rest.rs` is `sim::rest`, two): that many `super::` reach
            // the adapter.
            let below = file.strip_prefix(&sim).unwrap().components().count();
            let depth = if file.ends_with("mod.rs") {
                below
            } else {
                below + 1
            };
            let climb = "super::".repeat(depth);
            let text = std::fs::read_to_string(&file).unwrap();
            // Unit tests below `#[cfg(test)]` sit one module deeper.
            for line in text.lines().take_while(|l| !l.starts_with("#[cfg(test)]")) {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                if let Some(f) = FORBIDDEN.iter().find(|f| code.contains(*f)) {
                    offences.push(format!("{}: {f}", relative(&file)));
                }
                if code.contains(&climb) {
                    offences.push(format!("{}: {climb}", relative(&file)));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "simulators importing their adapter: {offences:#?}"
    );
}

#[test]
fn sql_lives_only_in_the_store() {
    const SQL: &[&str] = &[
        "sqlx::",
        "\"SELECT ",
        "\"INSERT ",
        "\"UPDATE ",
        "\"DELETE FROM",
        "\"CREATE TABLE",
    ];
    let mut offences = Vec::new();
    let mut files = rust_files(&root().join("src"));
    files.extend(rust_files(&root().join("adapters")));
    for file in files {
        if file.starts_with(root().join("src/store")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(s) = SQL.iter().find(|s| line.contains(*s)) {
                offences.push(format!("{}:{}: {s}", relative(&file), i + 1));
            }
        }
    }
    assert!(offences.is_empty(), "SQL outside src/store: {offences:#?}");
}

/// The dependency names of a `[dependencies]` table in a Cargo.toml (not dev ones).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once('=') {
                // `name = ...` or `name.workspace = true`.
                let name = name.trim().split('.').next().unwrap_or_default();
                if !name.is_empty() && !name.starts_with('#') {
                    out.push(name.to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn adapters_depend_on_the_kit_only() {
    let mut offences = Vec::new();
    for (name, dir) in adapter_crates() {
        for dep in dependencies(&dir.join("Cargo.toml")) {
            if dep.starts_with("polycart") && dep != "polycart-kit" {
                offences.push(format!("{name} depends on {dep}"));
            }
        }
    }
    for dep in dependencies(&root().join("adapters/kit/Cargo.toml")) {
        if dep.starts_with("polycart") {
            offences.push(format!("the kit depends on {dep}"));
        }
    }
    assert!(offences.is_empty(), "{offences:#?}");
}

#[test]
fn every_adapter_crate_is_registered() {
    let registry = std::fs::read_to_string(root().join("src/registry.rs")).unwrap();
    let app = dependencies(&root().join("Cargo.toml"));
    let mut missing = Vec::new();
    for (name, _) in adapter_crates() {
        if !registry.contains(&format!("polycart_{}::connector()", name.replace('-', "_"))) {
            missing.push(format!("{name}: not in src/registry.rs"));
        }
        if !app.iter().any(|d| *d == format!("polycart-{name}")) {
            missing.push(format!("{name}: not a dependency of the app"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The files every adapter crate has, each with one role (`ARCHITECTURE.md`, "One
/// crate shape"); a role may be a file or a folder with its `mod.rs`.
const SHAPE: &[&[&str]] = &[
    &["src/lib.rs"],
    &["src/config.rs"],
    &["src/adapter.rs"],
    &["src/client.rs", "src/client/mod.rs"],
    &["src/wire.rs", "src/wire/mod.rs"],
    &["src/mapping.rs", "src/mapping/mod.rs"],
    &["src/webhooks.rs"],
    &["src/sim/mod.rs"],
    &["docs.md"],
    &["tests/conformance.rs"],
    &["tests/golden.rs"],
];

/// The `##` sections of every adapter's `docs.md`, in order.
const DOC_SECTIONS: &[&str] = &[
    "Auth",
    "Paging",
    "Incremental sync",
    "Rate limits",
    "Webhooks",
    "Writes",
    "Simulator",
    "Known gaps",
];

/// `Name` of `pub struct NameSuffix` in `text`, if there is one.
fn struct_prefix(text: &str, suffix: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let name = line.trim().strip_prefix("pub struct ")?;
        let name: String = name
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        name.strip_suffix(suffix)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
    })
}

/// The text of every `.rs` file under `dir`, joined.
fn all_text(dir: &Path) -> String {
    rust_files(dir)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_adapter_crate_has_the_shape() {
    let mut offences = Vec::new();
    for (name, dir) in adapter_crates() {
        for role in SHAPE {
            if !role.iter().any(|f| dir.join(f).is_file()) {
                offences.push(format!("{name}: missing {}", role.join(" or ")));
            }
        }
        // `impl Adapter` lives in adapter.rs, and nowhere else.
        for file in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let here = text.contains("impl Adapter for ");
            let home = file.ends_with("src/adapter.rs");
            if here != home && (here || home) {
                offences.push(format!(
                    "{}: `impl Adapter` belongs in src/adapter.rs",
                    relative(&file)
                ));
            }
        }
        // lib.rs is the registry entry: `connector()` and no other function.
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap_or_default();
        if !lib.contains("pub fn connector() -> Connector") {
            offences.push(format!("{name}: src/lib.rs has no `pub fn connector()`"));
        }
        let functions = lib
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                (l.starts_with("fn ")
                    || l.starts_with("pub fn ")
                    || l.starts_with("pub(crate) fn "))
                    && !l.contains("fn connector()")
            })
            .count();
        if functions > 0 {
            offences.push(format!(
                "{name}: src/lib.rs defines {functions} function(s) besides connector()"
            ));
        }
        // One naming pattern: <Platform>Adapter, <Platform>Config, <Platform>Sim.
        let adapter = std::fs::read_to_string(dir.join("src/adapter.rs")).unwrap_or_default();
        let config = std::fs::read_to_string(dir.join("src/config.rs")).unwrap_or_default();
        let sim = all_text(&dir.join("src/sim"));
        match struct_prefix(&adapter, "Adapter") {
            None => offences.push(format!(
                "{name}: src/adapter.rs has no `pub struct <Platform>Adapter`"
            )),
            Some(platform) => {
                if platform.to_ascii_lowercase() != name.replace(['-', '_'], "") {
                    offences.push(format!(
                        "{name}: `{platform}Adapter` does not name the platform"
                    ));
                }
                for (text, ty, place) in [
                    (&config, "Config", "src/config.rs"),
                    (&sim, "Sim", "src/sim"),
                ] {
                    if !text.contains(&format!("pub struct {platform}{ty}")) {
                        offences.push(format!(
                            "{name}: {place} has no `pub struct {platform}{ty}`"
                        ));
                    }
                }
            }
        }
        // docs.md: the same sections, in the same order.
        let docs = std::fs::read_to_string(dir.join("docs.md")).unwrap_or_default();
        let sections: Vec<&str> = docs
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .map(str::trim)
            .collect();
        if sections != DOC_SECTIONS {
            offences.push(format!(
                "{name}: docs.md sections are {sections:?}, expected {DOC_SECTIONS:?}"
            ));
        }
    }
    assert!(offences.is_empty(), "{offences:#?}");
}
