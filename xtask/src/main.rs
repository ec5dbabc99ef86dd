//! polycart's developer tasks, run with `cargo run -p xtask -- <task>`:
//!
//! - `new-adapter NAME [--type-name Name]` writes `adapters/NAME`, a compiling adapter
//!   crate in the one crate shape (`ARCHITECTURE.md`) with a simulator stub that passes
//!   the conformance suite for an empty store, and registers it (the app's
//!   dependencies and `src/registry.rs`). The skeleton speaks a plain REST platform
//!   (bearer token, page-number paging, `updated_at_min`); replace what differs.
//!
//! No dependencies: the templates are text with `{{name}}` (registry name) and
//! `{{Name}}` (type-name prefix) holes.

mod scaffold;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo run -p xtask -- new-adapter NAME [--type-name Name] [--root DIR] [--no-register]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let (task, rest) = args.split_first().ok_or("no task given")?;
    match task.as_str() {
        "new-adapter" => {
            let mut name = None;
            let mut type_name = None;
            let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            let mut register = true;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                match arg.as_str() {
                    "--type-name" => {
                        type_name = Some(it.next().ok_or("--type-name needs a value")?.clone())
                    }
                    "--root" => root = PathBuf::from(it.next().ok_or("--root needs a value")?),
                    "--no-register" => register = false,
                    flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
                    value if name.is_none() => name = Some(value.to_owned()),
                    value => return Err(format!("unexpected argument {value:?}")),
                }
            }
            let name = name.ok_or("new-adapter needs a NAME")?;
            let names = scaffold::Names::new(&name, type_name.as_deref())?;
            let report = scaffold::write(&root, &names, register)?;
            Ok(report)
        }
        other => Err(format!("unknown task {other:?}")),
    }
}
