//! An organisation's own variant of a library's forms (様式の適宜修正): labels and help
//! reworded, optional fields hidden, optional fields added, and its own deadlines (an hour
//! for the first report of an incident may be thirty minutes here) — without touching the
//! shipped files. The variant is one more file of the library, [`ADAPTATION_FILE`], applied to the
//! forms before the library is checked, so an added field gets every check a shipped one
//! does and a mistake is reported with its line like any other.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::Text;
use crate::load::Problem;
use crate::model::{Field, Form};

/// The file that holds an organisation's variant, beside `library.yaml`.
pub const ADAPTATION_FILE: &str = "adaptation.yaml";

/// The file that holds the installation's own figures (`mamori serve --adapt`): deadlines
/// and schedules only, applied before any organisation's variant, which builds on it.
pub const INSTALLATION_FILE: &str = "installation.yaml";

/// `adaptation.yaml`: changes to some forms of the library.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adaptation {
    /// The forms changed.
    #[serde(default)]
    pub forms: Vec<FormAdaptation>,
    /// Deadlines set otherwise.
    #[serde(default)]
    pub deadlines: Vec<DeadlineAdaptation>,
    /// Steps of a schedule taking other days.
    #[serde(default)]
    pub schedules: Vec<ScheduleAdaptation>,
    /// Lower ceilings of classification axes than the library's.
    #[serde(default)]
    pub ceilings: Vec<CeilingAdaptation>,
}

/// The highest level of an axis records may carry here: `{ axis, level, reason }`. It may
/// lower the library's ceiling, never raise it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeilingAdaptation {
    /// An axis of the library's `classification`.
    pub axis: Spanned<String>,
    /// A level of it.
    pub level: Spanned<String>,
    /// Why, shown when a record above it is refused.
    pub reason: Text,
}

/// Applies an adaptation's ceilings to the library's axes, refusing an unknown axis or
/// level and one above the ceiling already in force.
pub(crate) fn lower_ceilings(
    a: &Adaptation,
    file: &str,
    manifest: &mut crate::model::Manifest,
    problems: &mut Vec<Problem>,
) {
    for c in &a.ceilings {
        let Some(axis) = manifest
            .classification
            .iter_mut()
            .find(|x| x.id.value == c.axis.value)
        else {
            problems.push(problem_in(
                file,
                &c.axis,
                format!(
                    "格付の軸「{}」はこのライブラリにありません (unknown axis)",
                    c.axis.value
                ),
            ));
            continue;
        };
        let Some(rank) = axis.rank(&c.level.value) else {
            problems.push(problem_in(
                file,
                &c.level,
                format!(
                    "「{}」は軸「{}」の区分にありません (unknown level)",
                    c.level.value, c.axis.value
                ),
            ));
            continue;
        };
        if axis.ceiling_rank().is_some_and(|now| rank > now) {
            problems.push(problem_in(
                file,
                &c.level,
                format!(
                    "上限は下げることだけができます: ライブラリの上限は「{}」です (a ceiling may only be lowered)",
                    axis.ceiling.as_ref().map_or("", |x| x.level.value.as_str())
                ),
            ));
            continue;
        }
        axis.ceiling = Some(crate::model::Ceiling {
            level: c.level.clone(),
            reason: c.reason.clone(),
        });
    }
}

/// A step of a procedure's schedule taking other business days: `{ procedure, step, days }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleAdaptation {
    /// The procedure's id.
    pub procedure: Spanned<String>,
    /// The step's id.
    pub step: Spanned<String>,
    /// Business days (at least one).
    pub days: Spanned<u32>,
}

/// A deadline of a procedure, set otherwise: `{ procedure, in: state, due, remind? }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineAdaptation {
    /// The procedure's id.
    pub procedure: Spanned<String>,
    /// The state whose deadline changes.
    #[serde(rename = "in")]
    pub state: Spanned<String>,
    /// The new deadline, written as in a procedure.
    pub due: Spanned<String>,
    /// New reminders, if given; otherwise the shipped ones stay.
    #[serde(default)]
    pub remind: Option<Vec<Spanned<String>>>,
}

