//! Business days of Japanese government offices.
//!
//! Deadlines in administrative procedures are counted in the days offices are open, so
//! "10 business days" must skip what the offices skip: Saturdays, Sundays, national
//! holidays and the year-end closure of 29 December to 3 January (行政機関の休日に関する法律).
//!
//! Holidays follow the Act on National Holidays (国民の祝日に関する法律) as in force from
//! 2020, including the substitute holiday (振替休日) and the holiday between two holidays
//! (国民の休日), and the one-off moves for the Tokyo Olympics in 2020 and 2021. The result is
//! right for 2020–2099. Earlier years are computed with today's rules, which the law did not
//! always have (天皇誕生日 was 23 December until 2018, スポーツの日 was 体育の日), so do not
//! use this for history. A holiday created by a one-off law (such as an enthronement) must be
//! added here when it is enacted.

use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};

pub mod era;

pub use era::{DateStyle, wareki};

/// Why government offices are closed on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
    /// A national holiday, substitute holiday or citizens' holiday, by its Japanese name.
    Holiday(&'static str),
    /// The year-end closure of government offices (29 December – 3 January).
    YearEnd,
}

/// Why `date` is not a business day, or `None` for a business day.
///
/// When several reasons apply, the most specific one is given: a holiday's name first (so
/// 1 January says 元日), then the year-end closure, then the weekend.
pub fn closed_reason(date: Date) -> Option<Closed> {
    if let Some(name) = holiday_name(date) {
        return Some(Closed::Holiday(name));
    }
    let (month, day) = (date.month(), date.day());
    if (month == 12 && day >= 29) || (month == 1 && day <= 3) {
        return Some(Closed::YearEnd);
    }
    match date.weekday() {
        Weekday::Saturday => Some(Closed::Saturday),
        Weekday::Sunday => Some(Closed::Sunday),
        _ => None,
    }
}

/// Whether government offices are open on `date`.
///
/// Asked for every day of every step of every schedule an overview plans (a thousand
/// sites' schedules, several hundred thousand days), so the answers for 1990–2100 are
/// worked out once, on first use, and read from a table; other years ask the rules.
pub fn is_business_day(date: Date) -> bool {
    const FIRST: i16 = 1990;
    const LAST: i16 = 2100;
    static CLOSED: LazyLock<Vec<[bool; 366]>> = LazyLock::new(|| {
        (FIRST..=LAST)
            .map(|year| {
                let mut days = [false; 366];
                let mut day = Date::new(year, 1, 1).expect("a year within jiff's calendar");
                while day.year() == year {
                    days[day_index(day)] = closed_reason(day).is_some();
                    day = day.tomorrow().expect("a day within jiff's calendar");
                }
                days
            })
            .collect()
    });
    match usize::try_from(date.year() - FIRST) {
        Ok(i) if date.year() <= LAST => !CLOSED[i][day_index(date)],
        _ => closed_reason(date).is_none(),
    }
}

/// The day's position in its year, from 0.
fn day_index(date: Date) -> usize {
    usize::from(date.day_of_year().unsigned_abs()) - 1
}

/// The `n`th business day after `date`. The day itself is not counted, whether or not it is
/// a business day; `n = 0` returns `date` unchanged.
pub fn add_business_days(date: Date, n: u32) -> Date {
    step_business_days(date, n, Date::tomorrow)
}

/// The `n`th business day before `date`. The day itself is not counted, whether or not it
/// is a business day; `n = 0` returns `date` unchanged.
pub fn sub_business_days(date: Date, n: u32) -> Date {
    step_business_days(date, n, Date::yesterday)
}

fn step_business_days(mut date: Date, n: u32, step: fn(Date) -> Result<Date, jiff::Error>) -> Date {
    let mut left = n;
    while left > 0 {
        // At the edge of jiff's calendar (years ±9999) there is no further day: stop there
        // rather than panic, as no real deadline comes near it.
        let Ok(next) = step(date) else {
            return date;
        };
        date = next;
        if is_business_day(date) {
            left -= 1;
        }
    }
    date
}

/// The name of the holiday on `date`, if it is one: a national holiday (国民の祝日), a
/// substitute holiday (振替休日) or a citizens' holiday (国民の休日).
pub fn holiday_name(date: Date) -> Option<&'static str> {
    national_holiday(date)
        .or_else(|| substitute_holiday(date))
        .or_else(|| citizens_holiday(date))
}

