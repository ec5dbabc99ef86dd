//! Engine options read from the environment at startup, shared by `polycart serve`
//! and `polycart worker`: the change feed's retention (`POLYCART_CHANGES_RETENTION`,
//! a duration such as `30d`, `12h`, `90m` or `3600s`) and the scheduler's name in
//! leases and sync runs (`POLYCART_WORKER_ID`). A value that does not parse stops the
//! process with a message naming the variable, never a silent default.

use super::EngineOptions;

/// The change feed's retention variable.
pub const RETENTION_ENV: &str = "POLYCART_CHANGES_RETENTION";
/// The scheduler's name in leases and sync runs (default `host:pid`).
pub const WORKER_ID_ENV: &str = "POLYCART_WORKER_ID";
/// Retention when the variable is not set: 30 days.
pub const DEFAULT_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// A setting that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{var}={value:?} is not a duration: {reason} (write e.g. 30d, 12h, 90m or 3600s)")]
    Duration {
        var: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{var} is set but empty")]
    Empty { var: &'static str },
}

/// Parses a positive duration: a whole number followed by `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, &'static str> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or("a unit is missing")?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err("it does not start with a number");
    }
    let number: i64 = number.parse().map_err(|_| "the number is too large")?;
    let unit_secs: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err("the unit is not one of s, m, h, d"),
    };
    if number == 0 {
        return Err("it must be longer than zero");
    }
    number
        .checked_mul(unit_secs)
        .and_then(chrono::Duration::try_seconds)
        .ok_or("the number is too large")
}

/// The retention `value` of [`RETENTION_ENV`] gives; `None` is the default.
pub fn retention(value: Option<&str>) -> Result<chrono::Duration, SettingsError> {
    match value {
        None => Ok(DEFAULT_RETENTION),
        Some(value) => parse_duration(value).map_err(|reason| SettingsError::Duration {
            var: RETENTION_ENV,
            value: value.to_owned(),
            reason,
        }),
    }
}

impl EngineOptions {
    /// The defaults with the environment's settings applied.
    pub fn from_env() -> Result<Self, SettingsError> {
        let mut opts = Self {
            changes_retention: retention(std::env::var(RETENTION_ENV).ok().as_deref())?,
            ..Self::default()
        };
        if let Ok(id) = std::env::var(WORKER_ID_ENV) {
            if id.trim().is_empty() {
                return Err(SettingsError::Empty { var: WORKER_ID_ENV });
            }
            opts.worker_id = id;
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_minutes_hours_and_days() {
        assert_eq!(parse_duration("30d"), Ok(chrono::Duration::days(30)));
        assert_eq!(parse_duration("12h"), Ok(chrono::Duration::hours(12)));
        assert_eq!(parse_duration("90m"), Ok(chrono::Duration::minutes(90)));
        assert_eq!(
            parse_duration(" 3600s "),
            Ok(chrono::Duration::seconds(3600))
        );
    }

    #[test]
    fn malformed_durations_say_why() {
        for (text, reason) in [
            ("30", "a unit is missing"),
            ("", "a unit is missing"),
            ("d", "it does not start with a number"),
            ("-1d", "it does not start with a number"),
            ("1.5h", "the unit is not one of s, m, h, d"),
            ("30 days", "the unit is not one of s, m, h, d"),
            ("2w", "the unit is not one of s, m, h, d"),
            ("0s", "it must be longer than zero"),
            ("99999999999999999999d", "the number is too large"),
            ("9999999999999999d", "the number is too large"),
        ] {
            assert_eq!(parse_duration(text), Err(reason), "{text:?}");
        }
    }

    #[test]
    fn retention_defaults_to_thirty_days_and_names_the_variable_when_invalid() {
        assert_eq!(retention(None).unwrap(), chrono::Duration::days(30));
        assert_eq!(retention(Some("12h")).unwrap(), chrono::Duration::hours(12));
        let error = retention(Some("30 days")).unwrap_err().to_string();
        assert!(
            error.contains("POLYCART_CHANGES_RETENTION") && error.contains("30d"),
            "{error}"
        );
    }
}
