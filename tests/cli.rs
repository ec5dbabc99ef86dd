//! The `polycart` binary's command-line contract: exit codes and one-line errors.

use std::process::Command;

fn polycart(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polycart"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn unknown_platform_is_exit_2_with_one_line() {
    for args in [
        &[
            "normalize",
            "--platform",
            "nosuch",
            "--entity",
            "order",
            "/dev/null",
        ][..],
        &["simulate", "nosuch"][..],
    ] {
        let out = polycart(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("unknown platform \"nosuch\""), "{err}");
    }
}

#[test]
fn unknown_entity_is_a_usage_error() {
    let out = polycart(&["normalize", "--platform", "x", "--entity", "widgets"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown entity"));
}
