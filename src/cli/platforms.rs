//! `polycart platforms [--json]`: every platform polycart speaks, its credentials and
//! what it offers per entity (the same description as `GET /v1/platforms`).

use std::fmt::Write;

use polycart_kit::capabilities::{Deletions, EntityCapabilities};

use crate::api::platforms::{PlatformView, describe};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the description as JSON (as `GET /v1/platforms` answers it).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> String {
    let list = describe();
    if args.json {
        return serde_json::to_string_pretty(&list).expect("the platform list serialises");
    }
    list.data.iter().map(text).collect::<Vec<_>>().join("\n")
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "-" }
}

fn row(e: &EntityCapabilities) -> [String; 8] {
    [
        e.entity.plural().to_owned(),
        yes(e.get).to_owned(),
        yes(e.count).to_owned(),
        e.incremental
            .as_ref()
            .map_or_else(|| "-".to_owned(), |i| i.field.clone()),
        yes(e.created_filter).to_owned(),
        yes(e.status_filter).to_owned(),
        match e.deletions {
            Deletions::WebhooksAndReconciliation => "webhooks+reconcile",
            Deletions::Reconciliation => "reconcile",
        }
        .to_owned(),
        e.max_page_size.to_string(),
    ]
}

fn text(p: &PlatformView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.name);
    let _ = writeln!(out, "  credentials: {}", p.credentials.join(", "));
    for set in &p.credential_sets {
        let _ = writeln!(out, "  or, as {}: {}", set.name, set.credentials.join(", "));
    }
    for o in &p.optional_credentials {
        let _ = writeln!(out, "  optional: {} ({}: {})", o.name, o.feature, o.purpose);
    }
    for s in &p.settings {
        let default = s
            .default
            .map(|d| format!(", default {d}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  setting {}: {}{default}: {}",
            s.name,
            s.describe(),
            s.doc
        );
    }
    let header = [
        "entity",
        "get",
        "count",
        "incremental",
        "created",
        "status",
        "deletions",
        "page",
    ];
    let rows: Vec<[String; 8]> = p.capabilities.entities.iter().map(row).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
    let w = &p.capabilities.writes;
    let writes: Vec<&str> = [
        ("product price", w.product_price),
        ("product title", w.product_title),
        ("product status", w.product_status),
        ("stock (absolute)", w.inventory_set),
        ("stock (delta)", w.inventory_adjust),
        ("order status", w.order_status),
        ("order note", w.order_note),
        ("order tags", w.order_tags),
        ("shipment", w.shipment_create),
        (
            "shipment (platform-assigned tracking)",
            w.shipment_platform_tracking,
        ),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    let _ = writeln!(out, "  writes: {}", writes.join(", "));
    let _ = writeln!(
        out,
        "  webhooks: {} (registration: {}), bulk export: {}",
        yes(p.capabilities.webhooks),
        yes(p.capabilities.webhook_registration),
        yes(p.capabilities.bulk_export)
    );
    out
}
