//! `polycart drift [--json]`: the schema drift workers recorded — fields synced
//! payloads carried that the learnt shape does not know or knows with another JSON
//! type — and the API deprecations platforms announced per store (the same report as
//! `GET /v1/drift`, every store's).

use std::fmt::Write;

use super::db::DbArgs;
use crate::api::drift::{DriftReport, report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the report as JSON (as `GET /v1/drift` answers it).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(args: &Args) -> Result<String, String> {
    let store = args.db.open().await?;
    let report = report(store.as_ref(), None)
        .await
        .map_err(|e| e.to_string())?;
    if args.json {
        return serde_json::to_string_pretty(&report).map_err(|e| e.to_string());
    }
    Ok(text(&report))
}

/// The report as two aligned tables.
pub fn text(report: &DriftReport) -> String {
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let mut out = String::new();
    if report.drift.is_empty() {
        out.push_str("no schema drift recorded\n");
    } else {
        let rows: Vec<[String; 8]> = report
            .drift
            .iter()
            .map(|d| {
                [
                    d.platform.clone(),
                    d.entity.clone(),
                    d.api_version.clone(),
                    d.field.clone(),
                    d.kind.clone(),
                    match &d.expected_type {
                        Some(e) => format!("{e} -> {}", d.seen_type),
                        None => d.seen_type.clone(),
                    },
                    d.count.to_string(),
                    time(d.last_seen),
                ]
            })
            .collect();
        table(
            &mut out,
            [
                "PLATFORM",
                "ENTITY",
                "VERSION",
                "FIELD",
                "KIND",
                "TYPE",
                "COUNT",
                "LAST SEEN",
            ],
            &rows,
        );
    }
    out.push('\n');
    if report.deprecations.is_empty() {
        out.push_str("no API deprecations announced\n");
    } else {
        let rows: Vec<[String; 6]> = report
            .deprecations
            .iter()
            .map(|d| {
                [
                    d.platform.clone(),
                    d.store_id.clone(),
                    d.api_version.clone(),
                    d.sunset
                        .map_or_else(|| "-".to_owned(), |s| s.format("%Y-%m-%d").to_string()),
                    time(d.last_seen),
                    d.reason.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            [
                "PLATFORM",
                "STORE",
                "VERSION",
                "SUNSET",
                "LAST SEEN",
                "REASON",
            ],
            &rows,
        );
    }
    out.trim_end().to_owned()
}

fn table<const N: usize>(out: &mut String, head: [&str; N], rows: &[[String; N]]) {
    let mut widths = head.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(out, head.to_vec());
    for row in rows {
        line(out, row.iter().map(String::as_str).collect());
    }
}
