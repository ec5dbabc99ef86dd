//! `new-adapter`: renders the crate templates under `templates/` into
//! `adapters/<name>` and registers the crate with the app. Refuses to overwrite
//! anything: a platform's crate is written once, then edited by hand.

use std::path::Path;

/// The names a new adapter is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Names {
    /// Registry and folder name, lower case (`acme`).
    pub(crate) name: String,
    /// Type-name prefix (`Acme` → `AcmeAdapter`, `AcmeConfig`, `AcmeSim`).
    pub(crate) type_name: String,
}

impl Names {
    /// Checks `name` (lower-case ASCII letters and digits, starting with a letter) and
    /// derives the type name from it unless one is given.
    pub(crate) fn new(name: &str, type_name: Option<&str>) -> Result<Self, String> {
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.len() <= 40;
        if !ok || name == "kit" {
            return Err(format!(
                "{name:?} is not a platform name: lower-case letters and digits, starting with a letter (not \"kit\")"
            ));
        }
        let type_name = match type_name {
            Some(t) => t.to_owned(),
            None => {
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .into_iter()
                    .chain(chars)
                    .collect()
            }
        };
        let type_ok = type_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
            && type_name.chars().all(|c| c.is_ascii_alphanumeric());
        if !type_ok || type_name.to_ascii_lowercase() != name {
            return Err(format!(
                "type name {type_name:?} must be {name:?} in CamelCase (ASCII letters and digits)"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            type_name,
        })
    }

    fn render(&self, template: &str) -> String {
        template
            .replace("{{name}}", &self.name)
            .replace("{{Name}}", &self.type_name)
    }
}

/// Every file of the skeleton: its path in the crate and its template.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/Cargo.toml.tpl")),
    ("docs.md", include_str!("../templates/docs.md.tpl")),
    ("src/lib.rs", include_str!("../templates/lib.rs.tpl")),
    ("src/config.rs", include_str!("../templates/config.rs.tpl")),
    (
        "src/adapter.rs",
        include_str!("../templates/adapter.rs.tpl"),
    ),
    ("src/client.rs", include_str!("../templates/client.rs.tpl")),
    ("src/wire.rs", include_str!("../templates/wire.rs.tpl")),
    (
        "src/mapping.rs",
        include_str!("../templates/mapping.rs.tpl"),
    ),
    (
        "src/webhooks.rs",
        include_str!("../templates/webhooks.rs.tpl"),
    ),
    ("src/sim/mod.rs", include_str!("../templates/sim.rs.tpl")),
    (
        "tests/conformance.rs",
        include_str!("../templates/conformance.rs.tpl"),
    ),
    (
        "tests/golden.rs",
        include_str!("../templates/golden.rs.tpl"),
    ),
    (
        "fixtures/order/example.json",
        include_str!("../templates/order.json.tpl"),
    ),
];

