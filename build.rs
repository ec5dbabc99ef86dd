//! Build script: the git revision `polycart --version` shows. `POLYCART_BUILD_REVISION`
//! wins (a packager building from a tarball); else `git rev-parse --short=12 HEAD`,
//! with `-dirty` when tracked files differ from it; else `unknown`.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=POLYCART_BUILD_REVISION");
    let revision = match std::env::var("POLYCART_BUILD_REVISION") {
        Ok(r) if !r.trim().is_empty() => r.trim().to_owned(),
        _ => from_git().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo:rustc-env=POLYCART_GIT_REVISION={revision}");
}

fn from_git() -> Option<String> {
    let head = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Rebuild when HEAD moves (a commit, a checkout) or the index changes (an add).
    for path in ["HEAD", "index"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            watch(&p);
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        watch(&p);
    }
    // Sources edited since HEAD rebuild the crate, and this script with it.
    println!("cargo:rerun-if-changed=src");
    let dirty = git(&[
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=no",
    ])
    .is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// Reruns this script when `path` changes; a path that does not exist (a packed ref)
/// is not watched, or every build would rerun it.
fn watch(path: &str) {
    let p = absolute(path);
    if p.exists() {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn absolute(path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() {
        p
    } else {
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(p)
    }
}
