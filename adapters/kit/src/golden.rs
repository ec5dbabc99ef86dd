//! Golden files behind one helper: `fixtures/<platform>/<entity>/<case>.json` is mapped
//! and compared with `<case>.unified.json`. `UPDATE_GOLDEN=1` rewrites the expected
//! files, to be reviewed as a diff.

use std::path::{Path, PathBuf};

/// Compares `actual` with the golden file beside `input` (`x.json` → `x.unified.json`);
/// with `UPDATE_GOLDEN=1` writes it instead. Returns a message describing a mismatch.
pub fn check(input: &Path, actual: &serde_json::Value) -> Result<(), String> {
    let golden = golden_path(input);
    let pretty = serde_json::to_string_pretty(actual).expect("json values print") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0") {
        std::fs::write(&golden, &pretty)
            .map_err(|e| format!("cannot write {}: {e}", golden.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&golden).map_err(|e| {
        format!(
            "missing golden file {} ({e}); run with UPDATE_GOLDEN=1",
            golden.display()
        )
    })?;
    let expected: serde_json::Value =
        serde_json::from_str(&expected).map_err(|e| format!("{}: {e}", golden.display()))?;
    if &expected != actual {
        return Err(format!(
            "{} differs from the mapping of {}; run with UPDATE_GOLDEN=1 and review the diff\n--- actual ---\n{pretty}",
            golden.display(),
            input.display()
        ));
    }
    Ok(())
}

/// `x.json` → `x.unified.json`.
pub fn golden_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("case");
    input.with_file_name(format!("{stem}.unified.json"))
}

/// Every raw fixture (`*.json`, not `*.unified.json`) under `dir`, sorted, recursively.
pub fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && !path.to_string_lossy().ends_with(".unified.json")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
