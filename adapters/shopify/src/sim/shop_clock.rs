//! The simulated shop's clock: its time zone (America/New_York, as `shop.json` says),
//! the offset Shopify writes into every REST timestamp (`-05:00` in winter, `-04:00`
//! under daylight saving time), and how the REST date filters (`created_at_min`,
//! `updated_at_max`, `processed_at_min`, ...) read their values.
//!
//! Shopify documents the filters with the example `2014-04-25T16:15:47-04:00` and, being
//! a Rails application that parses them in the shop's zone (`Time.zone.parse`), accepts
//! every ISO 8601 form clients send: a date alone (`2000-01-01`, the shop's midnight),
//! a date-time with `Z` or an offset (`+04:00`, `+0400`), with or without seconds and
//! fractions, a space instead of the `T`, and a date-time without an offset, which is
//! read in **the shop's time zone** (not UTC). What is not a date at all is refused
//! with `422 {"errors":{"<filter>":["is not a valid date"]}}`.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// The IANA name of the shop's time zone (`shop.json`'s `iana_timezone`).
pub(crate) const IANA_TIMEZONE: &str = "America/New_York";
/// `shop.json`'s `timezone`, as Shopify words it.
pub(crate) const TIMEZONE: &str = "(GMT-05:00) Eastern Time (US & Canada)";

const STANDARD: i32 = -5 * 3600;
const DAYLIGHT: i32 = -4 * 3600;

/// The `nth` (1-based) Sunday of a month.
fn nth_sunday(year: i32, month: u32, nth: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    first + Duration::days(i64::from(to_sunday + 7 * (nth - 1)))
}

/// The last Sunday of a month.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("a valid month");
    let last = next - Duration::days(1);
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

/// The UTC instants daylight saving time starts and ends in `year` (US rules: since
/// 2007 the second Sunday of March to the first Sunday of November, 1987–2006 the first
/// Sunday of April to the last Sunday of October; 02:00 local time each).
fn daylight_window(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let (start, end) = if year >= 2007 {
        (nth_sunday(year, 3, 2), nth_sunday(year, 11, 1))
    } else {
        (nth_sunday(year, 4, 1), last_sunday(year, 10))
    };
    let at = |day: NaiveDate, offset_secs: i32| {
        day.and_hms_opt(2, 0, 0).expect("02:00 exists").and_utc()
            - Duration::seconds(offset_secs.into())
    };
    (at(start, STANDARD), at(end, DAYLIGHT))
}

/// The shop's UTC offset at an instant.
pub(crate) fn offset_at(t: DateTime<Utc>) -> FixedOffset {
    let (start, end) = daylight_window(t.year());
    let secs = if t >= start && t < end {
        DAYLIGHT
    } else {
        STANDARD
    };
    FixedOffset::east_opt(secs).expect("a valid offset")
}

/// A timestamp as Shopify's REST API writes it: the shop's local time with its offset.
pub(crate) fn shop_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&offset_at(t))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A wall-clock time in the shop's zone as an instant. In the hour skipped when daylight
/// saving time starts the standard offset applies; in the hour repeated when it ends,
/// the first (daylight) one.
pub(crate) fn from_shop_local(local: NaiveDateTime) -> DateTime<Utc> {
    let daylight = local.and_utc() - Duration::seconds(DAYLIGHT.into());
    if offset_at(daylight).local_minus_utc() == DAYLIGHT {
        daylight
    } else {
        local.and_utc() - Duration::seconds(STANDARD.into())
    }
}

const WITH_OFFSET: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%:z",
    "%Y-%m-%dT%H:%M%z",
];

const WITHOUT_OFFSET: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"];