/// A mistake of the variant, at the place of `s` in [`ADAPTATION_FILE`].
fn problem_at(s: &Spanned<String>, message: String) -> Problem {
    problem_in(ADAPTATION_FILE, s, message)
}

fn problem_in<T>(file: &str, s: &Spanned<T>, message: String) -> Problem {
    Problem {
        file: file.into(),
        line: s.referenced.line(),
        column: s.referenced.column(),
        message,
    }
}

/// Sets the deadlines the variant changes, reporting (in [`ADAPTATION_FILE`]) a procedure
/// or a state without a deadline, and a duration that does not read.
pub(crate) fn retime(
    adaptation: &Adaptation,
    file: &str,
    procedures: &mut [(&str, crate::model::Procedure)],
    problems: &mut Vec<Problem>,
) {
    for change in &adaptation.schedules {
        reschedule(change, file, procedures, problems);
    }
    let mut at = |s: &Spanned<String>, message: String| problems.push(problem_in(file, s, message));
    for change in &adaptation.deadlines {
        let Some((_, procedure)) = procedures
            .iter_mut()
            .find(|(_, p)| p.id.value == change.procedure.value)
        else {
            at(
                &change.procedure,
                format!(
                    "手続「{}」はこのライブラリにありません (no such procedure)",
                    change.procedure.value
                ),
            );
            continue;
        };
        let Some(deadline) = procedure
            .deadlines
            .iter_mut()
            .find(|d| d.state.value == change.state.value)
        else {
            at(
                &change.state,
                format!(
                    "手続「{}」の状態「{}」には期限がありません (no deadline in that state)",
                    change.procedure.value, change.state.value
                ),
            );
            continue;
        };
        if let Err(e) = change.due.value.parse::<mamori_domain::deadline::Due>() {
            at(
                &change.due,
                format!("期限「{}」を読めません: {e}", change.due.value),
            );
            continue;
        }
        let mut ok = true;
        for r in change.remind.iter().flatten() {
            if let Err(e) = crate::model::reminder_span(&r.value) {
                at(r, format!("リマインダー「{}」を読めません: {e}", r.value));
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        deadline.due = change.due.clone();
        if let Some(remind) = &change.remind {
            deadline.remind = remind.clone();
        }
    }
}

/// Sets the days of one step of a schedule, reporting a procedure without a schedule, an
/// unknown step and a step of no days.
fn reschedule(
    change: &ScheduleAdaptation,
    file: &str,
    procedures: &mut [(&str, crate::model::Procedure)],
    problems: &mut Vec<Problem>,
) {
    let Some(schedule) = procedures
        .iter_mut()
        .find(|(_, p)| p.id.value == change.procedure.value)
        .and_then(|(_, p)| p.schedule.as_mut())
    else {
        problems.push(problem_in(
            file,
            &change.procedure,
            format!(
                "手続「{}」にはスケジュール (schedule) がありません (no schedule)",
                change.procedure.value
            ),
        ));
        return;
    };
    let Some(step) = schedule
        .steps
        .iter_mut()
        .find(|s| s.id.value == change.step.value)
    else {
        problems.push(problem_in(
            file,
            &change.step,
            format!(
                "手続「{}」のスケジュールに工程「{}」はありません (no such step)",
                change.procedure.value, change.step.value
            ),
        ));
        return;
    };
    if change.days.value == 0 {
        problems.push(problem_in(
            file,
            &change.days,
            "days は 1 以上の営業日数です".into(),
        ));
        return;
    }
    step.days = change.days.clone();
}

/// Changes to one form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormAdaptation {
    /// The form's id.
    pub form: Spanned<String>,
    /// Fields reworded.
    #[serde(default)]
    pub reword: Vec<Reword>,
    /// Optional fields left out of the organisation's form.
    #[serde(default)]
    pub hide: Vec<Spanned<String>>,
    /// Optional fields added at the end of the form.
    #[serde(default)]
    pub add: Vec<Field>,
}

/// A field's new label or help.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reword {
    /// The field's id.
    pub field: Spanned<String>,
    /// The new label.
    #[serde(default)]
    pub label: Option<Text>,
    /// The new help text.
    #[serde(default)]
    pub help: Option<Text>,
}

