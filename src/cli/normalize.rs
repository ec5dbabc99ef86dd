//! `polycart normalize --platform P --entity E [FILE]`: the public, network-free way
//! to see a mapping. Prints one unified object, or an array for a list envelope; on
//! malformed or unmappable input prints one error line naming the JSON path and exits 2.

use std::io::Read;
use std::path::PathBuf;

use polycart_kit::Entity;
use polycart_kit::connector::Normalized;

use crate::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform registry name (shopify, woocommerce, bigcommerce, ...).
    #[arg(long)]
    pub platform: String,
    /// order, product, customer, category or inventory (plural accepted).
    #[arg(long)]
    pub entity: Entity,
    /// The payload file; stdin when absent or "-".
    pub file: Option<PathBuf>,
}

/// Runs the command; `Err` carries the one-line message for stderr.
pub fn run(args: &Args) -> Result<String, String> {
    let connector = registry::connector(&args.platform).map_err(|e| e.to_string())?;
    let text = match &args.file {
        Some(path) if path.as_os_str() != "-" => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        _ => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            s
        }
    };
    let normalized = (connector.normalize)(args.entity, &text).map_err(|e| e.to_string())?;
    let json = match normalized {
        Normalized::One(record) => serde_json::to_string_pretty(&record),
        Normalized::List(records) => serde_json::to_string_pretty(&records),
    };
    json.map_err(|e| format!("cannot print the result: {e}"))
}
