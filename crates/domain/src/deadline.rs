//! Durations written in procedure libraries (`10 business days`, `1時間`) and when a
//! deadline counted with one falls.
//!
//! Authors of procedure libraries write durations the way their regulations do, in English
//! or Japanese, so both are read; they are always written back in one canonical English form
//! so that a library round-trips without noise in its diffs.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{add_business_days, sub_business_days};

/// A duration of a deadline or of a reminder before one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Elapsed minutes.
    Minutes(u32),
    /// Elapsed hours.
    Hours(u32),
    /// Calendar days, counted in whole local days.
    Days(u32),
    /// Days on which government offices are open ([`crate::calendar`]).
    BusinessDays(u32),
}

/// Why a duration could not be read; the message says which forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanError(pub String);

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpanError {}

/// The largest number a duration may have. Ten thousand days is over 27 years, longer than
/// any procedure keeps a deadline, and keeps every date computed from it far from the end of
/// the calendar; a larger number is much more likely a typing mistake.
const MAX: u32 = 10_000;

impl SpanError {
    fn new(text: &str, problem: &str) -> Self {
        SpanError(format!(
            "`{text}` {problem}; write a number from 1 to {MAX} and a unit, as in \
             `15 minutes`, `1 hour`, `2 days`, `10 business days` (or 15分, 1時間, 2日, 10営業日)"
        ))
    }
}

impl FromStr for Span {
    type Err = SpanError;

    /// Reads `<number> <unit>`: the unit in English (singular or plural) or in Japanese
    /// (`分`, `時間`, `日`, `営業日`, usually written without a space). Whitespace around the
    /// whole is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let make: fn(u32) -> Span = match unit.trim_start() {
            "minute" | "minutes" | "分" => Span::Minutes,
            "hour" | "hours" | "時間" => Span::Hours,
            "day" | "days" | "日" => Span::Days,
            "business day" | "business days" | "営業日" => Span::BusinessDays,
            _ => return Err(SpanError::new(text, "is not a duration")),
        };
        // Digits only, so parsing fails only when the number is missing or too long for u32.
        match number.parse::<u32>() {
            Ok(n) if (1..=MAX).contains(&n) => Ok(make(n)),
            _ => Err(SpanError::new(text, "has no number in range")),
        }
    }
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

/// When a deadline falls: a duration after its start, or a calendar rule that ends it on a
/// fixed day of the calendar whatever the start (returns due by the end of the month, a
/// plan by the end of the fiscal year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// A duration after the start.
    After(Span),
    /// The end of the start's month (0), of the next (1), or the one after (2).
    EndOfMonth(u8),
    /// The end of the fiscal year (年度, April to March) that the start falls in: 31 March.
    EndOfFiscalYear,
}

impl FromStr for Due {
    type Err = SpanError;

    /// Reads a duration (see [`Span`]) or one of the calendar rules: `end of month` (月末),
    /// `end of next month` (翌月末), `end of the month after next` (翌々月末) and
    /// `end of fiscal year` (年度末).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(match words.as_str() {
            "end of month" | "end of the month" | "月末" => Due::EndOfMonth(0),
            "end of next month" | "end of the next month" | "翌月末" => Due::EndOfMonth(1),
            "end of the month after next" | "翌々月末" => Due::EndOfMonth(2),
            "end of fiscal year" | "end of the fiscal year" | "年度末" => Due::EndOfFiscalYear,
            _ => {
                return text.parse::<Span>().map(Due::After).map_err(|e| {
                    SpanError(format!(
                        "{e}; or a calendar rule: `end of month`, `end of next month`, \
                         `end of the month after next`, `end of fiscal year` \
                         (月末, 翌月末, 翌々月末, 年度末)"
                    ))
                });
            }
        })
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Due::After(span) => span.fmt(f),
            Due::EndOfMonth(0) => f.write_str("end of month"),
            Due::EndOfMonth(1) => f.write_str("end of next month"),
            Due::EndOfMonth(_) => f.write_str("end of the month after next"),
            Due::EndOfFiscalYear => f.write_str("end of fiscal year"),
        }
    }
}