/// Rewords and hides fields as `adaptation` says, before the library is checked, and
/// reports (in [`ADAPTATION_FILE`]) what a variant may not do: name a form or field that
/// is not there, hide a field that must be filled, or add one that must. A variant may make
/// a form easier to fill, never harder, and may not drop what the procedure needs.
pub(crate) fn reshape(
    adaptation: &Adaptation,
    forms: &mut [(&str, Form)],
    problems: &mut Vec<Problem>,
) {
    let mut at = |s: &Spanned<String>, message: String| problems.push(problem_at(s, message));
    for change in &adaptation.forms {
        let Some((_, form)) = forms
            .iter_mut()
            .find(|(_, f)| f.id.value == change.form.value)
        else {
            let known: Vec<&str> = forms.iter().map(|(_, f)| f.id.value.as_str()).collect();
            at(
                &change.form,
                format!(
                    "様式「{}」はこのライブラリにありません (no such form; known: {})",
                    change.form.value,
                    known.join(", ")
                ),
            );
            continue;
        };
        for r in &change.reword {
            match form.fields.iter_mut().find(|f| f.id.value == r.field.value) {
                Some(f) => {
                    if let Some(label) = &r.label {
                        f.label = label.clone();
                    }
                    if let Some(help) = &r.help {
                        f.help = Some(help.clone());
                    }
                }
                None => at(
                    &r.field,
                    format!(
                        "項目「{}」は様式「{}」にありません (no such field)",
                        r.field.value, change.form.value
                    ),
                ),
            }
        }
        for h in &change.hide {
            match form.fields.iter().position(|f| f.id.value == h.value) {
                Some(i)
                    if form.fields[i].required
                        || form.fields[i].required_when.is_some()
                        || form.fields[i].must_confirm =>
                {
                    at(
                        h,
                        format!(
                            "項目「{}」は入力が必要な項目なので隠せません (only optional fields can be hidden)",
                            h.value
                        ),
                    )
                }
                Some(i) => {
                    form.fields.remove(i);
                }
                None => at(
                    h,
                    format!(
                        "項目「{}」は様式「{}」にありません (no such field)",
                        h.value, change.form.value
                    ),
                ),
            }
        }
        for f in &change.add {
            if f.required || f.required_when.is_some() || f.must_confirm {
                at(
                    &f.id,
                    format!(
                        "追加する項目「{}」は任意の項目にしてください: required・required_when・must_confirm は書けません (added fields are optional)",
                        f.id.value
                    ),
                );
            }
        }
    }
}

