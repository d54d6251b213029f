//! Rules written in Rust, for what a condition in YAML cannot say.
//!
//! A library names a rule in a condition (`when: { rule: office_hours }`); the checker
//! refuses a name that is not here, so a typo is caught before a case ever meets it. Rules
//! are pure: they see the same [`Facts`] as every other condition, including the present
//! time in the installation's zone.

use jiff::civil::{Time, time};

use crate::condition::Facts;
use mamori_domain::calendar::is_business_day;

/// A named rule.
pub struct Rule {
    /// The name a library writes.
    pub name: &'static str,
    /// What it decides, for `mamori library check` and the library's readers.
    pub about: &'static str,
    /// Whether it holds.
    pub holds: fn(&Facts<'_>) -> bool,
}

/// Every rule a library may name.
pub const RULES: &[Rule] = &[Rule {
    name: "office_hours",
    about: "官公庁の勤務時間内（営業日の 8:30〜17:15）である",
    holds: office_hours,
}];

/// The rule called `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// The names of every rule, for messages.
pub fn names() -> Vec<&'static str> {
    RULES.iter().map(|r| r.name).collect()
}

/// The regular working hours of national government offices (8:30 to 17:15 on a day the
/// offices are open): outside them, a contact is reached through its night and holiday
/// number instead of its desk.
pub const OFFICE_OPENS: Time = time(8, 30, 0, 0);
/// See [`OFFICE_OPENS`].
pub const OFFICE_CLOSES: Time = time(17, 15, 0, 0);

fn office_hours(facts: &Facts<'_>) -> bool {
    // Without a clock (checking a form on its own) the rule cannot know; it does not hold.
    let Some(now) = facts.now else { return false };
    let t = now.time();
    is_business_day(now.date()) && t >= OFFICE_OPENS && t < OFFICE_CLOSES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Data;
    use std::collections::BTreeMap;

    fn at(text: &str) -> bool {
        let now: jiff::Zoned = format!("{text}[Asia/Tokyo]").parse().unwrap();
        let data = Data::new();
        let rows = BTreeMap::new();
        let facts = Facts {
            data: &data,
            done: &[],
            rows: &rows,
            today: "",
            now: Some(&now),
        };
        (rule("office_hours").unwrap().holds)(&facts)
    }

    #[test]
    fn office_hours_are_working_days_from_half_past_eight_to_a_quarter_past_five() {
        // Tuesday 24 November 2026, the day after Labour Thanksgiving Day: a working day.
        assert!(at("2026-11-24T08:30:00+09:00"));
        assert!(at("2026-11-24T17:14:59+09:00"));
        assert!(!at("2026-11-24T08:29:59+09:00"));
        assert!(!at("2026-11-24T17:15:00+09:00"));
        assert!(!at("2026-11-24T23:00:00+09:00"));
    }

    #[test]
    fn weekends_holidays_and_the_year_end_are_outside_office_hours() {
        assert!(!at("2026-11-22T10:00:00+09:00"), "Sunday");
        assert!(!at("2026-11-23T10:00:00+09:00"), "勤労感謝の日");
        assert!(
            !at("2026-12-29T10:00:00+09:00"),
            "year-end closure on a Tuesday"
        );
        assert!(
            !at("2027-01-04T08:00:00+09:00"),
            "first working day, before opening"
        );
        assert!(at("2027-01-04T09:00:00+09:00"));
    }

    #[test]
    fn without_a_clock_the_rule_does_not_hold() {
        let data = Data::new();
        let rows = BTreeMap::new();
        let facts = Facts {
            data: &data,
            done: &[],
            rows: &rows,
            today: "",
            now: None,
        };
        assert!(!(rule("office_hours").unwrap().holds)(&facts));
    }
}