/// Writes the crate under `root/adapters/<name>` (and, with `register`, adds it to the
/// app); returns what was done, with the lines written.
pub(crate) fn write(root: &Path, names: &Names, register: bool) -> Result<String, String> {
    let dir = root.join("adapters").join(&names.name);
    if dir.exists() {
        return Err(format!("{} exists; not overwriting it", dir.display()));
    }
    let mut lines = 0;
    for (path, template) in FILES {
        let (target, text) = match path.strip_prefix("fixtures/") {
            // Fixtures live at the workspace root, beside every platform's.
            Some(rest) => (
                root.join("fixtures").join(&names.name).join(rest),
                names.render(template),
            ),
            None => (dir.join(path), names.render(template)),
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        if target.exists() {
            return Err(format!("{} exists; not overwriting it", target.display()));
        }
        lines += text.lines().count();
        std::fs::write(&target, text).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    let mut report = format!(
        "wrote adapters/{} ({} files, {lines} lines)",
        names.name,
        FILES.len()
    );
    if register {
        register_crate(root, names)?;
        report.push_str("; registered in Cargo.toml and src/registry.rs");
    }
    report.push_str(&format!(
        "\nnext: cargo test -p polycart-{} (the conformance suite against the stub simulator)",
        names.name
    ));
    Ok(report)
}

/// Adds the crate to the app's dependencies and its line to `src/registry.rs`, both
/// kept in name order.
fn register_crate(root: &Path, names: &Names) -> Result<(), String> {
    let manifest_path = root.join("Cargo.toml");
    let manifest = read(&manifest_path)?;
    let dependency = format!(
        "polycart-{name} = {{ path = \"adapters/{name}\" }}",
        name = names.name
    );
    let manifest = insert_sorted(
        &manifest,
        "polycart-",
        " = { path = \"adapters/",
        &dependency,
    )
    .ok_or("Cargo.toml: no `polycart-<platform> = { path = ... }` dependency to add beside")?;
    let registry_path = root.join("src/registry.rs");
    let registry = read(&registry_path)?;
    let entry = format!("polycart_{}::connector(),", names.name);
    let registry = insert_sorted(&registry, "polycart_", "::connector(),", &entry)
        .ok_or("src/registry.rs: no `polycart_<platform>::connector(),` line to add beside")?;
    std::fs::write(&manifest_path, manifest).map_err(|e| e.to_string())?;
    std::fs::write(&registry_path, registry).map_err(|e| e.to_string())?;
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `text` with `line` inserted among the run of lines that start (after indentation)
/// with `prefix` and contain `marker`, in sorted order, with their indentation. The
/// kit's own line (`polycart-kit = { path = "adapters/kit" }`, in the workspace's
/// dependencies) is not one of them: platforms go beside each other in the app's.
fn insert_sorted(text: &str, prefix: &str, marker: &str, line: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let matching: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let t = lines[i].trim_start();
            t.starts_with(prefix) && t.contains(marker) && !t.starts_with(&format!("{prefix}kit "))
        })
        .collect();
    let first = *matching.first()?;
    let indent: String = lines[first]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let at = matching
        .iter()
        .copied()
        .find(|&i| lines[i].trim_start() > line)
        .unwrap_or(matching[matching.len() - 1] + 1);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out.insert(at, format!("{indent}{line}"));
    Some(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_camel_cased() {
        assert_eq!(Names::new("acme", None).unwrap().type_name, "Acme");
        assert_eq!(
            Names::new("prestashop", Some("PrestaShop"))
                .unwrap()
                .type_name,
            "PrestaShop"
        );
        for bad in ["", "Acme", "1shop", "my-shop", "../x", "kit", "a b"] {
            assert!(Names::new(bad, None).is_err(), "{bad:?} accepted");
        }
        assert!(Names::new("acme", Some("Other")).is_err());
        assert!(Names::new("acme", Some("acme")).is_err());
    }

    #[test]
    fn registration_keeps_name_order() {
        let registry = "vec![\n    polycart_bigcommerce::connector(),\n    polycart_shopify::connector(),\n]\n";
        let out = insert_sorted(
            registry,
            "polycart_",
            "::connector(),",
            "polycart_magento::connector(),",
        )
        .unwrap();
        assert_eq!(
            out,
            "vec![\n    polycart_bigcommerce::connector(),\n    polycart_magento::connector(),\n    polycart_shopify::connector(),\n]\n"
        );
        let last = insert_sorted(
            registry,
            "polycart_",
            "::connector(),",
            "polycart_wix::connector(),",
        )
        .unwrap();
        assert!(last.contains("polycart_shopify::connector(),\n    polycart_wix::connector(),\n]"));
        assert!(insert_sorted("nothing", "polycart_", "::connector(),", "x").is_none());
        // A platform sorting before "kit" still goes among the app's dependencies.
        let manifest = "[workspace.dependencies]\npolycart-kit = { path = \"adapters/kit\" }\n\n[dependencies]\npolycart-kit.workspace = true\npolycart-shopify = { path = \"adapters/shopify\" }\n";
        let out = insert_sorted(
            manifest,
            "polycart-",
            " = { path = \"adapters/",
            "polycart-ecwid = { path = \"adapters/ecwid\" }",
        )
        .unwrap();
        assert!(
            out.contains(
                "workspace = true\npolycart-ecwid = { path = \"adapters/ecwid\" }\npolycart-shopify"
            ),
            "{out}"
        );
    }

    #[test]
    fn every_template_names_the_platform_through_holes() {
        for (path, template) in FILES {
            assert!(
                !template.contains("acme") && !template.contains("Acme"),
                "{path} hard-codes a name"
            );
        }
        let names = Names::new("acme", None).unwrap();
        let lib = names.render(FILES.iter().find(|(p, _)| *p == "src/lib.rs").unwrap().1);
        assert!(lib.contains("pub const PLATFORM: &str = \"acme\";"));
        assert!(!lib.contains("{{"));
    }
}
