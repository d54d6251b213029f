//! A case's schedule (`schedule` of its procedure), worked out from what its history records:
//! the day it started (the last taking of the schedule's `from` action), the actions that
//! finished each step, and the adjustments recorded by the schedule's `adjust` action.
//!
//! Only what the history records is kept, never a date anyone typed: a late step, a move or
//! a re-check changes the schedule without anyone retyping a date, and the reasons for every
//! move stay with the case. The progress is kept with the case whenever an action is taken
//! (`case_schedules`), so that an overview of a thousand sites plans them without reading a
//! thousand histories; what was kept with another schedule is read from the history again.

use jiff::civil::Date;
use serde_json::Value;
use uuid::Uuid;

use mamori_domain::schedule::{self, Line, Progress, Steps};
use mamori_library::Library;
use mamori_library::model::{Schedule, ScheduleStep};
use mamori_storage::Tx;
use mamori_storage::case_schedules::{self, Kept};
use mamori_storage::cases::{self, CaseEventRow, CaseRow};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Caller, CaseView};

/// A step as this case goes through it.
#[derive(Debug, Clone)]
pub struct StepView {
    /// Its id in the library.
    pub id: String,
    /// Its mark (①).
    pub number: String,
    /// Its mark and name, in Japanese: 「③ 現場調査」.
    pub title: String,
    /// Its name, in Japanese.
    pub name: String,
    /// Who carries it out, in Japanese (as the case's form makes it).
    pub actor: String,
    /// The applicant attends (●).
    pub attend: bool,
}

/// A case's schedule on a given day.
#[derive(Debug, Clone)]
pub struct CaseSchedule {
    /// The case.
    pub case: Uuid,
    /// Its title (the site).
    pub title: String,
    /// The applying organisation.
    pub organisation: String,
    /// The case's state, as its name reads in Japanese.
    pub state: String,
    /// The case's form, as the schedule read it.
    pub data: serde_json::Map<String, Value>,
    /// Every step of the library's schedule, by position (`Line::step`).
    pub steps: Vec<StepView>,
    /// The steps this case goes through.
    pub lines: Vec<Line>,
    /// Where the figures come from, in Japanese (a seed that gives none).
    pub note: Option<String>,
    /// The day it was worked out for.
    pub today: Date,
}

impl CaseSchedule {
    /// The step of a line.
    pub fn step(&self, line: &Line) -> &StepView {
        &self.steps[line.step]
    }

    /// The first step not finished yet (none once all are).
    pub fn current_step(&self) -> Option<&StepView> {
        self.lines
            .iter()
            .find(|l| l.done_on.is_none())
            .map(|l| self.step(l))
    }

    /// Some step is behind.
    pub fn late(&self) -> bool {
        self.lines.iter().any(|l| l.late)
    }

    /// The steps with their days, titled, for a calendar file.
    pub fn titled_plan(&self) -> Vec<(String, schedule::Planned)> {
        self.lines
            .iter()
            .map(|l| (self.step(l).title.clone(), l.current))
            .collect()
    }