/// A REST date filter's value as the instant it stands for, or `None` where Shopify
/// answers "is not a valid date" (see the module doc for the forms accepted).
pub(crate) fn parse_filter_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(from_shop_local(
            day.and_hms_opt(0, 0, 0).expect("midnight exists"),
        ));
    }
    // One form for the rest: `T` between date and time, `+00:00` for `Z`.
    let mut t = t.replacen(' ', "T", 1);
    if let Some(zulu) = t.strip_suffix(['Z', 'z']) {
        t = format!("{zulu}+00:00");
    }
    for format in WITH_OFFSET {
        if let Ok(d) = DateTime::parse_from_str(&t, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    WITHOUT_OFFSET
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&t, format).ok())
        .map(from_shop_local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn offsets_follow_us_daylight_saving_time() {
        assert_eq!(
            shop_time(utc("2026-01-15T12:00:00Z")),
            "2026-01-15T07:00:00-05:00"
        );
        assert_eq!(
            shop_time(utc("2026-07-15T12:00:00Z")),
            "2026-07-15T08:00:00-04:00"
        );
        // 2026: 8 March 07:00 UTC to 1 November 06:00 UTC.
        assert_eq!(
            offset_at(utc("2026-03-08T06:59:59Z")).local_minus_utc(),
            STANDARD
        );
        assert_eq!(
            offset_at(utc("2026-03-08T07:00:00Z")).local_minus_utc(),
            DAYLIGHT
        );
        assert_eq!(
            offset_at(utc("2026-11-01T05:59:59Z")).local_minus_utc(),
            DAYLIGHT
        );
        assert_eq!(
            offset_at(utc("2026-11-01T06:00:00Z")).local_minus_utc(),
            STANDARD
        );
        // 2005, before the 2007 change: 3 April to 30 October.
        assert_eq!(
            offset_at(utc("2005-04-03T06:59:59Z")).local_minus_utc(),
            STANDARD
        );
        assert_eq!(
            offset_at(utc("2005-04-03T07:00:00Z")).local_minus_utc(),
            DAYLIGHT
        );
        assert_eq!(
            offset_at(utc("2005-10-30T06:00:00Z")).local_minus_utc(),
            STANDARD
        );
    }

    #[test]
    fn filters_accept_every_iso_8601_form_shopify_does() {
        let cases = [
            // A date alone: the shop's midnight.
            ("2000-01-01", "2000-01-01T05:00:00Z"),
            ("2026-07-01", "2026-07-01T04:00:00Z"),
            // With an offset or Z, as given.
            ("2014-04-25T16:15:47-04:00", "2014-04-25T20:15:47Z"),
            ("2014-04-25T16:15:47+0200", "2014-04-25T14:15:47Z"),
            ("2014-04-25T16:15:47Z", "2014-04-25T16:15:47Z"),
            ("2014-04-25T16:15:47.123Z", "2014-04-25T16:15:47.123Z"),
            ("2014-04-25T16:15Z", "2014-04-25T16:15:00Z"),
            ("2014-04-25 16:15:47-04:00", "2014-04-25T20:15:47Z"),
            // Without an offset: the shop's local time (EDT in April).
            ("2014-04-25T16:15:47", "2014-04-25T20:15:47Z"),
            ("2014-01-25T16:15:47", "2014-01-25T21:15:47Z"),
            ("2014-04-25 16:15:47", "2014-04-25T20:15:47Z"),
            ("2014-04-25T16:15", "2014-04-25T20:15:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_filter_time(text), Some(utc(want)), "{text}");
        }
        for bad in [
            "",
            "yesterday",
            "2014-13-01",
            "2014-02-30",
            "2014-04-25T25:00:00Z",
            "1398442547",
        ] {
            assert_eq!(parse_filter_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_round_trip_through_the_offset_written() {
        for text in [
            "2026-03-08T01:30:00",
            "2026-11-01T01:30:00",
            "2026-06-01T12:00:00",
        ] {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap();
            let t = from_shop_local(local);
            assert!(shop_time(t).starts_with(text), "{text} -> {}", shop_time(t));
        }
    }
}
