//! Exact money: a decimal amount with its ISO 4217 currency, never a float.
//!
//! Platforms send money as decimal strings ("25.0000"), JSON numbers (12.99) or
//! minor units (1299 with a divisor). All of them land here exactly; the amount is
//! serialised as a string so no JSON reader can turn it back into a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, three upper-case ASCII letters.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "CurrencySchema")]
pub struct Currency([u8; 3]);

#[derive(JsonSchema)]
#[schemars(rename = "Currency")]
#[allow(dead_code)]
/// An ISO 4217 currency code.
struct CurrencySchema(#[schemars(regex(pattern = r"^[A-Z]{3}$"))] String);

impl Currency {
    /// Parses a currency code, accepting lower case ("usd") as platforms sometimes send it.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::Currency(code.chars().take(16).collect()));
        }
        let mut out = [0u8; 3];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_uppercase();
        }
        Ok(Self(out))
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency holds ascii letters only")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why an amount or currency could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an ISO 4217 currency code: {0:?}")]
    Currency(String),
    #[error("not a decimal amount: {0:?}")]
    Amount(String),
    #[error("cannot add {0} to {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An exact amount of money in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// The amount as a decimal string, e.g. "12.50"; never a JSON number.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "AmountSchema")]
    pub amount: Decimal,
    pub currency: Currency,
}

#[derive(JsonSchema)]
#[schemars(rename = "Amount")]
#[allow(dead_code)]
/// A decimal amount written as a string.
struct AmountSchema(#[schemars(regex(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))] String);

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Parses a decimal string amount exactly ("25.0000", "-3.5", "1e2" is refused).
    pub fn parse(amount: &str, currency: &Currency) -> Result<Self, MoneyError> {
        Ok(Self::new(parse_decimal(amount)?, currency.clone()))
    }

    /// Converts an amount in minor units (Etsy's `{amount: 1299, divisor: 100}`).
    pub fn from_minor(units: i64, divisor: u32, currency: &Currency) -> Result<Self, MoneyError> {
        let scale = match divisor {
            0 => return Err(MoneyError::Amount(format!("{units}/0"))),
            d if d.is_power_of_two() && d != 1 && d != 2 => None,
            d => (0..=12).find(|s| 10u64.pow(*s) == u64::from(d)),
        };
        let amount = match scale {
            Some(s) => Decimal::new(units, s),
            None => Decimal::from(units) / Decimal::from(divisor),
        };
        Ok(Self::new(amount, currency.clone()))
    }

    /// A zero amount in `currency`, keeping two decimal places.
    pub fn zero(currency: &Currency) -> Self {
        Self::new(Decimal::new(0, 2), currency.clone())
    }

    /// Adds two amounts of the same currency exactly; a sum beyond `Decimal`'s range
    /// is an `Amount` error, never a panic.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.clone(),
                other.currency.clone(),
            ));
        }
        let sum = self.amount.checked_add(other.amount).ok_or_else(|| {
            MoneyError::Amount(format!("{} + {} overflows", self.amount, other.amount))
        })?;
        Ok(Money::new(sum, self.currency.clone()))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses a plain decimal string (optional sign, digits, optional fraction) exactly.
pub fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let t = text.trim();
    let plain = !t.is_empty()
        && t.trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
    if !plain {
        return Err(MoneyError::Amount(t.chars().take(32).collect()));
    }
    Decimal::from_str_exact(t).map_err(|_| MoneyError::Amount(t.chars().take(32).collect()))
}

/// Converts a JSON number token to an exact decimal. JSON numbers reach us as `f64`
/// (or integers); Rust prints an `f64` as the shortest string that reads back as the
/// same float, which is the token the platform wrote for any realistic amount.
pub fn decimal_from_f64(value: f64) -> Result<Decimal, MoneyError> {
    if !value.is_finite() {
        return Err(MoneyError::Amount(value.to_string()));
    }
    let text = value.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .map_err(|_| MoneyError::Amount(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn a_sum_beyond_the_range_is_an_error_not_a_panic() {
        let max = Money::new(Decimal::MAX, usd());
        assert!(matches!(max.checked_add(&max), Err(MoneyError::Amount(_))));
        let one = Money::new(Decimal::ONE, usd());
        assert_eq!(one.checked_add(&one).unwrap().amount, Decimal::TWO);
    }

    #[test]
    fn tenths_add_exactly() {
        let a = Money::parse("0.1", &usd()).unwrap();
        let b = Money::parse("0.2", &usd()).unwrap();
        let sum = a.checked_add(&b).unwrap();
        assert_eq!(sum, Money::parse("0.3", &usd()).unwrap());
        assert_eq!(sum.amount.to_string(), "0.3");
    }

    #[test]
    fn serialises_amount_as_string_and_round_trips() {
        let m = Money::parse("12.50", &Currency::parse("eur").unwrap()).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn keeps_platform_scale() {
        let m = Money::parse("25.0000", &usd()).unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap()["amount"], "25.0000");
    }

    #[test]
    fn refuses_floats_exponents_and_garbage() {
        assert!(parse_decimal("1e2").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("12,50").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"x","currency":"EUR"}"#).is_err());
    }

    #[test]
    fn json_numbers_convert_exactly() {
        assert_eq!(decimal_from_f64(12.99).unwrap().to_string(), "12.99");
        assert_eq!(decimal_from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(decimal_from_f64(225.0).unwrap().to_string(), "225");
    }

    #[test]
    fn minor_units() {
        let m = Money::from_minor(1299, 100, &usd()).unwrap();
        assert_eq!(m.amount.to_string(), "12.99");
        assert!(Money::from_minor(1, 0, &usd()).is_err());
    }

    #[test]
    fn currencies_must_match() {
        let a = Money::parse("1", &usd()).unwrap();
        let b = Money::parse("1", &Currency::parse("EUR").unwrap()).unwrap();
        assert!(a.checked_add(&b).is_err());
    }
}