    /// The schedule as a workbook (スケジュール表): one row per step, as planned first and
    /// now, with what was done and why it was moved.
    pub fn workbook(&self) -> Result<Vec<u8>, AppError> {
        use mamori_sheets::{Column, Table};
        let column = |id: &str, label: &str, width: f64| Column {
            id: id.into(),
            label: label.into(),
            width,
        };
        let table = Table {
            sheet: "スケジュール表".into(),
            meta: vec![
                ("case".into(), self.case.to_string()),
                ("site".into(), self.title.clone()),
                ("company".into(), self.organisation.clone()),
            ],
            columns: vec![
                column("step", "工程", 40.0),
                column("actor", "実施者", 24.0),
                column("attend", "立会い", 6.0),
                column("planned_starts", "当初予定（開始）", 14.0),
                column("planned_ends", "当初予定（終了）", 14.0),
                column("starts", "現在の予定（開始）", 14.0),
                column("ends", "現在の予定（終了）", 14.0),
                column("done_on", "完了日", 12.0),
                column("late", "遅延", 6.0),
                column("reason", "調整の理由", 40.0),
            ],
            rows: self
                .lines
                .iter()
                .map(|l| {
                    let step = self.step(l);
                    vec![
                        step.title.clone(),
                        step.actor.clone(),
                        if step.attend {
                            "●".into()
                        } else {
                            String::new()
                        },
                        l.baseline.starts.to_string(),
                        l.baseline.ends.to_string(),
                        l.current.starts.to_string(),
                        l.current.ends.to_string(),
                        l.done_on.map(|d| d.to_string()).unwrap_or_default(),
                        if l.late {
                            "遅延".into()
                        } else {
                            String::new()
                        },
                        l.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        };
        mamori_sheets::write_book(&[table]).map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// The steps of `s` the case goes through, with the month's block as positions among them.
fn steps_of(s: &Schedule, data: &serde_json::Map<String, Value>) -> Steps {
    let present: Vec<(usize, u32)> = s
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| !st.skipped_when.as_ref().is_some_and(|w| w.holds(data)))
        .map(|(i, st)| (i, st.days.value))
        .collect();
    let position = |id: &str| s.steps.iter().position(|st| st.id.value == id);
    let same_month = s.same_month.as_ref().and_then(|m| {
        let (from, to) = (position(&m.from.value)?, position(&m.to.value)?);
        // From the first step of the block the case goes through to its last.
        let a = present.iter().position(|(i, _)| *i >= from)?;
        let b = present.iter().rposition(|(i, _)| *i <= to)?;
        (a <= b).then_some((a, b))
    });
    Steps {
        steps: present,
        same_month,
    }
}

fn step_view(st: &ScheduleStep, data: &serde_json::Map<String, Value>) -> StepView {
    let (actor, attend) = st
        .instead
        .iter()
        .find(|o| o.when.holds(data))
        .map_or((&st.actor, st.attend), |o| (&o.actor, o.attend));
    StepView {
        id: st.id.value.clone(),
        number: st.number.clone(),
        title: st.title("ja"),
        name: st.name.ja.clone(),
        actor: actor.ja.clone(),
        attend,
    }
}

/// What a case's history records of its schedule, read in `zone`; `None` before the
/// schedule's `from` action was taken.
fn progress(s: &Schedule, events: &[CaseEventRow], zone: &jiff::tz::TimeZone) -> Option<Progress> {
    let day = |e: &CaseEventRow| e.occurred_at.0.to_zoned(zone.clone()).date();
    // A returned application counts again from its last submission.
    let started = events.iter().rev().find(|e| e.action == s.from.value)?;
    let position = |id: &str| s.steps.iter().position(|st| st.id.value == id);
    let mut done: Vec<(usize, Date)> = Vec::new();
    let mut adjustments = Vec::new();
    for e in events.iter().filter(|e| e.seq > started.seq) {
        let data: serde_json::Map<String, Value> =
            serde_json::from_str(&e.data).unwrap_or_default();
        if let Some(i) = s
            .steps
            .iter()
            .position(|st| st.finished_by.iter().any(|f| f.finishes(&e.action, &data)))
            && !done.iter().any(|(d, _)| *d == i)
        {
            done.push((i, day(e)));
        }
        if let Some(a) = s.adjust.as_ref().filter(|a| a.action.value == e.action) {
            let text = |k: &str| data.get(k).and_then(Value::as_str);
            if let (Some(step), Some(Ok(starts))) = (
                text(&a.step.value).and_then(position),
                text(&a.starts.value).map(str::parse::<Date>),
            ) {
                let why = a.reason.as_ref().and_then(|r| text(&r.value)).unwrap_or("");
                adjustments.push((step, starts, why.to_owned()));
            }
        }
    }
    done.sort_by_key(|(i, _)| *i);
    Some(Progress {
        from: day(started),
        done,
        adjustments,
    })
}

/// Progress as kept with the case: days as text, steps by id, so that it still reads right
/// if a later version of the library reorders the steps.
#[derive(Debug, Serialize, Deserialize)]
struct KeptProgress {
    from: Date,
    done: Vec<(String, Date)>,
    adjustments: Vec<(String, Date, String)>,
}

/// `p` as kept with the case.
fn keep_text(s: &Schedule, p: &Progress) -> String {
    let id = |i: usize| s.steps[i].id.value.clone();
    let kept = KeptProgress {
        from: p.from,
        done: p.done.iter().map(|(i, d)| (id(*i), *d)).collect(),
        adjustments: p
            .adjustments
            .iter()
            .map(|(i, d, why)| (id(*i), *d, why.clone()))
            .collect(),
    };
    serde_json::to_string(&kept).unwrap_or_default()
}

/// Kept progress read back against `s`; `None` if it does not read (then the history is
/// read instead).
fn read_kept(s: &Schedule, text: &str) -> Option<Progress> {
    let kept: KeptProgress = serde_json::from_str(text).ok()?;
    let position = |id: &str| s.steps.iter().position(|st| st.id.value == id);
    Some(Progress {
        from: kept.from,
        done: kept
            .done
            .iter()
            .map(|(id, d)| Some((position(id)?, *d)))
            .collect::<Option<_>>()?,
        adjustments: kept
            .adjustments
            .into_iter()
            .map(|(id, d, why)| Some((position(&id)?, d, why)))
            .collect::<Option<_>>()?,
    })
}

impl App {
    /// The schedule a case is planned with (its own version's, or the current version's
    /// when its version had none), with a name for it: library, version and procedure.
    fn schedule_of<'s>(
        &'s self,
        row: &CaseRow,
        lib: &'s Library,
    ) -> Option<(&'s Schedule, String)> {
        let named = |l: &'s Library| {
            let s = l.procedures.get(&row.procedure_id)?.schedule.as_ref()?;
            Some((
                s,
                format!("{} {} {}", l.id(), l.version(), row.procedure_id),
            ))
        };
        named(lib).or_else(|| named(self.libraries.latest(lib.id())?))
    }

    /// Works out the case's progress again from its history (the current action included)
    /// and keeps it with the case, when its procedure has a schedule.
    pub(crate) async fn keep_schedule(
        &self,
        tx: &mut Tx,
        lib: &Library,
        row: &CaseRow,
    ) -> Result<(), AppError> {
        let Some((s, source)) = self.schedule_of(row, lib) else {
            return Ok(());
        };
        let events = cases::events(&mut *tx, row.id).await?;
        let kept = Kept {
            source,
            progress: progress(s, &events, &self.settings.zone).map(|p| keep_text(s, &p)),
        };
        case_schedules::keep(tx, row.id, &kept, self.now()).await?;
        Ok(())
    }

    /// The schedule of a case read with its history, `None` when its procedure has none
    /// or it has not started.
    pub(crate) fn schedule_from(
        &self,
        row: &CaseRow,
        lib: &Library,
        data: serde_json::Map<String, Value>,
        events: &[CaseEventRow],
    ) -> Option<CaseSchedule> {
        let (s, _) = self.schedule_of(row, lib)?;
        let p = progress(s, events, &self.settings.zone)?;
        self.schedule_with(row, lib, s, data, &p)
    }

    /// The progress kept with a case and the schedule it is planned with: `None` when what
    /// was kept was worked out with another schedule or does not read (read its history
    /// then); no progress when the schedule has not started.
    pub(crate) fn kept_progress<'s>(
        &'s self,
        row: &CaseRow,
        lib: &'s Library,
        kept: &Kept,
    ) -> Option<(&'s Schedule, Option<Progress>)> {
        let (s, source) = self.schedule_of(row, lib)?;
        if source != kept.source {
            return None;
        }
        match &kept.progress {
            None => Some((s, None)),
            Some(text) => Some((s, Some(read_kept(s, text)?))),
        }
    }

    /// The schedule `s` of a case on today's date, from its progress.
    pub(crate) fn schedule_with(
        &self,
        row: &CaseRow,
        lib: &Library,
        s: &Schedule,
        data: serde_json::Map<String, Value>,
        p: &Progress,
    ) -> Option<CaseSchedule> {
        let procedure = lib.procedures.get(&row.procedure_id)?;
        let today = self.today().0;
        Some(CaseSchedule {
            case: row.id,
            title: row.title.clone(),
            organisation: row.organisation_name.clone(),
            state: procedure
                .state(&row.state)
                .map_or(row.state.clone(), |st| st.name.ja.clone()),
            steps: s.steps.iter().map(|st| step_view(st, &data)).collect(),
            lines: schedule::schedule(p, today, &steps_of(s, &data)),
            note: s.note.as_ref().map(|n| n.ja.clone()),
            data,
            today,
        })
    }

    /// The schedule of a case already read, `None` when it has none (yet).
    pub fn schedule_for(&self, v: &CaseView) -> Option<CaseSchedule> {
        self.schedule_from(&v.row, &v.library, v.data.clone(), &v.events)
    }

    /// The schedule of a case the caller may read, `None` when it has none (yet).
    pub async fn case_schedule(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CaseSchedule>, AppError> {
        let v = self.case(caller, id).await?;
        Ok(self.schedule_for(&v))
    }
}
