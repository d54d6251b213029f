//! Catalogs (点検項目集): a checklist or a control framework as a tree of requirements with
//! the ids of the original (`5.3(1)①`), answered for an organisation in an assessment.
//!
//! What an answer means is decided here, purely: whether a requirement asks anything,
//! whether it applies given the answers so far, and whether an answer passes or fails.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::Text;
use crate::model::Party;

/// `catalogs/<id>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Snake-case id, unique in the library.
    pub id: Spanned<String>,
    /// Its title (自己点検票, …).
    pub title: Text,
    /// What it is for.
    #[serde(default)]
    pub description: Option<Text>,
    /// Who answers it for an organisation (and may start an assessment).
    pub by: Vec<Party>,
    /// Who may run it as a campaign: one assessment for every organisation directly below
    /// theirs, each answered there and totalled upward.
    #[serde(default)]
    pub campaign_by: Vec<Party>,
    /// Groups requirements may belong to (by role, by level); an assessment may take only
    /// some of them.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// The requirements, in the original's order.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
    /// What becomes of a requirement answered as not met.
    #[serde(default)]
    pub findings: Option<Findings>,
    /// Requirements read from a matrix of the library rather than written out: see
    /// [`FromMatrix`].
    #[serde(default)]
    pub from_matrix: Option<FromMatrix>,
    /// Its scores are reported to the bodies an organisation reports to (relation
    /// `reports_to`): the roll-up shows, per reporting organisation, the share of the
    /// weight passed by the assessments submitted in the fiscal year.
    #[serde(default)]
    pub reports_up: bool,
}

/// `from_matrix: { matrix: responsibilities, marks: [○, 許, 承] }`: a questionnaire per role
/// generated from a responsibility matrix (seed 004's 自己点検票: 「…それぞれの役割に応じた点検
/// 項目…」). Every cell of a column standing for a role that holds one of `marks` becomes a
/// requirement of that column's group, in the matrix's order: `5.1(1)③(イ):manager`, asking
/// the row's title. The groups are the columns with a role; an assessment of one group asks
/// one role its rows. It reads the matrix as shipped, not an organisation's corrections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromMatrix {
    /// A matrix of the same library.
    pub matrix: Spanned<String>,
    /// The marks that make a cell a requirement.
    pub marks: Vec<String>,
}

impl Catalog {
    /// Adds the requirements and groups `from_matrix` reads from `matrix`, after any written
    /// out: one group per column standing for a role (unless a group of that id is written),
    /// one requirement per cell holding one of the marks.
    pub fn expand_from(&mut self, matrix: &crate::matrix::Matrix) {
        let Some(from) = &self.from_matrix else {
            return;
        };
        let marks = from.marks.clone();
        let columns: Vec<&crate::matrix::Column> =
            matrix.columns.iter().filter(|c| c.role.is_some()).collect();
        for c in &columns {
            if !self.groups.iter().any(|g| g.id.value == c.id.value) {
                self.groups.push(Group {
                    id: c.id.clone(),
                    label: c.label.clone(),
                });
            }
        }
        for row in &matrix.rows {
            for c in &columns {
                let Some(mark) = row.cells.get(&c.id.value) else {
                    continue;
                };
                if !marks.iter().any(|m| m == mark) {
                    continue;
                }
                let mark_label = matrix
                    .marks
                    .iter()
                    .find(|m| &m.id.value == mark)
                    .map(|m| m.label.clone());
                let category = row
                    .category
                    .as_ref()
                    .map(|t| t.ja.clone())
                    .unwrap_or_default();
                let help = Text {
                    ja: format!(
                        "{}（{}）{}",
                        row.id.value,
                        category,
                        mark_label
                            .as_ref()
                            .map(|l| format!(" {mark}: {}", l.ja))
                            .unwrap_or_default()
                    ),
                    en: Some(format!(
                        "{} ({mark}{})",
                        row.id.value,
                        mark_label
                            .as_ref()
                            .map(|l| format!(": {}", l.get("en")))
                            .unwrap_or_default()
                    )),
                };
                self.requirements.push(Requirement {
                    id: Spanned::new(
                        format!("{}:{}", row.id.value, c.id.value),
                        row.id.referenced,
                        row.id.defined,
                    ),
                    text: row.title.clone(),
                    help: Some(help),
                    group: Some(c.id.clone()),
                    weight: None,
                    question: None,
                    options: Vec::new(),
                    when: None,
                    requirements: Vec::new(),
                });
            }
        }
    }
}