/// 振替休日 (Act, art. 3(2)): a national holiday on a Sunday gives its rest to the nearest
/// following day that is not itself a national holiday. So a day is a substitute holiday
/// when, walking back over the unbroken run of national holidays just before it, we meet
/// a Sunday (2026: 3 May is a Sunday, 4 and 5 May are holidays, so 6 May is the substitute).
fn substitute_holiday(date: Date) -> Option<&'static str> {
    if national_holiday(date).is_some() {
        return None;
    }
    let mut day = date;
    loop {
        day = day.yesterday().ok()?;
        national_holiday(day)?;
        if day.weekday() == Weekday::Sunday {
            return Some("振替休日");
        }
    }
}

/// 国民の休日 (Act, art. 3(3)): a day that is not a national holiday but has one on each
/// side is a holiday too. Since 2007 this only happens in September, when 敬老の日 falls on
/// a Monday and 秋分の日 on the Wednesday (2026-09-22).
fn citizens_holiday(date: Date) -> Option<&'static str> {
    let before = date.yesterday().ok()?;
    let after = date.tomorrow().ok()?;
    (national_holiday(date).is_none()
        && national_holiday(before).is_some()
        && national_holiday(after).is_some())
    .then_some("国民の休日")
}

/// The national holidays the Act names (art. 2), without substitutes.
fn national_holiday(date: Date) -> Option<&'static str> {
    let (year, month, day) = (date.year(), date.month(), date.day());
    let name = match (month, day) {
        (1, 1) => "元日",
        (2, 11) => "建国記念の日",
        (2, 23) => "天皇誕生日",
        (3, _) if day == spring_equinox_day(year) => "春分の日",
        (4, 29) => "昭和の日",
        (5, 3) => "憲法記念日",
        (5, 4) => "みどりの日",
        (5, 5) => "こどもの日",
        (8, 11) if !olympic_year(year) => "山の日",
        (9, _) if day == autumn_equinox_day(year) => "秋分の日",
        (11, 3) => "文化の日",
        (11, 23) => "勤労感謝の日",
        _ => return happy_monday(date).or_else(|| olympic_move(date)),
    };
    Some(name)
}

/// The holidays set on the nth Monday of a month (the "Happy Monday" system), which gives
/// a three-day weekend.
fn happy_monday(date: Date) -> Option<&'static str> {
    if date.weekday() != Weekday::Monday {
        return None;
    }
    let nth = (date.day() - 1) / 7 + 1;
    match (date.month(), nth) {
        (1, 2) => Some("成人の日"),
        (7, 3) if !olympic_year(date.year()) => Some("海の日"),
        (9, 3) => Some("敬老の日"),
        (10, 2) if !olympic_year(date.year()) => Some("スポーツの日"),
        _ => None,
    }
}

/// The special measures act for the Tokyo Olympics moved 海の日, スポーツの日 and 山の日 to
/// the days around the opening and closing ceremonies, in 2020 and again in 2021 when the
/// games were postponed.
fn olympic_year(year: i16) -> bool {
    matches!(year, 2020 | 2021)
}

fn olympic_move(date: Date) -> Option<&'static str> {
    match (date.year(), date.month(), date.day()) {
        (2020, 7, 23) | (2021, 7, 22) => Some("海の日"),
        (2020, 7, 24) | (2021, 7, 23) => Some("スポーツの日"),
        (2020, 8, 10) | (2021, 8, 8) => Some("山の日"),
        _ => None,
    }
}

/// The day of March of the vernal equinox. The Act fixes 春分の日 only as "the equinox day",
/// which the National Astronomical Observatory announces each February for the next year;
/// this is the usual approximation of its tables, valid for 1980–2099. Other years get a
/// number from the same formula, which drifts away from the real equinox.
fn spring_equinox_day(year: i16) -> i8 {
    equinox_day(20.8431, year)
}

/// The day of September of the autumnal equinox; same approximation and range as
/// [`spring_equinox_day`].
fn autumn_equinox_day(year: i16) -> i8 {
    equinox_day(23.2488, year)
}

