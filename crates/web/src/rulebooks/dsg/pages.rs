//! ATLA's overview of the sites joining the Defense Security Gateway (`/dsg`): each site's
//! current step, its first and present plans, the late ones in red; filtered by company,
//! by step and to the late ones.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;
use crate::pages::{Layout, render};
use mamori_app::CaseView;

#[derive(Template)]
#[template(path = "dsg/sites.html")]
struct SitesPage {
    l: Layout,
    companies: Vec<String>,
    steps: Vec<String>,
    q: SitesQuery,
    sites: Vec<Site>,
}

struct Site {
    id: Uuid,
    company: String,
    site: String,
    state: String,
    step: String,
    planned: String,
    now: String,
    late: bool,
}

/// The filters, as the form sends them (empty means all).
#[derive(Debug, Default, Deserialize)]
pub struct SitesQuery {
    #[serde(default)]
    company: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    late: Option<String>,
}

/// `GET /dsg`.
pub async fn sites(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<SitesQuery>,
) -> Result<Response, Failure> {
    let all = state.app.gateway_overview(&s.caller).await?;
    let mut companies: Vec<String> = all.iter().map(|x| x.organisation.clone()).collect();
    companies.dedup();
    // The steps of the library's schedule, as the sites carry them.
    let steps = all
        .first()
        .map(|x| x.steps.iter().map(|st| st.number.clone()).collect())
        .unwrap_or_default();
    let sites = all
        .iter()
        .filter(|x| q.company.is_empty() || x.organisation == q.company)
        .filter(|x| {
            q.step.is_empty()
                || x.current_step().map(|s| s.number.as_str()) == Some(q.step.as_str())
        })
        .filter(|x| q.late.is_none() || x.late())
        .map(|x| Site {
            id: x.case,
            company: x.organisation.clone(),
            site: x.title.clone(),
            state: x.state.clone(),
            step: x
                .current_step()
                .map(|s| s.title.clone())
                .unwrap_or_default(),
            planned: x
                .lines
                .last()
                .map(|l| l.baseline.ends.to_string())
                .unwrap_or_default(),
            now: x
                .lines
                .last()
                .map(|l| l.current.ends.to_string())
                .unwrap_or_default(),
            late: x.late(),
        })
        .collect();
    Ok(render(&SitesPage {
        l: Layout::new(&s, "dsg-title", "dsg"),
        companies,
        steps,
        q,
        sites,
    }))
}

/// A joining site's schedule on its case page: the chart, and the same as a table.
pub(crate) struct SchedulePanel {
    pub(crate) svg: String,
    pub(crate) late: bool,
    /// Where the durations come from (mamori's own figures where the notice gives none).
    pub(crate) note: Option<String>,
    pub(crate) lines: Vec<ScheduleRow>,
}

/// One step of the schedule as the table shows it.
pub(crate) struct ScheduleRow {
    pub(crate) step: String,
    pub(crate) actor: String,
    pub(crate) attend: bool,
    pub(crate) planned: String,
    pub(crate) now: String,
    pub(crate) done: String,
    pub(crate) reason: String,
    pub(crate) late: bool,
}

pub(crate) fn schedule_panel(state: &AppState, v: &CaseView) -> Option<SchedulePanel> {
    let s = state.app.schedule_for(v)?;
    let range = |p: &mamori_domain::schedule::Planned| format!("{} 〜 {}", p.starts, p.ends);
    Some(SchedulePanel {
        svg: super::gantt::svg(&s),
        late: s.late(),
        note: s.note.clone(),
        lines: s
            .lines
            .iter()
            .map(|l| {
                let step = s.step(l);
                ScheduleRow {
                    step: step.title.clone(),
                    actor: step.actor.clone(),
                    attend: step.attend,
                    planned: range(&l.baseline),
                    now: range(&l.current),
                    done: l.done_on.map(|d| d.to_string()).unwrap_or_default(),
                    reason: l.reason.clone().unwrap_or_default(),
                    late: l.late,
                }
            })
            .collect(),
    })
}
