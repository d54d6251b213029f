//! How often an obligation comes round (`recurs` in a library): every fiscal year (年度,
//! April to March), every few months counted from April, or from fixed days of the year to
//! the next; and which round a day falls in.
//!
//! The seeds ask for most of their recurring work "every fiscal year" (user education at least
//! once a year, the yearly audit and self-check) and some "periodically" (reviews of exceptions
//! and unused IDs), which an installation sets as a number of months. Rounds always line up
//! with the fiscal year, so a half-yearly review is April–September and October–March and a
//! report to the committee for the year covers the same months everywhere.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;

use crate::calendar::era::era_year;

/// How often an obligation comes round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Every {
    /// Every fiscal year, 1 April to 31 March (毎年度).
    FiscalYear,
    /// Every `n` months from 1 April, `n` dividing twelve (1, 2, 3, 4 or 6): the rounds of a
    /// year are the same each year.
    Months(u8),
    /// From each of these days of the year (month, day; sorted, at least one) to the day
    /// before the next.
    Dates(Vec<(i8, i8)>),
}

/// Why a recurrence could not be read; the message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveryError(pub String);

impl fmt::Display for EveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EveryError {}

impl FromStr for Every {
    type Err = EveryError;

    /// Reads `fiscal year` (毎年度, 年度) or `<n> months` (<n>か月, <n>ヶ月, <n>箇月).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if matches!(
            text,
            "fiscal year" | "every fiscal year" | "年度" | "毎年度"
        ) {
            return Ok(Every::FiscalYear);
        }
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let months = matches!(
            unit.trim_start(),
            "month" | "months" | "か月" | "ヶ月" | "カ月" | "箇月"
        );
        match number.parse::<u8>() {
            Ok(n) if months && [1, 2, 3, 4, 6, 12].contains(&n) => Ok(if n == 12 {
                Every::FiscalYear
            } else {
                Every::Months(n)
            }),
            _ => Err(EveryError(format!(
                "`{text}` is not a recurrence; write `fiscal year` (毎年度) or a number of \
                 months that divides the year: `1 month`, `2 months`, `3 months`, `4 months`, \
                 `6 months` (6か月), or list the days it starts on (`on: [04-01, 10-01]`)"
            ))),
        }
    }
}

impl Every {
    /// Rounds that start on each of `days` (`MM-DD`), refusing a day no year has every time
    /// (29 February), a repeated day, and an empty list.
    pub fn on_days<S: AsRef<str>>(days: &[S]) -> Result<Self, EveryError> {
        let mut out = Vec::new();
        for d in days {
            let d = d.as_ref().trim();
            let parsed = d
                .split_once('-')
                .and_then(|(m, dd)| Some((m.parse::<i8>().ok()?, dd.parse::<i8>().ok()?)))
                .filter(|&(m, dd)| date(2025, 1, 1).with().month(m).day(dd).build().is_ok());
            let Some(md) = parsed else {
                return Err(EveryError(format!(
                    "`{d}` is not a day of the year; write it as MM-DD (04-01), and never \
                     02-29, which most years lack"
                )));
            };
            if out.contains(&md) {
                return Err(EveryError(format!("`{d}` is listed twice")));
            }
            out.push(md);
        }
        if out.is_empty() {
            return Err(EveryError(
                "list at least one day the rounds start on".into(),
            ));
        }
        out.sort();
        Ok(Every::Dates(out))
    }

    /// The round `day` falls in.
    pub fn round_of(&self, day: Date) -> Round {
        let fy = fiscal_year_of(day);
        match self {
            Every::FiscalYear => Round {
                starts_on: date(fy, 4, 1),
                ends_on: date(fy + 1, 3, 31),
            },
            Every::Months(n) => {
                // Months since the fiscal year began, April being 0.
                let since_april = (i16::from(day.month()) + 8) % 12;
                let first = since_april - since_april % i16::from(*n);
                let starts_on = date(fy, 4, 1)
                    .checked_add(i32::from(first).months())
                    .expect("within the year");
                let ends_on = starts_on
                    .checked_add(i32::from(*n).months())
                    .and_then(|d| d.checked_sub(1.day()))
                    .expect("within the year");
                Round { starts_on, ends_on }
            }
            Every::Dates(days) => {
                let on = |year: i16, (m, d): (i8, i8)| date(year, m, d);
                let year = day.year();
                // The last start on or before `day`: this year's, or last year's final one.
                let starts_on = days
                    .iter()
                    .rev()
                    .map(|&md| on(year, md))
                    .find(|s| *s <= day)
                    .unwrap_or_else(|| on(year - 1, *days.last().expect("never empty")));
                let next = days
                    .iter()
                    .map(|&md| on(starts_on.year(), md))
                    .find(|s| *s > starts_on)
                    .unwrap_or_else(|| on(starts_on.year() + 1, days[0]));
                Round {
                    starts_on,
                    ends_on: next.checked_sub(1.day()).expect("within the calendar"),
                }
            }
        }
    }