/// Adds the variant's fields once the library has passed its checks, and checks them.
pub(crate) fn extend(
    adaptation: &Adaptation,
    manifest: &crate::model::Manifest,
    forms: &mut [(&str, Form)],
    procedures: &[(&str, crate::model::Procedure)],
    registers: &[(&str, crate::model::Register)],
    catalogs: &[(&str, crate::catalog::Catalog)],
) -> Vec<Problem> {
    let mut changed = Vec::new();
    for change in adaptation.forms.iter().filter(|c| !c.add.is_empty()) {
        if let Some((_, form)) = forms
            .iter_mut()
            .find(|(_, f)| f.id.value == change.form.value)
        {
            form.fields.extend(change.add.iter().cloned());
            changed.push(change.form.value.clone());
        }
    }
    let parts = crate::check::Parts {
        manifest,
        forms,
        procedures,
        registers,
        catalogs,
        matrices: &[],
    };
    forms
        .iter()
        .filter(|(_, f)| changed.contains(&f.id.value))
        .flat_map(|(_, f)| crate::check::check_added(&parts, ADAPTATION_FILE, f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Source, load_sources};

    /// A shipped library's files with a variant beside them.
    fn library_with(library: &str, adaptation: &str) -> Vec<Source> {
        let mut sources: Vec<Source> = crate::shipped_sources().remove(library).unwrap();
        sources.push(Source {
            path: ADAPTATION_FILE.into(),
            content: adaptation.into(),
        });
        sources
    }

    fn shipped_with(adaptation: &str) -> Vec<Source> {
        library_with("mod-external-service", adaptation)
    }

    #[test]
    fn a_variant_rewords_hides_and_adds() {
        let lib = load_sources(shipped_with(
            "forms:
  - form: application
    reword:
      - field: purpose
        label: { ja: 利用目的（業務名を含めて）}
    hide: [terms]
    add:
      - { id: budget, type: number, label: { ja: 年間の費用（円） }, min: 0 }
",
        ))
        .unwrap();
        let fields = &lib.forms["application"].fields;
        let ids: Vec<&str> = fields.iter().map(|f| f.id()).collect();
        assert!(!ids.contains(&"terms"));
        assert_eq!(ids.last(), Some(&"budget"));
        let purpose = fields.iter().find(|f| f.id() == "purpose").unwrap();
        assert_eq!(purpose.label.ja, "利用目的（業務名を含めて）");
        assert_eq!(fields[0].id(), "handling_mark", "the mark still heads it");
    }

    #[test]
    fn a_variant_may_not_make_the_form_harder_or_name_what_is_not_there() {
        let problems = load_sources(shipped_with(
            "forms:
  - form: application
    reword:
      - field: purpos
        label: { ja: 目的 }
    hide: [service_name]
    add:
      - { id: budget, type: number, label: { ja: 費用 }, required: true }
      - { id: provider, type: text, label: { ja: 重複 } }
  - form: applicaton
",
        ))
        .unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        let on = |line: u64, fragment: &str| {
            assert!(
                got.iter().any(|(l, m)| *l == line && m.contains(fragment)),
                "{fragment:?} on line {line}: {got:#?}"
            )
        };
        on(4, "項目「purpos」は様式「application」にありません");
        on(6, "入力が必要な項目なので隠せません");
        on(8, "任意の項目にしてください");
        on(10, "様式「applicaton」はこのライブラリにありません");

        // An added field gets the checks a shipped one does, reported in the variant.
        let problems = load_sources(shipped_with(
            "forms:
  - form: application
    add:
      - { id: provider, type: text, label: { ja: 重複 } }
      - { id: plan, type: choice, label: { ja: 契約プラン } }
",
        ))
        .unwrap_err();
        let got: Vec<String> = problems.iter().map(Problem::to_string).collect();
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with("adaptation.yaml:4:") && got[0].contains("重複"));
        assert!(got[1].starts_with("adaptation.yaml:5:") && got[1].contains("options"));
    }

    fn incident_with(adaptation: &str) -> Vec<Source> {
        library_with("mod-incident-report", adaptation)
    }

    #[test]
    fn a_variant_sets_its_own_deadlines() {
        let lib = load_sources(incident_with(
            "deadlines:
  - { procedure: report, in: draft, due: 30 minutes, remind: [10分前] }
  - { procedure: report, in: reported, due: 10分 }
",
        ))
        .unwrap();
        let p = &lib.procedures["report"];
        let due = |state: &str| p.deadlines.iter().find(|d| d.state.value == state).unwrap();
        assert_eq!(due("draft").due.value, "30 minutes");
        assert_eq!(due("draft").remind[0].value, "10分前");
        assert_eq!(due("reported").due.value, "10分");
        assert_eq!(due("reported").escalate.len(), 1, "the rest stays");
        assert_eq!(due("acknowledged").due.value, "3 business days");

        let problems = load_sources(incident_with(
            "deadlines:
  - { procedure: reprt, in: draft, due: 30 minutes }
  - { procedure: report, in: closed, due: 1 hour }
  - { procedure: report, in: draft, due: soon }
",
        ))
        .unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert!(
            got.iter().any(|(l, m)| *l == 2 && m.contains("reprt")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|(l, m)| *l == 3 && m.contains("期限がありません")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|(l, m)| *l == 4 && m.contains("soon")),
            "{got:#?}"
        );
    }
}
