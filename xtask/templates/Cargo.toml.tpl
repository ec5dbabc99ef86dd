[package]
name = "polycart-{{name}}"
description = "polycart adapter and simulator for {{Name}}"
version.workspace = true
edition.workspace = true
license.workspace = true
rust-version.workspace = true

[lints]
workspace = true

[features]
default = ["sim"]
sim = ["dep:axum", "polycart-kit/sim"]

[dependencies]
polycart-kit.workspace = true
async-trait.workspace = true
axum = { workspace = true, optional = true }
chrono.workspace = true
futures.workspace = true
http.workspace = true
rust_decimal.workspace = true
serde.workspace = true
serde_json.workspace = true
tokio.workspace = true
url.workspace = true

[dev-dependencies]
tokio = { workspace = true, features = ["test-util"] }
