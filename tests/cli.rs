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

fn fixture(path: &str) -> String {
    format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("stdout is the unified JSON alone")
}

#[test]
fn normalize_takes_the_store_context_a_payload_lacks() {
    // A Shopify REST product without presentment prices names no currency.
    let file = fixture("shopify/product/legacy-product-ipod-nano.json");
    let base = ["normalize", "--platform", "shopify", "--entity", "product"];

    let bare = polycart(&[&base[..], &[file.as_str()]].concat());
    assert_eq!(bare.status.code(), Some(0));
    let product = json_of(&bare);
    assert!(product["price"].is_null());
    assert!(product["variants"][0]["price"].is_null());
    let err = String::from_utf8(bare.stderr.clone()).unwrap();
    assert!(err.starts_with("warning: "), "{err}");
    assert!(err.contains("--currency"), "{err}");
    assert!(
        err.contains("$.price") && err.contains("$.variants[*].price"),
        "the warning names the fields: {err}"
    );

    let given = polycart(&[&base[..], &["--currency", "usd", file.as_str()]].concat());
    assert_eq!(given.status.code(), Some(0));
    let product = json_of(&given);
    assert_eq!(product["price"]["currency"], "USD");
    assert_eq!(product["variants"][0]["price"]["currency"], "USD");
    assert!(given.stderr.is_empty(), "nothing left null, nothing to say");
}

#[test]
fn normalize_takes_the_weight_unit_and_names_each_missing_piece() {
    let file = fixture("bigcommerce/product/v3-list-products-include-variants.json");
    let base = [
        "normalize",
        "--platform",
        "bigcommerce",
        "--entity",
        "product",
    ];

    let bare = polycart(&[&base[..], &[file.as_str()]].concat());
    assert_eq!(bare.status.code(), Some(0));
    let err = String::from_utf8(bare.stderr.clone()).unwrap();
    assert_eq!(
        err.lines().count(),
        2,
        "one warning per missing piece: {err}"
    );
    assert!(err.contains("--weight-unit") && err.contains("$[*].variants[*].weight"));
    assert!(json_of(&bare)[0]["variants"][0]["weight"].is_null());

    let given = polycart(
        &[
            &base[..],
            &["--currency", "EUR", "--weight-unit", "LBS", file.as_str()],
        ]
        .concat(),
    );
    assert_eq!(given.status.code(), Some(0));
    assert!(
        given.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&given.stderr)
    );
    let products = json_of(&given);
    assert_eq!(products[0]["variants"][0]["weight"]["unit"], "lb");
    assert_eq!(products[0]["price"]["currency"], "EUR");
}

#[test]
fn normalize_refuses_context_it_cannot_read() {
    let file = fixture("shopify/product/legacy-product-ipod-nano.json");
    for bad in [["--currency", "DOLLARS"], ["--weight-unit", "stone"]] {
        let out = polycart(
            &[
                &["normalize", "--platform", "shopify", "--entity", "product"][..],
                &bad[..],
                &[file.as_str()],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn orders_name_their_store_and_buyer_currencies_without_context() {
    // An order payload says its own currency: no store context, no warning.
    let out = polycart(&[
        "normalize",
        "--platform",
        "shopify",
        "--entity",
        "order",
        &fixture("shopify/order/get-order-450789469-full.json"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let order = json_of(&out);
    assert_eq!(order["currency"], "USD");
    assert!(
        order["presentment_currency"].is_null(),
        "paid in the shop's currency"
    );
    assert!(order["presentment_totals"].is_null());
}

#[test]
fn platforms_describes_every_registered_platform_per_entity() {
    let out = polycart(&["platforms", "--json"]);
    assert!(out.status.success());
    let doc = json_of(&out);
    let names: Vec<&str> = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let registered: Vec<&str> = polycart::registry::connectors()
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, registered);
    // Capabilities are per entity: WooCommerce filters orders by status, customers not.
    let woo = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "woocommerce")
        .unwrap();
    let entity = |name: &str| {
        woo["capabilities"]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entity"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(entity("order")["status_filter"], true);
    assert_eq!(entity("customer")["status_filter"], false);
    assert!(entity("customer")["incremental"].is_null());
    assert_eq!(entity("order")["incremental"]["field"], "modified_after");
    let text = polycart(&["platforms"]);
    let text = String::from_utf8(text.stdout).unwrap();
    for name in registered {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn settings_are_checked_against_the_platforms_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let add = |setting: &str| {
        Command::new(env!("CARGO_BIN_EXE_polycart"))
            .args([
                "stores",
                "add",
                "--platform",
                "shopify",
                "--url",
                "https://my-shop.myshopify.com",
                "--credential",
                "access_token=shpat_x",
                "--setting",
                setting,
                "--database-url",
                &db,
            ])
            .env("POLYCART_SECRET_KEY", "00".repeat(32))
            .output()
            .unwrap()
    };
    let unknown = add("colour=red");
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("unknown setting") && err.contains("api_version, api, plan"),
        "{err}"
    );
    let bad = add("api=soap");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("one of graphql, rest"));
    assert!(add("api=rest").status.success());
}

#[test]
fn version_names_the_git_revision() {
    let out = polycart(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.trim();
    assert!(
        line.starts_with(&format!("polycart {} (", env!("CARGO_PKG_VERSION")))
            && line.ends_with(')'),
        "{line}"
    );
    let revision = &line[line.find('(').unwrap() + 1..line.len() - 1];
    // In a git checkout (CI's clone, a developer's tree) the short hash of HEAD.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(head) if std::env::var_os("POLYCART_BUILD_REVISION").is_none() => {
            assert!(revision.starts_with(&head), "{revision} vs HEAD {head}")
        }
        _ => assert!(!revision.is_empty()),
    }
}
