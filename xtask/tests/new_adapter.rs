//! `new-adapter` end to end: the skeleton is written into a scratch workspace beside
//! the real one (same dependencies, lock file, profiles and target directory, so
//! nothing is downloaded and little is rebuilt), then its own tests run there — the
//! golden test (its golden file written on the first run, compared on the second) and
//! the kit's conformance suite against the stub simulator on an empty store and a
//! small one. Prints the lines written and the time to a passing conformance run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// The root manifest's workspace and profile sections, with the kit at its absolute
/// path and the skeleton's folder as the only members.
fn scratch_manifest(repo: &Path) -> String {
    let root = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let mut keep = false;
    let mut out = Vec::new();
    for line in root.lines() {
        if line.starts_with('[') {
            keep = line.starts_with("[workspace") || line.starts_with("[profile");
        }
        if keep {
            out.push(if line.starts_with("members = ") {
                "members = [\"adapters/*\"]".to_owned()
            } else {
                line.replace(
                    "{ path = \"adapters/kit\" }",
                    &format!(
                        "{{ path = {:?} }}",
                        repo.join("adapters/kit").display().to_string()
                    ),
                )
            });
        }
    }
    out.join("\n") + "\n"
}

fn run(dir: &Path, target: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "cargo {args:?} failed:\n{text}");
    text
}

#[test]
fn the_skeleton_compiles_and_passes_the_conformance_suite() {
    let repo = repo();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let scratch = target.join("tmp/new-adapter");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("Cargo.toml"), scratch_manifest(&repo)).unwrap();
    std::fs::copy(repo.join("Cargo.lock"), scratch.join("Cargo.lock")).unwrap();

    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "new-adapter",
            "acmeshop",
            "--type-name",
            "AcmeShop",
            "--no-register",
            "--root",
        ])
        .arg(&scratch)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("wrote adapters/acmeshop"), "{report}");
    // Writing again is refused: a platform's crate is written once.
    let again = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["new-adapter", "acmeshop", "--no-register", "--root"])
        .arg(&scratch)
        .output()
        .unwrap();
    assert!(!again.status.success());

    let crate_dir = scratch.join("adapters/acmeshop");
    let source = ["src", "tests"]
        .iter()
        .flat_map(|d| walk(&crate_dir.join(d)))
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum::<usize>();
    let test = ["test", "--offline", "-p", "polycart-acmeshop"];
    run(&scratch, &target, &test, &[("UPDATE_GOLDEN", "1")]);
    let second = run(&scratch, &target, &test, &[]);
    assert!(second.contains("full_sync_equals_truth ... ok"), "{second}");
    let golden =
        std::fs::read_to_string(scratch.join("fixtures/acmeshop/order/example.unified.json"))
            .unwrap();
    // Money exact with its currency; the +02:00 timestamp in UTC.
    assert!(golden.contains("\"27.50\""), "{golden}");
    assert!(golden.contains("2025-01-02T22:00:00Z"), "{golden}");
    eprintln!(
        "new-adapter: {report}; {source} lines of Rust in src/ and tests/; scaffold to a passing conformance run in {:.1} s (build included)",
        started.elapsed().as_secs_f64()
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