impl Due {
    /// When something that started at `start` is due, counted in `zone`: see [`due_at`] for
    /// durations. A calendar rule ends with its last day, at the following local midnight,
    /// even when the start is on that very day (a start on 31 March is due the same night
    /// under `end of fiscal year`; authors who want the next period write `end of next
    /// month`).
    pub fn at(self, start: Timestamp, zone: &TimeZone) -> Timestamp {
        let first = zone.to_datetime(start).date();
        match self {
            Due::After(span) => due_at(start, span, zone),
            Due::EndOfMonth(ahead) => {
                let month = first
                    .first_of_month()
                    .checked_add(jiff::Span::new().months(i64::from(ahead)));
                month.map_or(Timestamp::MAX, |m| end_of(m.last_of_month(), zone))
            }
            Due::EndOfFiscalYear => {
                let year = if first.month() >= 4 {
                    first.year() + 1
                } else {
                    first.year()
                };
                Date::new(year, 3, 31).map_or(Timestamp::MAX, |d| end_of(d, zone))
            }
        }
    }
}

/// When something that started at `start` is due, counted in `zone`.
///
/// - Minutes and hours are elapsed time: `start + span`, whatever the clock says.
/// - Days and business days are counted as Japanese administrative deadlines are: the day
///   of the start is not counted (初日不算入, Civil Code art. 140), because a partial day
///   would shorten the period. The last day is the nth calendar day, or the nth business
///   day, after the start's local date, and the deadline is the end of that day: 00:00 of
///   the following day in `zone`.
///
/// A result beyond jiff's calendar saturates to [`Timestamp::MAX`], a deadline that never
/// comes; with at most 10000 units this needs a start near the year 9999.
pub fn due_at(start: Timestamp, span: Span, zone: &TimeZone) -> Timestamp {
    let first = zone.to_datetime(start).date();
    match span {
        Span::Minutes(n) => later(start, SignedDuration::from_mins(n.into())),
        Span::Hours(n) => later(start, SignedDuration::from_hours(n.into())),
        Span::Days(n) => end_of(plus_days(first, n.into()), zone),
        Span::BusinessDays(n) => end_of(add_business_days(first, n), zone),
    }
}

/// When to remind someone `span` before a deadline that [`due_at`] computed.
///
/// - Minutes and hours are elapsed time: `due - span`.
/// - Days and business days count back from the deadline's last day: the local date of
///   `due`, or the day before when `due` is exactly local midnight (the end of that day).
///   The reminder is at 09:00 local, when offices open, on the nth calendar day or nth
///   business day before the last day, so "remind 3 business days before" leaves three
///   working days to act.
///
/// A result before jiff's calendar saturates to [`Timestamp::MIN`]: remind at once.
pub fn remind_at(due: Timestamp, span: Span, zone: &TimeZone) -> Timestamp {
    let local = zone.to_datetime(due);
    let last = if local.time() == Time::midnight() {
        plus_days(local.date(), -1)
    } else {
        local.date()
    };
    match span {
        Span::Minutes(n) => earlier(due, SignedDuration::from_mins(n.into())),
        Span::Hours(n) => earlier(due, SignedDuration::from_hours(n.into())),
        Span::Days(n) => morning_of(plus_days(last, -i64::from(n)), zone),
        Span::BusinessDays(n) => morning_of(sub_business_days(last, n), zone),
    }
}

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

fn earlier(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_sub(by).unwrap_or(Timestamp::MIN)
}

/// `day` moved by `n` days, clamped to the ends of jiff's calendar.
fn plus_days(day: Date, n: i64) -> Date {
    day.checked_add(jiff::Span::new().days(n))
        .unwrap_or(if n < 0 { Date::MIN } else { Date::MAX })
}

/// The instant `day` ends, that is the next local midnight. Where a time zone skips
/// midnight, the first instant after the gap.
pub fn end_of(day: Date, zone: &TimeZone) -> Timestamp {
    day.tomorrow()
        .and_then(|next| zone.to_timestamp(next.to_datetime(Time::midnight())))
        .unwrap_or(Timestamp::MAX)
}

