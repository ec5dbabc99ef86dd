//! The Debian package end to end: `packaging/test-deb.sh` builds it with cargo-deb
//! from the binary this test run built, installs it, runs the systemd unit's command
//! line as the unit would, checks `/healthz` and removes and purges it. It installs a
//! system package, so it runs under `CI=true` (where it must pass) and elsewhere only
//! as root with `POLYCART_TEST_DEB=1`; otherwise it says why it is skipped.

use std::path::Path;
use std::process::Command;

#[test]
fn the_debian_package_installs_serves_and_uninstalls() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let opted_in = std::env::var("POLYCART_TEST_DEB").is_ok_and(|v| v == "1");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !ci && !(opted_in && root) {
        eprintln!(
            "skipped: installs a Debian package system-wide; runs under CI=true, or as root with POLYCART_TEST_DEB=1"
        );
        return;
    }
    // The binary this test run built: package it instead of building a release.
    let bin = Path::new(env!("CARGO_BIN_EXE_polycart"));
    let profile = match bin
        .parent()
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
    {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/test-deb.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("POLYCART_DEB_PROFILE", &profile)
        .output()
        .expect("bash runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{log}");
    assert!(out.status.success(), "packaging/test-deb.sh failed:\n{log}");
    assert!(log.contains("test-deb: ok"), "{log}");
}
