//! Durations written in procedure libraries (`10 business days`, `1時間`) and when a
//! deadline counted with one falls.
//!
//! Days are counted the way Japanese administrative deadlines are: the first day is not
//! counted (初日不算入), and a deadline of N days ends with the Nth day, at midnight.
//! Minutes and hours are elapsed time.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{add_business_days, sub_business_days};

/// A duration of a deadline or a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Elapsed minutes.
    Minutes(u32),
    /// Elapsed hours.
    Hours(u32),
    /// Calendar days.
    Days(u32),
    /// Business days of government offices ([`crate::calendar`]).
    BusinessDays(u32),
}

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanError(pub String);

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpanError {}

/// The largest number a duration may have: long enough for any deadline of the seeds,
/// small enough that no date arithmetic overflows.
const MAX: u32 = 10_000;

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text.chars().take_while(char::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let unit = unit.trim();
        let n: u32 = number.parse().map_err(|_| invalid(text))?;
        if n == 0 || n > MAX {
            return Err(SpanError(format!(
                "`{text}`: the number must be from 1 to {MAX} (1〜{MAX})"
            )));
        }
        let span = match unit {
            "minute" | "minutes" | "分" => Span::Minutes(n),
            "hour" | "hours" | "時間" => Span::Hours(n),
            "day" | "days" | "日" => Span::Days(n),
            "business day" | "business days" | "営業日" => Span::BusinessDays(n),
            _ => return Err(invalid(text)),
        };
        Ok(span)
    }
}

fn invalid(text: &str) -> SpanError {
    SpanError(format!(
        "`{text}` is not a duration; write a number and a unit: `15 minutes`, `1 hour`, `2 days`, `10 business days` (15分, 1時間, 2日, 10営業日)"
    ))
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, one, many) = match *self {
            Span::Minutes(n) => (n, "minute", "minutes"),
            Span::Hours(n) => (n, "hour", "hours"),
            Span::Days(n) => (n, "day", "days"),
            Span::BusinessDays(n) => (n, "business day", "business days"),
        };
        write!(f, "{n} {}", if n == 1 { one } else { many })
    }
}

/// When something that started at `start` is due. Minutes and hours are added; days end
/// with the Nth (business) day after the start's local day, at the following midnight.
pub fn due_at(start: Timestamp, span: Span, zone: &TimeZone) -> Timestamp {
    let day = start.to_zoned(zone.clone()).date();
    match span {
        Span::Minutes(n) => start + SignedDuration::from_mins(i64::from(n)),
        Span::Hours(n) => start + SignedDuration::from_hours(i64::from(n)),
        Span::Days(n) => end_of(plus_days(day, i64::from(n)), zone),
        Span::BusinessDays(n) => end_of(add_business_days(day, n), zone),
    }
}

/// When to remind `span` before a deadline from [`due_at`]: minutes and hours before it,
/// or 09:00 on the Nth (business) day before its last day.
pub fn remind_at(due: Timestamp, span: Span, zone: &TimeZone) -> Timestamp {
    let local = due.to_zoned(zone.clone());
    // A deadline at midnight ends the day before it.
    let last = if local.time() == Time::midnight() {
        plus_days(local.date(), -1)
    } else {
        local.date()
    };
    match span {
        Span::Minutes(n) => due - SignedDuration::from_mins(i64::from(n)),
        Span::Hours(n) => due - SignedDuration::from_hours(i64::from(n)),
        Span::Days(n) => morning_of(plus_days(last, -i64::from(n)), zone),
        Span::BusinessDays(n) => morning_of(sub_business_days(last, n), zone),
    }
}

fn plus_days(day: Date, n: i64) -> Date {
    day.checked_add(jiff::Span::new().days(n)).unwrap_or(day)
}

/// The midnight that ends `day`.
fn end_of(day: Date, zone: &TimeZone) -> Timestamp {
    at(plus_days(day, 1), Time::midnight(), zone)
}

/// 09:00, when offices open, on `day`.
fn morning_of(day: Date, zone: &TimeZone) -> Timestamp {
    at(day, Time::constant(9, 0, 0, 0), zone)
}

fn at(day: Date, time: Time, zone: &TimeZone) -> Timestamp {
    day.to_datetime(time)
        .to_zoned(zone.clone())
        .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn durations_read_in_english_and_japanese() {
        for (text, span) in [
            ("15 minutes", Span::Minutes(15)),
            ("1 minute", Span::Minutes(1)),
            ("15分", Span::Minutes(15)),
            ("1 hour", Span::Hours(1)),
            (" 2 hours ", Span::Hours(2)),
            ("1時間", Span::Hours(1)),
            ("2 days", Span::Days(2)),
            ("1 day", Span::Days(1)),
            ("2日", Span::Days(2)),
            ("10 business days", Span::BusinessDays(10)),
            ("1 business day", Span::BusinessDays(1)),
            ("10営業日", Span::BusinessDays(10)),
        ] {
            assert_eq!(text.parse::<Span>(), Ok(span), "{text}");
        }
        assert_eq!(Span::BusinessDays(10).to_string(), "10 business days");
        assert_eq!(Span::Hours(1).to_string(), "1 hour");
    }

    #[test]
    fn bad_durations_say_what_is_accepted() {
        for text in [
            "",
            "0 days",
            "ten days",
            "3 weeks",
            "-1 hour",
            "10001 days",
            "days",
        ] {
            let e = text.parse::<Span>().unwrap_err();
            assert!(
                e.0.contains("business days") || e.0.contains("1 to"),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn hours_are_elapsed_time_across_midnight() {
        let start = ts("2026-11-24T14:30:00Z"); // 23:30 in Tokyo
        let due = due_at(start, Span::Hours(1), &tokyo());
        assert_eq!(due, ts("2026-11-24T15:30:00Z"));
        assert_eq!(
            remind_at(due, Span::Minutes(15), &tokyo()),
            ts("2026-11-24T15:15:00Z")
        );
    }

    #[test]
    fn business_days_end_at_midnight_after_the_last_day() {
        // Friday 25 December 2026, 10:00 in Tokyo. The tenth business day after it is
        // Friday 15 January 2027 (the year-end closure and Coming-of-Age Day skipped).
        let start = ts("2026-12-25T01:00:00Z");
        let due = due_at(start, Span::BusinessDays(10), &tokyo());
        assert_eq!(due, ts("2027-01-15T15:00:00Z")); // 2027-01-16 00:00 in Tokyo
        // Three business days before the 15th is Tuesday the 12th, at 09:00.
        assert_eq!(
            remind_at(due, Span::BusinessDays(3), &tokyo()),
            ts("2027-01-12T00:00:00Z")
        );
    }

    #[test]
    fn calendar_days_do_not_count_the_first_day() {
        // Opened at 23:00 on 1 December: two days means the end of 3 December.
        let start = ts("2026-12-01T14:00:00Z");
        let due = due_at(start, Span::Days(2), &tokyo());
        assert_eq!(due, ts("2026-12-03T15:00:00Z"));
        assert_eq!(
            remind_at(due, Span::Days(1), &tokyo()),
            ts("2026-12-02T00:00:00Z")
        );
    }
}