/// `findings: { procedure: remediation }`: when an assessment is submitted, every
/// requirement answered as not met opens a case of this procedure of the same library for
/// the organisation, with its form's `requirement` and `finding` fields filled in (the
/// requirement's id and text; the answer's remark); the procedure's deadlines set the due
/// dates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// The remediation procedure.
    pub procedure: Spanned<String>,
}

/// The fields a remediation procedure's form fills from a finding.
pub const FINDING_FIELDS: [&str; 2] = ["requirement", "finding"];

/// A group of requirements.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Snake-case id.
    pub id: Spanned<String>,
    /// Its name.
    pub label: Text,
}

/// How a requirement is answered.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// はい (met) / いいえ (not met) / 該当なし (not applicable, with a reason).
    #[default]
    YesNo,
    /// One of `options`, each passing or not.
    Choice,
    /// A heading: nothing to answer.
    None,
}

impl Question {
    /// As the API and the pages name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Question::YesNo => "yes_no",
            Question::Choice => "choice",
            Question::None => "none",
        }
    }
}

/// One requirement, perhaps with requirements under it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The original's numbering, unique in the catalog: `5.3(1)①`.
    pub id: Spanned<String>,
    /// What is required (or asked).
    pub text: Text,
    /// Guidance for whoever answers.
    #[serde(default)]
    pub help: Option<Text>,
    /// The group it belongs to.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// How much it counts in the score (1 unless given).
    #[serde(default)]
    pub weight: Option<u32>,
    /// How it is answered: `yes_no` unless it has requirements under it (then `none`).
    #[serde(default)]
    pub question: Option<Question>,
    /// For `choice`.
    #[serde(default)]
    pub options: Vec<AnswerOption>,
    /// It applies only when an earlier requirement was answered so.
    #[serde(default)]
    pub when: Option<Spanned<When>>,
    /// Requirements under it.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
}

/// An option of a `choice` requirement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    /// Snake-case id.
    pub id: Spanned<String>,
    /// Its label.
    pub label: Text,
    /// Whether choosing it meets the requirement.
    pub pass: bool,
}

/// `when: { requirement: "5.3(1)", is: yes }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// An earlier requirement.
    pub requirement: String,
    /// The answer it must have had (`yes`, `no`, or an option id).
    pub is: String,
}

/// What an answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The requirement is met.
    Pass,
    /// It is not: a finding.
    Fail,
    /// It does not apply to the organisation.
    NotApplicable,
}

impl Outcome {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

/// The answer meaning "does not apply".
pub const NOT_APPLICABLE: &str = "na";

/// Why an answer is refused (a message code, `form-<code>` in the locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such requirement, or it asks nothing.
    UnknownRequirement,
    /// Not one of the answers the requirement takes.
    UnknownAnswer,
    /// "Does not apply" needs a reason.
    ReasonRequired,
}

impl Refusal {
    /// The message code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::UnknownRequirement => "unknown_requirement",
            Refusal::UnknownAnswer => "unknown_answer",
            Refusal::ReasonRequired => "reason_required",
        }
    }
}

impl Requirement {
    /// How it is answered.
    pub fn question(&self) -> Question {
        self.question.unwrap_or(if self.requirements.is_empty() {
            Question::YesNo
        } else {
            Question::None
        })
    }

    /// Its weight.
    pub fn weight(&self) -> u32 {
        self.weight.unwrap_or(1)
    }

    /// What `answer` means, or why it is refused; `note` is the reason given with it.
    pub fn judge(&self, answer: &str, note: &str) -> Result<Outcome, Refusal> {
        if answer == NOT_APPLICABLE && self.question() != Question::None {
            return if note.trim().is_empty() {
                Err(Refusal::ReasonRequired)
            } else {
                Ok(Outcome::NotApplicable)
            };
        }
        match self.question() {
            Question::None => Err(Refusal::UnknownRequirement),
            Question::YesNo => match answer {
                "yes" => Ok(Outcome::Pass),
                "no" => Ok(Outcome::Fail),
                _ => Err(Refusal::UnknownAnswer),
            },
            Question::Choice => self
                .options
                .iter()
                .find(|o| o.id.value == answer)
                .map(|o| if o.pass { Outcome::Pass } else { Outcome::Fail })
                .ok_or(Refusal::UnknownAnswer),
        }
    }
}

/// A requirement in reading order, with how deep it sits.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The requirement.
    pub requirement: &'a Requirement,
    /// 0 for the top level.
    pub depth: usize,
}

impl Catalog {
    /// Every requirement in reading order (a parent before its children).
    pub fn lines(&self) -> Vec<Line<'_>> {
        fn walk<'a>(items: &'a [Requirement], depth: usize, out: &mut Vec<Line<'a>>) {
            for r in items {
                out.push(Line {
                    requirement: r,
                    depth,
                });
                walk(&r.requirements, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.requirements, 0, &mut out);
        out
    }

