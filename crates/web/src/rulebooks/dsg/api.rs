//! A site's joining schedule (`GET /cases/{id}/schedule`), as data, as a Gantt chart, as an
//! iCalendar file and as a workbook; and ATLA's overview of the sites (`GET /dsg/sites`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_app::CaseSchedule;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::api::ApiResult;
use crate::api::dto::ErrorBody;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiPath};

/// A site's schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleDto {
    /// The case.
    pub case: Uuid,
    /// The site.
    pub site: String,
    /// The applying company.
    pub company: String,
    /// The case's state.
    pub state: String,
    /// `wired` or `mobile`.
    pub router: String,
    /// The first step not finished (`①` …), none once joined.
    pub current_step: Option<String>,
    /// Some step is behind.
    pub late: bool,
    /// The steps.
    pub steps: Vec<StepDto>,
}

/// One step of a schedule; days are `YYYY-MM-DD`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDto {
    /// `①` … `⑦`.
    pub number: String,
    /// Its name.
    pub name: String,
    /// Who carries it out.
    pub actor: String,
    /// The company must attend (●).
    pub attend: bool,
    /// First and last day as first planned.
    pub planned: (String, String),
    /// First and last day as planned now (actual days once done).
    pub current: (String, String),
    /// The day it finished.
    pub done_on: Option<String>,
    /// Why ATLA moved it.
    pub reason: Option<String>,
    /// Behind its first plan.
    pub late: bool,
}

impl ScheduleDto {
    pub(crate) fn new(s: &CaseSchedule) -> Self {
        ScheduleDto {
            case: s.case,
            site: s.title.clone(),
            company: s.organisation.clone(),
            state: s.state.clone(),
            router: router(s).into(),
            current_step: s.current_step().map(|x| x.number.clone()),
            late: s.late(),
            steps: s
                .lines
                .iter()
                .map(|l| {
                    let step = s.step(l);
                    StepDto {
                        number: step.number.clone(),
                        name: step.name.clone(),
                        actor: step.actor.clone(),
                        attend: step.attend,
                        planned: (l.baseline.starts.to_string(), l.baseline.ends.to_string()),
                        current: (l.current.starts.to_string(), l.current.ends.to_string()),
                        done_on: l.done_on.map(|d| d.to_string()),
                        reason: l.reason.clone(),
                        late: l.late,
                    }
                })
                .collect(),
        }
    }
}

async fn schedule(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
) -> Result<CaseSchedule, Failure> {
    state
        .app
        .case_schedule(&s.caller, id)
        .await?
        .ok_or_else(Failure::not_found)
}

/// The schedule of a site's joining, once its application is submitted.
#[utoipa::path(get, path = "/cases/{id}/schedule", tag = "dsg",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduleDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, not a joining, or not submitted yet", body = ErrorBody)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<ScheduleDto>> {
    Ok(axum::Json(ScheduleDto::new(
        &schedule(&state, &s, id).await?,
    )))
}

/// The schedule as a file: `gantt.svg` (to print), `schedule.ics` (for calendars) or
/// `schedule.xlsx`.
#[utoipa::path(get, path = "/cases/{id}/schedule/{file}", tag = "dsg",
    params(("id" = Uuid, Path), ("file" = String, Path, description = "gantt.svg, schedule.ics or schedule.xlsx")),
    responses((status = 200, description = "The file"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_schedule_file(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, file)): ApiPath<(Uuid, String)>,
) -> ApiResult<Response> {
    let sched = schedule(&state, &s, id).await?;
    let (content_type, body): (&str, Vec<u8>) = match file.as_str() {
        "gantt.svg" => (
            "image/svg+xml; charset=utf-8",
            super::gantt::svg(&sched).into_bytes(),
        ),
        "schedule.ics" => {
            let text = mamori_domain::schedule::to_ical(
                &sched.title,
                &sched.case.to_string(),
                &sched.titled_plan(),
                state.app.now().0,
            );
            ("text/calendar; charset=utf-8", text.into_bytes())
        }
        "schedule.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            sched.workbook()?,
        ),
        _ => return Err(Failure::not_found()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// One site in ATLA's overview: where it stands. Its whole schedule, step by step, is at
/// `/cases/{case}/schedule`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDto {
    /// The case.
    pub case: Uuid,
    /// The site.
    pub site: String,
    /// The applying company.
    pub company: String,
    /// The case's state.
    pub state: String,
    /// `wired` or `mobile`.
    pub router: String,
    /// The first step not finished (`①` …), none once every step is done.
    pub current_step: Option<String>,
    /// Its name.
    pub current_step_name: Option<String>,
    /// The last step's last day as first planned (`YYYY-MM-DD`).
    pub planned_finish: Option<String>,
    /// The last step's last day as planned now.
    pub expected_finish: Option<String>,
    /// The steps behind their first plan (`②` …).
    pub late_steps: Vec<String>,
    /// Some step is behind.
    pub late: bool,
}

impl SiteDto {
    fn new(s: &CaseSchedule) -> Self {
        let current = s.current_step();
        let last = s.lines.last();
        SiteDto {
            case: s.case,
            site: s.title.clone(),
            company: s.organisation.clone(),
            state: s.state.clone(),
            router: router(s).into(),
            current_step: current.map(|x| x.number.clone()),
            current_step_name: current.map(|x| x.name.clone()),
            planned_finish: last.map(|l| l.baseline.ends.to_string()),
            expected_finish: last.map(|l| l.current.ends.to_string()),
            late_steps: s
                .lines
                .iter()
                .filter(|l| l.late)
                .map(|l| s.step(l).number.clone())
                .collect(),
            late: s.late(),
        }
    }
}

/// The application's `router` field: a mobile router skips ③ and ④.
fn router(s: &CaseSchedule) -> &'static str {
    match s.data.get("router").and_then(serde_json::Value::as_str) {
        Some("mobile") => "mobile",
        _ => "wired",
    }
}

/// Every site in the pipeline the caller may read, with its current step and delays. A
/// thousand sites with every step of each would be a megabyte and a half; the overview
/// says where each stands, and each site's schedule gives its steps.
#[utoipa::path(get, path = "/dsg/sites", tag = "dsg",
    responses((status = 200, body = [SiteDto])))]
pub async fn get_sites(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<SiteDto>>> {
    let sites = state.app.gateway_overview(&s.caller).await?;
    Ok(axum::Json(sites.iter().map(SiteDto::new).collect()))
}