/// 09:00 local on `day`, when government offices open.
fn morning_of(day: Date, zone: &TimeZone) -> Timestamp {
    zone.to_timestamp(day.to_datetime(Time::constant(9, 0, 0, 0)))
        .unwrap_or(Timestamp::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn every_accepted_form_reads() {
        for (text, span) in [
            ("15 minutes", Span::Minutes(15)),
            ("1 minute", Span::Minutes(1)),
            ("15分", Span::Minutes(15)),
            ("1 hour", Span::Hours(1)),
            ("2 hours", Span::Hours(2)),
            ("1時間", Span::Hours(1)),
            ("2 days", Span::Days(2)),
            ("1 day", Span::Days(1)),
            ("2日", Span::Days(2)),
            ("10 business days", Span::BusinessDays(10)),
            ("1 business day", Span::BusinessDays(1)),
            ("10営業日", Span::BusinessDays(10)),
            ("  3 days\n", Span::Days(3)),
            ("\t10000営業日 ", Span::BusinessDays(10_000)),
        ] {
            assert_eq!(text.parse::<Span>(), Ok(span), "{text:?}");
        }
    }

    #[test]
    fn spans_write_in_canonical_english() {
        for (span, text) in [
            (Span::Minutes(1), "1 minute"),
            (Span::Minutes(15), "15 minutes"),
            (Span::Hours(1), "1 hour"),
            (Span::Hours(2), "2 hours"),
            (Span::Days(1), "1 day"),
            (Span::Days(2), "2 days"),
            (Span::BusinessDays(1), "1 business day"),
            (Span::BusinessDays(10), "10 business days"),
        ] {
            assert_eq!(span.to_string(), text);
            assert_eq!(text.parse::<Span>(), Ok(span), "round trip of {text}");
        }
        assert_eq!(
            "10営業日".parse::<Span>().unwrap().to_string(),
            "10 business days"
        );
    }

    #[test]
    fn bad_durations_say_what_is_accepted() {
        for text in [
            "",
            "0 days",
            "ten days",
            "3 weeks",
            "-1 hour",
            "+1 hour",
            "10001 days",
            "99999999999 days",
            "days",
            "2",
            "1.5 hours",
            "2 days later",
        ] {
            let error = text.parse::<Span>().unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("`10 business days` (or 15分, 1時間, 2日, 10営業日)"),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn hours_are_elapsed_time_across_midnight() {
        // 23:30 on Tuesday 24 November in Tokyo; an hour later is 00:30 on the 25th.
        let start = ts("2026-11-24T23:30:00+09:00");
        let due = due_at(start, Span::Hours(1), &tokyo());
        assert_eq!(due, ts("2026-11-25T00:30:00+09:00"));
        assert_eq!(
            remind_at(due, Span::Minutes(15), &tokyo()),
            ts("2026-11-25T00:15:00+09:00")
        );
        assert_eq!(
            remind_at(due, Span::Hours(2), &tokyo()),
            ts("2026-11-24T22:30:00+09:00")
        );
    }

    #[test]
    fn ten_business_days_from_christmas_2026() {
        // Friday 25 December 2026, 10:00 in Tokyo. Not counting the 25th, business days are
        // 28 Dec, 4, 5, 6, 7, 8 Jan, then (11 Jan is 成人の日) 12, 13, 14, 15 Jan: the last day
        // is Friday 15 January 2027, so the deadline is midnight starting the 16th.
        let start = ts("2026-12-25T10:00:00+09:00");
        let due = due_at(start, Span::BusinessDays(10), &tokyo());
        assert_eq!(due, ts("2027-01-16T00:00:00+09:00"));
        assert_eq!(due, ts("2027-01-15T15:00:00Z"));
        // Three business days before the 15th: 14th, 13th, 12th.
        assert_eq!(
            remind_at(due, Span::BusinessDays(3), &tokyo()),
            ts("2027-01-12T09:00:00+09:00")
        );
    }

    #[test]
    fn days_start_from_the_local_date() {
        // 01:00 on 2 December in Tokyo is still 1 December in UTC; the local date counts,
        // so two days end with 4 December.
        let start = ts("2026-12-01T16:00:00Z");
        let due = due_at(start, Span::Days(2), &tokyo());
        assert_eq!(due, ts("2026-12-05T00:00:00+09:00"));
        assert_eq!(
            remind_at(due, Span::Days(1), &tokyo()),
            ts("2026-12-03T09:00:00+09:00")
        );
        // Calendar days do not skip closures: one day after 31 December is 1 January.
        assert_eq!(
            due_at(ts("2026-12-31T12:00:00+09:00"), Span::Days(1), &tokyo()),
            ts("2027-01-02T00:00:00+09:00")
        );
    }

    #[test]
    fn reminders_before_a_deadline_in_the_middle_of_a_day() {
        // A deadline of 17:00 on Thursday 3 December has that day as its last day.
        let due = ts("2026-12-03T17:00:00+09:00");
        assert_eq!(
            remind_at(due, Span::Days(1), &tokyo()),
            ts("2026-12-02T09:00:00+09:00")
        );
        assert_eq!(
            remind_at(due, Span::BusinessDays(3), &tokyo()),
            ts("2026-11-30T09:00:00+09:00")
        );
    }

    #[test]
    fn reminding_by_the_same_span_comes_back_to_the_start() {
        // Counting n business days forward and n back from a business day returns to it, so
        // a reminder "as long before as the deadline is after" falls on the opening morning.
        let zone = tokyo();
        let mut day = jiff::civil::date(2026, 1, 1);
        while day.year() == 2026 {
            if crate::calendar::is_business_day(day) {
                let start = zone.to_timestamp(day.at(14, 0, 0, 0)).unwrap();
                let morning = zone.to_timestamp(day.at(9, 0, 0, 0)).unwrap();
                for span in [Span::BusinessDays(1), Span::BusinessDays(7), Span::Days(5)] {
                    let due = due_at(start, span, &zone);
                    assert_eq!(remind_at(due, span, &zone), morning, "{day} {span}");
                }
            }
            day = day.tomorrow().unwrap();
        }
    }

    #[test]
    fn calendar_rules_read_in_english_and_japanese_and_write_back_in_english() {
        for (text, due) in [
            ("end of month", Due::EndOfMonth(0)),
            ("月末", Due::EndOfMonth(0)),
            ("end of  next month", Due::EndOfMonth(1)),
            ("翌月末", Due::EndOfMonth(1)),
            ("翌々月末", Due::EndOfMonth(2)),
            ("年度末", Due::EndOfFiscalYear),
            ("10営業日", Due::After(Span::BusinessDays(10))),
        ] {
            assert_eq!(text.parse::<Due>(), Ok(due), "{text}");
            assert_eq!(due.to_string().parse::<Due>(), Ok(due));
        }
        let e = "end of week".parse::<Due>().unwrap_err().to_string();
        assert!(
            e.contains("翌月末") && e.contains("10 business days"),
            "{e}"
        );
    }

    #[test]
    fn month_ends_fall_at_the_local_midnight_after_the_last_day() {
        let z = tokyo();
        // 2026-11-22 10:00 JST.
        let start = ts("2026-11-22T01:00:00Z");
        assert_eq!(Due::EndOfMonth(0).at(start, &z), ts("2026-11-30T15:00:00Z"));
        assert_eq!(Due::EndOfMonth(1).at(start, &z), ts("2026-12-31T15:00:00Z"));
        assert_eq!(Due::EndOfMonth(2).at(start, &z), ts("2027-01-31T15:00:00Z"));
        // From 31 January the next month ends on 28 February, not on "31 February".
        let jan31 = ts("2027-01-31T03:00:00Z");
        assert_eq!(Due::EndOfMonth(1).at(jan31, &z), ts("2027-02-28T15:00:00Z"));
        // 2028 is a leap year.
        let jan2028 = ts("2028-01-10T03:00:00Z");
        assert_eq!(
            Due::EndOfMonth(1).at(jan2028, &z),
            ts("2028-02-29T15:00:00Z")
        );
    }

    #[test]
    fn the_fiscal_year_ends_on_the_31st_of_march() {
        let z = tokyo();
        let fy = |start: &str| Due::EndOfFiscalYear.at(ts(start), &z);
        assert_eq!(fy("2026-11-22T01:00:00Z"), ts("2027-03-31T15:00:00Z"));
        assert_eq!(fy("2027-02-01T01:00:00Z"), ts("2027-03-31T15:00:00Z"));
        // 1 April 00:30 JST is still 31 March in UTC: the local date decides.
        assert_eq!(fy("2027-03-31T15:30:00Z"), ts("2028-03-31T15:00:00Z"));
        assert_eq!(fy("2027-03-31T14:30:00Z"), ts("2027-03-31T15:00:00Z"));
    }
}