    /// The round after `round`.
    pub fn next(&self, round: &Round) -> Round {
        self.round_of(round.ends_on.tomorrow().expect("within the calendar"))
    }
}

impl fmt::Display for Every {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Every::FiscalYear => f.write_str("fiscal year"),
            Every::Months(1) => f.write_str("1 month"),
            Every::Months(n) => write!(f, "{n} months"),
            Every::Dates(days) => {
                let days: Vec<String> =
                    days.iter().map(|(m, d)| format!("{m:02}-{d:02}")).collect();
                write!(f, "on {}", days.join(", "))
            }
        }
    }
}

/// One round of an obligation: from its first day to its last, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Round {
    /// The first day.
    pub starts_on: Date,
    /// The last day: the obligation is overdue the day after.
    pub ends_on: Date,
}

impl Round {
    /// How people name it: 令和8年度 for a fiscal year, else its first and last day
    /// (2026年4月1日〜2026年9月30日).
    pub fn label(&self) -> String {
        let whole_year = self.starts_on.month() == 4
            && self.starts_on.day() == 1
            && self.ends_on == date(self.starts_on.year() + 1, 3, 31);
        // A fiscal year in which an era began is named as that era's first (令和元年度 for
        // April 2019 to March 2020, though April 2019 was still 平成31年).
        let era = match (era_year(self.starts_on), era_year(self.ends_on)) {
            (Some(start), Some(end)) if start.0 != end.0 => Some((end.0, 1)),
            (start, _) => start,
        };
        match era {
            Some((era, year)) if whole_year => {
                let year = if year == 1 {
                    "元".to_owned()
                } else {
                    year.to_string()
                };
                format!("{era}{year}年度")
            }
            _ => format!("{}〜{}", japanese(self.starts_on), japanese(self.ends_on)),
        }
    }
}

impl Round {
    /// When the round is over: the end of its last day in `zone` (00:00 of the next), the way
    /// a deadline counted in days ends; reminders before it count back from that last day
    /// ([`crate::deadline::remind_at`]).
    pub fn due_at(&self, zone: &TimeZone) -> Timestamp {
        crate::deadline::end_of(self.ends_on, zone)
    }
}

