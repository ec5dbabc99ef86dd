//! `polycart normalize --platform P --entity E [--currency C] [--weight-unit U] [FILE]`:
//! the public, network-free way to see a mapping. Prints one unified object, or an
//! array for a list envelope; on malformed or unmappable input prints one error line
//! naming the JSON path and exits 2.
//!
//! A payload does not always say what its store knows (a Shopify REST product's prices
//! have no currency, a WooCommerce product's weights no unit): `--currency` and
//! `--weight-unit` give the mapping that store context, as a sync has it. Without them
//! the fields that needed it are `null`, and a warning on stderr names them and says
//! why; stdout is the same JSON either way.

use std::io::Read;
use std::path::PathBuf;

use polycart_kit::Entity;
use polycart_kit::connector::{Normalized, StoreContext, weight_unit};
use polycart_kit::model::Currency;
use serde_json::Value;

use crate::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform registry name (shopify, woocommerce, bigcommerce, ...).
    #[arg(long)]
    pub platform: String,
    /// order, product, customer, category or inventory (plural accepted).
    #[arg(long)]
    pub entity: Entity,
    /// The store's currency (ISO 4217, e.g. USD), for amounts the payload writes
    /// without one.
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub currency: Option<Currency>,
    /// The store's weight unit (kg, g, lb, oz, t), for weights the payload writes
    /// without one.
    #[arg(long, value_name = "UNIT", value_parser = parse_weight_unit)]
    pub weight_unit: Option<String>,
    /// The payload file; stdin when absent or "-".
    pub file: Option<PathBuf>,
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::parse(text).map_err(|e| e.to_string())
}

fn parse_weight_unit(text: &str) -> Result<String, String> {
    weight_unit(text)
        .map(str::to_owned)
        .ok_or_else(|| format!("{text:?} is not a weight unit (kg, g, lb, oz, t)"))
}

/// What the command prints: the JSON for stdout and warnings for stderr.
#[derive(Debug)]
pub struct Output {
    pub json: String,
    pub warnings: Vec<String>,
}

/// Runs the command; `Err` carries the one-line message for stderr.
pub fn run(args: &Args) -> Result<Output, String> {
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
    let context = StoreContext {
        currency: args.currency.clone(),
        weight_unit: args.weight_unit.clone(),
        time_zone: None,
    };
    let map = |ctx: &StoreContext| -> Result<Value, String> {
        let normalized =
            (connector.normalize)(args.entity, &text, ctx).map_err(|e| e.to_string())?;
        let value = match normalized {
            Normalized::One(record) => serde_json::to_value(&record),
            Normalized::List(records) => serde_json::to_value(&records),
        };
        value.map_err(|e| format!("cannot print the result: {e}"))
    };
    let value = map(&context)?;
    let warnings = missing_context(&context, &value, map);
    let json = serde_json::to_string_pretty(&value)
        .map_err(|e| format!("cannot print the result: {e}"))?;
    Ok(Output { json, warnings })
}

/// The warnings for what the mapping left `null` for want of store context. The
/// payload is mapped again with a stand-in for each missing piece (currency `XXX`,
/// ISO 4217's "no currency"; weight unit `kg`): the fields that come out filled then
/// are the ones the real store's value would have filled.
fn missing_context(
    given: &StoreContext,
    value: &Value,
    map: impl Fn(&StoreContext) -> Result<Value, String>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if given.currency.is_none() {
        let probe = StoreContext {
            currency: Some(Currency::parse("XXX").expect("a valid code")),
            ..given.clone()
        };
        let fields = filled_by(value, &map(&probe).unwrap_or(Value::Null));
        if !fields.is_empty() {
            warnings.push(format!(
                "left null without the store's currency (the payload names none; give --currency CODE): {}",
                fields.join(", ")
            ));
        }
    }
    if given.weight_unit.is_none() {
        let probe = StoreContext {
            weight_unit: Some("kg".to_owned()),
            ..given.clone()
        };
        let fields = filled_by(value, &map(&probe).unwrap_or(Value::Null));
        if !fields.is_empty() {
            warnings.push(format!(
                "left null without the store's weight unit (the payload gives weights without one; give --weight-unit UNIT): {}",
                fields.join(", ")
            ));
        }
    }
    warnings
}

/// The paths (`$.variants[*].price`) that are `null` in `without` and filled in
/// `with`, array indices folded, each once, in order.
fn filled_by(without: &Value, with: &Value) -> Vec<String> {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Null, b) if !b.is_null() && !out.iter().any(|p| p == path) => {
                out.push(path.to_owned());
            }
            (Value::Object(a), Value::Object(b)) => {
                for (k, av) in a {
                    if let Some(bv) = b.get(k) {
                        walk(&format!("{path}.{k}"), av, bv, out);
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for (av, bv) in a.iter().zip(b) {
                    walk(&format!("{path}[*]"), av, bv, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let root = if without.is_array() { "$[*]" } else { "$" };
    match (without, with) {
        (Value::Array(a), Value::Array(b)) => {
            for (av, bv) in a.iter().zip(b) {
                walk(root, av, bv, &mut out);
            }
        }
        _ => walk(root, without, with, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_filled_only_with_context_are_named_once() {
        let without = serde_json::json!([
            {"price": null, "variants": [{"price": null}, {"price": null}], "raw": {"a": null}},
            {"price": null, "variants": []}
        ]);
        let with = serde_json::json!([
            {"price": "1", "variants": [{"price": "1"}, {"price": "2"}], "raw": {"a": null}},
            {"price": "1", "variants": []}
        ]);
        assert_eq!(
            filled_by(&without, &with),
            vec!["$[*].price", "$[*].variants[*].price"]
        );
        assert!(filled_by(&with, &with).is_empty());
    }
}