    /// A requirement by id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        fn find<'a>(items: &'a [Requirement], id: &str) -> Option<&'a Requirement> {
            items.iter().find_map(|r| {
                (r.id.value == id)
                    .then_some(r)
                    .or_else(|| find(&r.requirements, id))
            })
        }
        find(&self.requirements, id)
    }

    /// The requirements an assessment limited to `groups` (all when empty) asks, in
    /// reading order, with whether each applies given `answers` (requirement id → answer).
    /// A requirement whose `when` does not hold is skipped, and so is everything under it.
    pub fn asked<'a>(
        &'a self,
        groups: &[String],
        answers: &BTreeMap<String, String>,
    ) -> Vec<(Line<'a>, bool)> {
        let mut out = Vec::new();
        let mut skipped_below: Option<usize> = None;
        for line in self.lines() {
            if let Some(depth) = skipped_below {
                if line.depth > depth {
                    out.push((line, false));
                    continue;
                }
                skipped_below = None;
            }
            let r = line.requirement;
            let in_groups =
                groups.is_empty() || r.group.as_ref().is_none_or(|g| groups.contains(&g.value));
            let holds = r
                .when
                .as_ref()
                .is_none_or(|w| answers.get(&w.value.requirement) == Some(&w.value.is));
            if !holds {
                skipped_below = Some(line.depth);
            }
            out.push((line, in_groups && holds));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        serde_saphyr::from_str(
            r#"
id: self_check
title: { ja: 自己点検票 }
by: [{ role: ia_officer, of: own_organisation }]
groups:
  - { id: staff, label: { ja: 職員 } }
  - { id: admin, label: { ja: 管理者 } }
requirements:
  - id: "5.3"
    text: { ja: パスワードの管理 }
    requirements:
      - { id: "5.3(1)", text: { ja: パスワードを秘密にしている }, group: staff }
      - id: "5.3(2)"
        text: { ja: 共有アカウントがある }
        group: admin
      - id: "5.3(2)①"
        text: { ja: 共有アカウントの利用者を記録している }
        group: admin
        weight: 3
        when: { requirement: "5.3(2)", is: "yes" }
  - id: "6.1"
    text: { ja: 媒体の管理 }
    question: choice
    options:
      - { id: all, label: { ja: すべて台帳で管理 }, pass: true }
      - { id: some, label: { ja: 一部 }, pass: false }
"#,
        )
        .unwrap()
    }

    #[test]
    fn answers_mean_pass_fail_or_not_applicable_with_a_reason() {
        let c = catalog();
        let r = c.requirement("5.3(1)").unwrap();
        assert_eq!(r.judge("yes", ""), Ok(Outcome::Pass));
        assert_eq!(r.judge("no", ""), Ok(Outcome::Fail));
        assert_eq!(r.judge("na", " "), Err(Refusal::ReasonRequired));
        assert_eq!(r.judge("na", "窓口業務なし"), Ok(Outcome::NotApplicable));
        assert_eq!(r.judge("maybe", ""), Err(Refusal::UnknownAnswer));
        let heading = c.requirement("5.3").unwrap();
        assert_eq!(heading.judge("yes", ""), Err(Refusal::UnknownRequirement));
        let choice = c.requirement("6.1").unwrap();
        assert_eq!(choice.judge("some", ""), Ok(Outcome::Fail));
        assert_eq!(choice.judge("all", ""), Ok(Outcome::Pass));
        assert_eq!(c.requirement("5.3(2)①").unwrap().weight(), 3);
    }

    #[test]
    fn groups_and_earlier_answers_decide_what_is_asked() {
        let c = catalog();
        let asked = |groups: &[&str], answers: &[(&str, &str)]| -> Vec<String> {
            let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
            let answers = answers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            c.asked(&groups, &answers)
                .into_iter()
                .filter(|(l, applies)| *applies && l.requirement.question() != Question::None)
                .map(|(l, _)| l.requirement.id.value.clone())
                .collect()
        };
        assert_eq!(asked(&[], &[]), ["5.3(1)", "5.3(2)", "6.1"]);
        assert_eq!(
            asked(&[], &[("5.3(2)", "yes")]),
            ["5.3(1)", "5.3(2)", "5.3(2)①", "6.1"]
        );
        assert_eq!(asked(&["staff"], &[("5.3(2)", "yes")]), ["5.3(1)", "6.1"]);
        let depths: Vec<usize> = c.lines().iter().map(|l| l.depth).collect();
        assert_eq!(depths, [0, 1, 1, 1, 0]);
    }
}