/// A tropical year is about 0.242194 days longer than 365, so the equinox moves that much
/// later each year and comes back a day every leap year.
fn equinox_day(day_in_1980: f64, year: i16) -> i8 {
    let since = i32::from(year) - 1980;
    let day = day_in_1980 + 0.242194 * f64::from(since) - f64::from(since.div_euclid(4));
    // Always within 1..=31 for the valid range, so the narrowing cannot lose anything there.
    day.floor() as i8
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::civil::date;

    use super::*;

    /// Every holiday of `year`, by (month, day).
    fn holidays(year: i16) -> BTreeMap<(i8, i8), &'static str> {
        let mut found = BTreeMap::new();
        let mut day = date(year, 1, 1);
        while day.year() == year {
            if let Some(name) = holiday_name(day) {
                found.insert((day.month(), day.day()), name);
            }
            day = day.tomorrow().unwrap();
        }
        found
    }

    fn expect(list: &[((i8, i8), &'static str)]) -> BTreeMap<(i8, i8), &'static str> {
        list.iter().copied().collect()
    }

    #[test]
    fn the_kept_answers_agree_with_the_rules_on_every_day() {
        // 2019 and 2020 moved holidays (the enthronement, the Olympics); 2024 has 366 days.
        let mut day = date(2018, 12, 25);
        let mut open = 0;
        while day < date(2032, 1, 5) {
            assert_eq!(is_business_day(day), closed_reason(day).is_none(), "{day}");
            open += usize::from(is_business_day(day));
            day = day.tomorrow().unwrap();
        }
        assert!(open > 13 * 240, "{open} business days");
        assert!(
            !is_business_day(date(2024, 12, 31)),
            "the 366th day of 2024"
        );
        assert!(is_business_day(date(2024, 12, 27)));
        // Outside the table the rules are asked directly.
        for day in [date(1989, 12, 29), date(2101, 1, 1), date(2101, 1, 2)] {
            assert_eq!(is_business_day(day), closed_reason(day).is_none(), "{day}");
            assert!(!is_business_day(day), "{day}");
        }
        assert!(
            is_business_day(date(2101, 1, 4)),
            "a Tuesday after the closure"
        );
    }

    #[test]
    fn every_holiday_of_2026() {
        // 1 January 2026 is a Thursday: Mondays of January are the 5th and 12th, 3 May is a
        // Sunday, 21 September is the third Monday and 23 September a Wednesday.
        assert_eq!(date(2026, 1, 1).weekday(), Weekday::Thursday);
        let expected = expect(&[
            ((1, 1), "元日"),
            ((1, 12), "成人の日"),
            ((2, 11), "建国記念の日"),
            ((2, 23), "天皇誕生日"),
            ((3, 20), "春分の日"),
            ((4, 29), "昭和の日"),
            ((5, 3), "憲法記念日"),
            ((5, 4), "みどりの日"),
            ((5, 5), "こどもの日"),
            ((5, 6), "振替休日"),
            ((7, 20), "海の日"),
            ((8, 11), "山の日"),
            ((9, 21), "敬老の日"),
            ((9, 22), "国民の休日"),
            ((9, 23), "秋分の日"),
            ((10, 12), "スポーツの日"),
            ((11, 3), "文化の日"),
            ((11, 23), "勤労感謝の日"),
        ]);
        assert_eq!(holidays(2026), expected);
    }

    #[test]
    fn every_holiday_of_2025() {
        // 1 January 2025 is a Wednesday: 23 February, 4 May and 23 November are Sundays.
        assert_eq!(date(2025, 1, 1).weekday(), Weekday::Wednesday);
        let expected = expect(&[
            ((1, 1), "元日"),
            ((1, 13), "成人の日"),
            ((2, 11), "建国記念の日"),
            ((2, 23), "天皇誕生日"),
            ((2, 24), "振替休日"),
            ((3, 20), "春分の日"),
            ((4, 29), "昭和の日"),
            ((5, 3), "憲法記念日"),
            ((5, 4), "みどりの日"),
            ((5, 5), "こどもの日"),
            ((5, 6), "振替休日"),
            ((7, 21), "海の日"),
            ((8, 11), "山の日"),
            ((9, 15), "敬老の日"),
            ((9, 23), "秋分の日"),
            ((10, 13), "スポーツの日"),
            ((11, 3), "文化の日"),
            ((11, 23), "勤労感謝の日"),
            ((11, 24), "振替休日"),
        ]);
        assert_eq!(holidays(2025), expected);
    }

    #[test]
    fn every_holiday_of_2021_with_the_olympic_moves() {
        // Marine Day and Sports Day framed the opening ceremony (Friday 23 July); Mountain
        // Day fell on Sunday 8 August, the closing day, so Monday the 9th was its substitute.
        // The usual third Monday of July (19th), 11 August and second Monday of October
        // (11th) were working days.
        let expected = expect(&[
            ((1, 1), "元日"),
            ((1, 11), "成人の日"),
            ((2, 11), "建国記念の日"),
            ((2, 23), "天皇誕生日"),
            ((3, 20), "春分の日"),
            ((4, 29), "昭和の日"),
            ((5, 3), "憲法記念日"),
            ((5, 4), "みどりの日"),
            ((5, 5), "こどもの日"),
            ((7, 22), "海の日"),
            ((7, 23), "スポーツの日"),
            ((8, 8), "山の日"),
            ((8, 9), "振替休日"),
            ((9, 20), "敬老の日"),
            ((9, 23), "秋分の日"),
            ((11, 3), "文化の日"),
            ((11, 23), "勤労感謝の日"),
        ]);
        assert_eq!(holidays(2021), expected);
        assert_eq!(holiday_name(date(2020, 7, 24)), Some("スポーツの日"));
        assert_eq!(holiday_name(date(2020, 8, 10)), Some("山の日"));
    }

    #[test]
    fn equinoxes_move_with_the_year() {
        assert_eq!(holiday_name(date(2027, 3, 21)), Some("春分の日"));
        assert_eq!(holiday_name(date(2027, 3, 20)), None); // a Saturday, not a holiday
        assert_eq!(holiday_name(date(2027, 9, 23)), Some("秋分の日"));
    }

    #[test]
    fn closed_days_say_why() {
        assert_eq!(closed_reason(date(2026, 12, 29)), Some(Closed::YearEnd));
        assert_eq!(
            closed_reason(date(2027, 1, 1)),
            Some(Closed::Holiday("元日"))
        );
        // Sunday 3 January 2027: the closure is the more specific reason.
        assert_eq!(date(2027, 1, 3).weekday(), Weekday::Sunday);
        assert_eq!(closed_reason(date(2027, 1, 3)), Some(Closed::YearEnd));
        assert_eq!(
            closed_reason(date(2026, 5, 6)),
            Some(Closed::Holiday("振替休日"))
        );
        assert_eq!(closed_reason(date(2026, 11, 21)), Some(Closed::Saturday));
        assert_eq!(closed_reason(date(2026, 11, 22)), Some(Closed::Sunday));
        // Monday 23 November is 勤労感謝の日; Tuesday the 24th and Monday 28 December are open.
        assert_eq!(closed_reason(date(2026, 11, 24)), None);
        assert!(is_business_day(date(2026, 12, 28)));
        assert!(!is_business_day(date(2027, 1, 2)));
        assert!(is_business_day(date(2027, 1, 4)));
    }

    #[test]
    fn business_days_skip_the_year_end() {
        // Friday 25 December 2026: Monday the 28th, then closed until Monday 4 January.
        assert_eq!(date(2026, 12, 25).weekday(), Weekday::Friday);
        assert_eq!(add_business_days(date(2026, 12, 25), 1), date(2026, 12, 28));
        assert_eq!(add_business_days(date(2026, 12, 25), 2), date(2027, 1, 4));
        assert_eq!(add_business_days(date(2026, 12, 28), 1), date(2027, 1, 4));
        // 28 Dec, 4–8 Jan, (11 Jan 成人の日), 12–15 Jan: the tenth is Friday 15 January.
        assert_eq!(add_business_days(date(2026, 12, 25), 10), date(2027, 1, 15));
        assert_eq!(sub_business_days(date(2027, 1, 4), 1), date(2026, 12, 28));
    }

    #[test]
    fn business_days_skip_holidays() {
        // Coming-of-Age Day 2027 is Monday 11 January (1 January 2027 is a Friday).
        assert_eq!(date(2027, 1, 11).weekday(), Weekday::Monday);
        assert_eq!(add_business_days(date(2027, 1, 8), 1), date(2027, 1, 12));
        // Silver Week 2026: Saturday 19 to Wednesday 23 September are closed.
        assert_eq!(add_business_days(date(2026, 9, 18), 1), date(2026, 9, 24));
    }

    #[test]
    fn zero_business_days_is_the_day_itself() {
        // Even a closed day: "0 days later" is not a reason to move.
        assert_eq!(add_business_days(date(2026, 12, 26), 0), date(2026, 12, 26));
        assert_eq!(sub_business_days(date(2026, 12, 26), 0), date(2026, 12, 26));
        assert_eq!(add_business_days(date(2026, 12, 24), 0), date(2026, 12, 24));
    }

    #[test]
    fn business_days_back_across_golden_week() {
        // Golden Week 2026: Wednesday 29 April, Saturday 2 to Wednesday 6 May are closed.
        assert_eq!(date(2026, 5, 7).weekday(), Weekday::Thursday);
        assert_eq!(sub_business_days(date(2026, 5, 7), 1), date(2026, 5, 1));
        assert_eq!(sub_business_days(date(2026, 5, 7), 2), date(2026, 4, 30));
        assert_eq!(sub_business_days(date(2026, 5, 7), 3), date(2026, 4, 28));
        // From a closed day, the day itself is still not counted.
        assert_eq!(sub_business_days(date(2026, 5, 5), 1), date(2026, 5, 1));
    }
}
