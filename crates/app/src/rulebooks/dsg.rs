//! The Defense Security Gateway's joining schedule, worked out from what a site's case
//! records, and ATLA's overview of every site in the pipeline.
//!
//! Nothing here is stored: the schedule follows from the day the application was last
//! submitted, the actions that finished each step and ATLA's adjustments, all kept in the
//! case's history. A late step, a move or a re-check changes it without anyone retyping a
//! date, and the reasons for every move stay with the case.

use jiff::civil::Date;
use serde_json::Value;
use uuid::Uuid;

use mamori_domain::rulebooks::dsg::{self, Durations, Line, Progress, Router, Step};
use mamori_library::Library;
use mamori_storage::PageRequest;
use mamori_storage::cases::{self, CaseEventRow, CaseFilter, CaseRow};

use crate::{App, AppError, Caller, CaseView};

/// The library and procedure of a site's joining (seed 000).
pub(crate) const JOINING: (&str, &str) = ("mod-dsg", "joining");

/// The role of ATLA's information-systems office, which sees every site that joins.
const OFFICE: &str = "dsg_office";

/// A site's schedule on a given day.
#[derive(Debug, Clone)]
pub struct SiteSchedule {
    /// The case.
    pub case: Uuid,
    /// The site (the case's title).
    pub site: String,
    /// The applying organisation.
    pub company: String,
    /// The case's state, as its name reads in Japanese.
    pub state: String,
    /// How the site connects.
    pub router: Router,
    /// The steps.
    pub lines: Vec<Line>,
    /// The day it was worked out for.
    pub today: Date,
}

impl SiteSchedule {
    /// The first step not finished yet (none once the site has joined).
    pub fn current_step(&self) -> Option<Step> {
        self.lines
            .iter()
            .find(|l| l.done_on.is_none())
            .map(|l| l.step)
    }

    /// Some step is behind.
    pub fn late(&self) -> bool {
        self.lines.iter().any(|l| l.late)
    }

