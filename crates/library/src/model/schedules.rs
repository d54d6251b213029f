//! A procedure's schedule (`schedule`): the steps a case goes through, planned in
//! business days from an action, with the actions that finish each step.

use super::*;

/// The steps of a procedure planned in time: from the day `from` was last taken, one after
/// another on the days offices are open, with ATLA-style adjustments recorded by an action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The action whose last taking starts the plan (the application submitted); taking it
    /// again (after a return) plans afresh.
    pub from: Spanned<String>,
    /// Where the durations come from, shown with the schedule (a seed that gives none).
    #[serde(default)]
    pub note: Option<Text>,
    /// The steps, in order.
    pub steps: Vec<ScheduleStep>,
    /// Steps planned inside one calendar month (「④～⑦…同一の月内に」): from the first of
    /// them a case goes through to the last; when they would not fit in the rest of a
    /// month they start on the first business day of the next.
    #[serde(default)]
    pub same_month: Option<SameMonth>,
    /// The action that moves a step, and its fields.
    #[serde(default)]
    pub adjust: Option<Adjust>,
}

/// One step of a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStep {
    /// Id, unique in the schedule (an adjustment's step field chooses among them).
    pub id: Spanned<String>,
    /// Its mark in the source (①).
    #[serde(default)]
    pub number: String,
    /// Its name.
    pub name: Text,
    /// Who carries it out.
    pub actor: Text,
    /// The applicant must attend (● in the source).
    #[serde(default)]
    pub attend: bool,
    /// Business days it takes (at least one).
    pub days: Spanned<u32>,
    /// Left out when the case's form says so (a mobile router has no line works).
    #[serde(default)]
    pub skipped_when: Option<FieldIs>,
    /// Another actor when the case's form says so (a mobile router is set up by the company).
    #[serde(default)]
    pub instead: Vec<OtherActor>,
    /// The actions that finish it, the first taken after the plan's start counting.
    pub finished_by: Vec<Finisher>,
}

impl ScheduleStep {
    /// Its number and name, as a schedule lists it: 「③ 現場調査」.
    pub fn title(&self, lang: &str) -> String {
        let name = self.name.get(lang);
        if self.number.is_empty() {
            name.to_owned()
        } else {
            format!("{} {name}", self.number)
        }
    }
}

/// A field of the case (or of an action) holding a value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldIs {
    pub field: Spanned<String>,
    pub is: String,
}

impl FieldIs {
    /// Whether `data` holds it.
    pub fn holds(&self, data: &serde_json::Map<String, serde_json::Value>) -> bool {
        data.get(&self.field.value).and_then(|v| v.as_str()) == Some(self.is.as_str())
    }
}

/// Who carries out a step instead, and whether the applicant attends then.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherActor {
    pub when: FieldIs,
    pub actor: Text,
    #[serde(default)]
    pub attend: bool,
}

/// An action that finishes a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finisher {
    /// An action of the procedure.
    pub action: Spanned<String>,
    /// Only when the action's fields say so (the verification passed).
    #[serde(default)]
    pub when: Option<FieldIs>,
    /// Not when they say so (a notice of deficiencies).
    #[serde(default)]
    pub unless: Option<FieldIs>,
}

impl Finisher {
    /// Whether taking `action` with `data` finishes the step.
    pub fn finishes(
        &self,
        action: &str,
        data: &serde_json::Map<String, serde_json::Value>,
    ) -> bool {
        self.action.value == action
            && self.when.as_ref().is_none_or(|w| w.holds(data))
            && !self.unless.as_ref().is_some_and(|u| u.holds(data))
    }
}

/// The steps planned inside one month.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameMonth {
    /// The first step of the block.
    pub from: Spanned<String>,
    /// Its last step.
    pub to: Spanned<String>,
}

/// How an action moves a step: its fields naming the step, its new first day and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    pub action: Spanned<String>,
    /// A choice field whose options are step ids.
    pub step: Spanned<String>,
    /// A date field: the step's new first day.
    pub starts: Spanned<String>,
    /// A text field: why.
    #[serde(default)]
    pub reason: Option<Spanned<String>>,
}
