//! Rules written in Rust, for what a condition in YAML cannot say: the generic ones here,
//! and each rulebook's in its home under [`crate::rulebooks`], found by name alike.
//!
//! A library names a rule in a condition (`when: { rule: office_hours }`); the checker
//! refuses a name that is not here, so a typo is caught before a case ever meets it. Rules
//! are pure: they see the same [`Facts`] as every other condition, including the present
//! time in the installation's zone.

use jiff::civil::{Time, time};
use serde_json::Value;

use crate::condition::Facts;
use crate::form::Data;
use mamori_domain::calendar::is_business_day;

/// A named rule.
pub struct Rule {
    /// The name a library writes.
    pub name: &'static str,
    /// What it decides, for `mamori library check` and the library's readers.
    pub about: &'static str,
    /// The fields it reads (`group.column` for a table's column): a procedure naming the
    /// rule must have them, or the rule would decide on nothing.
    pub reads: &'static [&'static str],
    /// The actions it asks whether were taken: the procedure must have them.
    pub done: &'static [&'static str],
    /// Whether it holds.
    pub holds: fn(&Facts<'_>) -> bool,
}

/// The rules any library may name; each rulebook adds its own (see [`crate::rulebooks`]).
pub const RULES: &[Rule] = &[Rule {
    name: "office_hours",
    about: "官公庁の勤務時間内（営業日の 8:30〜17:15）である",
    reads: &[],
    done: &[],
    holds: office_hours,
}];

/// A value worked out in Rust from a form's data, for `compute: { rule: name }`.
pub struct Derivation {
    /// The name a library writes.
    pub name: &'static str,
    /// What it works out.
    pub about: &'static str,
    /// The fields of its form it reads (see [`Rule::reads`]).
    pub reads: &'static [&'static str],
    /// How; `Null` when there is nothing to show yet.
    pub derive: fn(&Data) -> Value,
}

/// The derivations any library may name; each rulebook adds its own.
pub const DERIVATIONS: &[Derivation] = &[];

/// Every rule: the generic ones, then each rulebook's.
fn all_rules() -> impl Iterator<Item = &'static Rule> {
    RULES
        .iter()
        .chain(crate::rulebooks::ALL.iter().flat_map(|b| b.rules))
}

/// Every derivation: the generic ones, then each rulebook's.
fn all_derivations() -> impl Iterator<Item = &'static Derivation> {
    DERIVATIONS
        .iter()
        .chain(crate::rulebooks::ALL.iter().flat_map(|b| b.derivations))
}

/// The rules library `library` may name: the generic ones and its own rulebook's.
fn rules_of(library: &str) -> impl Iterator<Item = &'static Rule> + '_ {
    RULES.iter().chain(
        crate::rulebooks::ALL
            .iter()
            .filter(move |b| b.library == library)
            .flat_map(|b| b.rules),
    )
}

/// The derivations library `library` may name: the generic ones and its own rulebook's.
fn derivations_of(library: &str) -> impl Iterator<Item = &'static Derivation> + '_ {
    DERIVATIONS.iter().chain(
        crate::rulebooks::ALL
            .iter()
            .filter(move |b| b.library == library)
            .flat_map(|b| b.derivations),
    )
}

/// The rule called `name` that library `library` may name (another rulebook's is not).
pub fn rule_for(library: &str, name: &str) -> Option<&'static Rule> {
    rules_of(library).find(|r| r.name == name)
}

/// The names of the rules library `library` may name, for messages.
pub fn names_for(library: &str) -> Vec<&'static str> {
    rules_of(library).map(|r| r.name).collect()
}

/// The derivation called `name` that library `library` may name.
pub fn derivation_for(library: &str, name: &str) -> Option<&'static Derivation> {
    derivations_of(library).find(|d| d.name == name)
}

/// The names of the derivations library `library` may name, for messages.
pub fn derivation_names_for(library: &str) -> Vec<&'static str> {
    derivations_of(library).map(|d| d.name).collect()
}

/// The derivation called `name`.
pub fn derivation(name: &str) -> Option<&'static Derivation> {
    all_derivations().find(|d| d.name == name)
}

/// The names of every derivation, for messages.
pub fn derivation_names() -> Vec<&'static str> {
    all_derivations().map(|d| d.name).collect()
}

/// The rule called `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    all_rules().find(|r| r.name == name)
}

/// The names of every rule, for messages.
pub fn names() -> Vec<&'static str> {
    all_rules().map(|r| r.name).collect()
}

/// The regular working hours of national government offices (8:30 to 17:15 on a day the
/// offices are open): outside them, a contact is reached through its night and holiday
/// number instead of its desk.
pub const OFFICE_OPENS: Time = time(8, 30, 0, 0);
/// See [`OFFICE_OPENS`].
pub const OFFICE_CLOSES: Time = time(17, 15, 0, 0);

fn office_hours(facts: &Facts<'_>) -> bool {
    // Without a clock (checking a form on its own) the rule cannot know; it does not hold.
    facts.now.is_some_and(in_office_hours)
}

/// Whether government offices are open at `now` (see [`OFFICE_OPENS`]).
pub fn in_office_hours(now: &jiff::Zoned) -> bool {
    let t = now.time();
    is_business_day(now.date()) && t >= OFFICE_OPENS && t < OFFICE_CLOSES
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::BTreeMap;

    /// Whether `rule` holds for `data` at `now` (none: no clock).
    fn holds(rule_name: &str, data: serde_json::Value, now: Option<&str>) -> bool {
        let data = data.as_object().cloned().unwrap_or_default();
        let now: Option<jiff::Zoned> = now.map(|t| format!("{t}[Asia/Tokyo]").parse().unwrap());
        let rows = BTreeMap::new();
        let facts = Facts {
            data: &data,
            done: &[],
            rows: &rows,
            today: "",
            now: now.as_ref(),
            organisations: None,
        };
        (rule(rule_name).unwrap().holds)(&facts)
    }

    fn at(text: &str) -> bool {
        holds("office_hours", serde_json::json!({}), Some(text))
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
        assert!(!holds("office_hours", serde_json::json!({}), None));
    }
}