    /// The schedule as a workbook (スケジュール表): one row per step, as planned first and
    /// now, with what was done and why ATLA moved it.
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
                ("site".into(), self.site.clone()),
                ("company".into(), self.company.clone()),
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
                    let (actor, attend) = l.step.actor(self.router);
                    vec![
                        l.step.title(),
                        actor.to_owned(),
                        if attend { "●".into() } else { String::new() },
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

/// Which action finishes which step; `None` when the event finishes none (a deficiency
/// sends the company back instead).
fn finishes(event: &CaseEventRow) -> Option<Step> {
    let data: serde_json::Map<String, Value> =
        serde_json::from_str(&event.data).unwrap_or_default();
    let outcome = |field: &str| data.get(field).and_then(Value::as_str);
    match event.action.as_str() {
        "accept_application" => Some(Step::Application),
        "issue_inspection_notice" if outcome("inspection_outcome") != Some("deficient") => {
            Some(Step::SelfInspection)
        }
        // An audit result accepted in place of the check finishes ② as a passed check does.
        "accept_audit" => Some(Step::SelfInspection),
        "record_survey" => Some(Step::Survey),
        "record_line_works" => Some(Step::LineWorks),
        "install_router" | "set_up_mobile_router" => Some(Step::Router),
        "request_final_verification" => Some(Step::Setup),
        "record_verification" if outcome("verification_outcome") == Some("passed") => {
            Some(Step::FinalVerification)
        }
        _ => None,
    }
}

fn step_of(option: &str) -> Option<Step> {
    let n: usize = option.strip_prefix('s')?.parse().ok()?;
    Step::ALL.get(n.checked_sub(1)?).copied()
}

/// The progress a joining case records, read in the installation's zone; `None` before
/// the application is submitted.
fn progress(
    data: &serde_json::Map<String, Value>,
    events: &[CaseEventRow],
    zone: &jiff::tz::TimeZone,
) -> Option<Progress> {
    let day = |e: &CaseEventRow| e.occurred_at.0.to_zoned(zone.clone()).date();
    // A returned application counts again from its last submission.
    let submitted = events.iter().rev().find(|e| e.action == "submit")?;
    let router = match data.get("router").and_then(Value::as_str) {
        Some("mobile") => Router::Mobile,
        _ => Router::Wired,
    };
    let mut done: Vec<(Step, Date)> = Vec::new();
    let mut adjustments = Vec::new();
    for e in events.iter().filter(|e| e.seq > submitted.seq) {
        if let Some(step) = finishes(e)
            && !done.iter().any(|(s, _)| *s == step)
        {
            done.push((step, day(e)));
        }
        if e.action == "adjust_schedule" {
            let data: serde_json::Map<String, Value> =
                serde_json::from_str(&e.data).unwrap_or_default();
            let text = |k: &str| data.get(k).and_then(Value::as_str);
            if let (Some(step), Some(Ok(starts))) = (
                text("adjust_step").and_then(step_of),
                text("adjust_starts").map(str::parse::<Date>),
            ) {
                adjustments.push((step, starts, text("adjust_reason").unwrap_or("").to_owned()));
            }
        }
    }
    done.sort_by_key(|(s, _)| *s);
    Some(Progress {
        submitted: day(submitted),
        router,
        done,
        adjustments,
    })
}

/// The schedule of a case, if it is a submitted joining.
fn schedule_from(
    row: &CaseRow,
    lib: &Library,
    data: &serde_json::Map<String, Value>,
    events: &[CaseEventRow],
    zone: &jiff::tz::TimeZone,
    today: Date,
) -> Option<SiteSchedule> {
    if (row.library_id.as_str(), row.procedure_id.as_str()) != JOINING {
        return None;
    }
    let p = progress(data, events, zone)?;
    Some(SiteSchedule {
        case: row.id,
        site: row.title.clone(),
        company: row.organisation_name.clone(),
        state: lib
            .procedures
            .get(&row.procedure_id)
            .and_then(|pr| pr.state(&row.state))
            .map_or(row.state.clone(), |s| s.name.ja.clone()),
        router: p.router,
        lines: dsg::schedule(&p, today, &Durations::default()),
        today,
    })
}

impl App {
    /// The schedule of a case already read, `None` for another procedure or a draft.
    pub fn schedule_for(&self, v: &CaseView) -> Option<SiteSchedule> {
        schedule_from(
            &v.row,
            &v.library,
            &v.data,
            &v.events,
            &self.settings.zone,
            self.today().0,
        )
    }

    /// The schedule of a joining case, `None` for another procedure or a draft.
    pub async fn site_schedule(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<SiteSchedule>, AppError> {
        let v = self.case(caller, id).await?;
        Ok(self.schedule_for(&v))
    }

    /// Every site in the pipeline the caller may read: for ATLA's office, those of every
    /// company that contracts with it; for a company, its own. Sites that joined or
    /// withdrew are left out.
    pub async fn gateway_overview(&self, caller: &Caller) -> Result<Vec<SiteSchedule>, AppError> {
        let mut organisations = vec![caller.actor.organisation];
        for (office, _) in self.held_in(caller, std::iter::once(OFFICE)).await? {
            for (org, _) in
                mamori_storage::organisations::incoming(&self.db, office, "contracts_with").await?
            {
                if !organisations.contains(&org) {
                    organisations.push(org);
                }
            }
        }
        let mut out = Vec::new();
        let today = self.today().0;
        for org in organisations {
            // Every case here is of one organisation: its facts are worked out once.
            let facts = self.case_facts(&self.db, org).await?;
            let filter = CaseFilter {
                procedure: Some((JOINING.0.to_owned(), JOINING.1.to_owned())),
                open: Some(true),
                organisation: Some(org),
                ..CaseFilter::default()
            };
            let page = PageRequest {
                limit: 500,
                offset: 0,
            };
            let mut readable = Vec::new();
            for row in cases::matching(&self.db, &filter, page).await? {
                let lib = self.definition(&self.db, &row).await?;
                if self.may_read_row(caller, &row, &lib, &facts).await? {
                    readable.push((row, lib));
                }
            }
            let ids: Vec<Uuid> = readable.iter().map(|(r, _)| r.id).collect();
            let mut histories = cases::events_of(&self.db, &ids).await?;
            for (row, lib) in readable {
                let events = histories.remove(&row.id).unwrap_or_default();
                let data = serde_json::from_str(&row.data).unwrap_or_default();
                out.extend(schedule_from(
                    &row,
                    &lib,
                    &data,
                    &events,
                    &self.settings.zone,
                    today,
                ));
            }
        }
        out.sort_by(|a, b| (&a.company, &a.site).cmp(&(&b.company, &b.site)));
        Ok(out)
    }
}