fn japanese(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The fiscal year (年度) `day` is in, by the calendar year it starts in: 1 April 2026 to
/// 31 March 2027 is 2026.
pub fn fiscal_year_of(day: Date) -> i16 {
    if day.month() >= 4 {
        day.year()
    } else {
        day.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn round(every: &Every, day: &str) -> (String, String) {
        let r = every.round_of(d(day));
        (r.starts_on.to_string(), r.ends_on.to_string())
    }

    #[test]
    fn a_fiscal_year_runs_from_april_to_march() {
        let fy = Every::FiscalYear;
        let want = ("2026-04-01".to_owned(), "2027-03-31".to_owned());
        assert_eq!(round(&fy, "2026-04-01"), want);
        assert_eq!(round(&fy, "2027-03-31"), want);
        assert_eq!(
            round(&fy, "2026-03-31"),
            ("2025-04-01".to_owned(), "2026-03-31".to_owned())
        );
        assert_eq!(fy.round_of(d("2026-12-04")).label(), "令和8年度");
        assert_eq!(fy.round_of(d("2019-06-01")).label(), "令和元年度");
        assert_eq!(fy.round_of(d("2019-04-01")).label(), "令和元年度");
        assert_eq!(fy.round_of(d("2018-06-01")).label(), "平成30年度");
    }

    #[test]
    fn months_line_up_with_the_fiscal_year() {
        let half = Every::Months(6);
        assert_eq!(
            round(&half, "2026-09-30"),
            ("2026-04-01".to_owned(), "2026-09-30".to_owned())
        );
        assert_eq!(
            round(&half, "2027-02-10"),
            ("2026-10-01".to_owned(), "2027-03-31".to_owned())
        );
        let quarter = Every::Months(3);
        assert_eq!(
            round(&quarter, "2027-01-01"),
            ("2027-01-01".to_owned(), "2027-03-31".to_owned())
        );
        let monthly = Every::Months(1);
        assert_eq!(
            round(&monthly, "2028-02-15"),
            ("2028-02-01".to_owned(), "2028-02-29".to_owned())
        );
        assert_eq!(
            half.round_of(d("2026-10-01")).label(),
            "2026年10月1日〜2027年3月31日"
        );
    }

    #[test]
    fn fixed_days_run_to_the_day_before_the_next_across_the_new_year() {
        let every = Every::on_days(&["10-01", "04-01"]).unwrap();
        assert_eq!(every, Every::Dates(vec![(4, 1), (10, 1)]));
        assert_eq!(
            round(&every, "2026-12-04"),
            ("2026-10-01".to_owned(), "2027-03-31".to_owned())
        );
        assert_eq!(
            round(&every, "2027-01-15"),
            ("2026-10-01".to_owned(), "2027-03-31".to_owned())
        );
        let yearly_in_july = Every::on_days(&["07-01"]).unwrap();
        assert_eq!(
            round(&yearly_in_july, "2027-03-01"),
            ("2026-07-01".to_owned(), "2027-06-30".to_owned())
        );
    }

    #[test]
    fn a_round_is_over_at_the_end_of_its_last_day_and_reminds_before_it() {
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let r = Every::FiscalYear.round_of(d("2026-12-04"));
        let due = r.due_at(&tokyo);
        assert_eq!(
            due.to_string(),
            "2027-03-31T15:00:00Z",
            "00:00 of 1 April in Tokyo"
        );
        let remind = crate::deadline::remind_at(due, "30 days".parse().unwrap(), &tokyo);
        assert_eq!(
            remind.to_string(),
            "2027-03-01T00:00:00Z",
            "09:00 in Tokyo, 30 days before the last day"
        );
    }

    #[test]
    fn the_next_round_starts_the_day_after() {
        for every in [
            Every::FiscalYear,
            Every::Months(4),
            Every::on_days(&["01-10", "06-15"]).unwrap(),
        ] {
            let mut r = every.round_of(d("2026-05-05"));
            for _ in 0..8 {
                let next = every.next(&r);
                assert_eq!(next.starts_on, r.ends_on.tomorrow().unwrap(), "{every}");
                assert!(next.ends_on > next.starts_on);
                r = next;
            }
        }
    }

    #[test]
    fn recurrences_read_in_english_and_japanese_and_refuse_what_does_not_divide_the_year() {
        assert_eq!("fiscal year".parse(), Ok(Every::FiscalYear));
        assert_eq!("毎年度".parse(), Ok(Every::FiscalYear));
        assert_eq!("12 months".parse(), Ok(Every::FiscalYear));
        assert_eq!("6か月".parse(), Ok(Every::Months(6)));
        assert_eq!("3 months".parse(), Ok(Every::Months(3)));
        for bad in ["5 months", "0 months", "weekly", "", "24 months"] {
            let e = bad.parse::<Every>().unwrap_err();
            assert!(e.0.contains("fiscal year"), "{bad}: {e}");
        }
        assert!(Every::on_days(&["02-29"]).unwrap_err().0.contains("02-29"));
        assert!(
            Every::on_days(&["04-01", "04-01"])
                .unwrap_err()
                .0
                .contains("twice")
        );
        assert!(Every::on_days::<&str>(&[]).is_err());
        assert!(Every::on_days(&["13-01"]).is_err());
        assert_eq!(
            Every::on_days(&["10-01", "04-01"]).unwrap().to_string(),
            "on 04-01, 10-01"
        );
    }
}
