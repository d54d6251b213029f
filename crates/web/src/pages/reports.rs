//! The board of open incident reports (`/reports`): by contracting organisation, how long
//! since detection and how long the first report took.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::{Layout, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "reports/board.html")]
struct BoardPage {
    l: Layout,
    groups: Vec<Group>,
    quick: Vec<super::quick::QuickStart>,
}

struct Group {
    organisation: String,
    open: usize,
    reported: usize,
    median: String,
    lines: Vec<Line>,
}

struct Line {
    id: Uuid,
    title: String,
    organisation: String,
    state: String,
    detected: String,
    since: String,
    to_report: String,
    overdue: bool,
}

/// Minutes as people read them: "45分", "2時間5分".
fn minutes(tr: Tr, m: Option<i64>) -> String {
    match m {
        None => String::new(),
        Some(m) if m < 60 => tr.t1("minutes", "n", m),
        Some(m) => tr.tn(
            "hours-minutes",
            &[("h", (m / 60).to_string()), ("m", (m % 60).to_string())],
        ),
    }
}

/// `GET /reports`.
pub async fn board(
    State(state): State<AppState>,
    PageSession(s): PageSession,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let groups = state.app.report_board(&s.caller).await?;
    let l = Layout::new(&s, "reports-title", "reports");
    let quick = super::quick::quick_starts(&state, &s).await?;
    Ok(render(&BoardPage {
        quick,
        groups: groups
            .into_iter()
            .map(|g| Group {
                organisation: if g.organisation.is_empty() {
                    tr.t("reports-no-organisation")
                } else {
                    g.organisation
                },
                open: g.lines.len(),
                reported: g.reported,
                median: minutes(tr, g.median_minutes_to_report),
                lines: g
                    .lines
                    .into_iter()
                    .map(|x| Line {
                        id: x.id,
                        title: x.title,
                        organisation: x.organisation,
                        state: x.state,
                        detected: x
                            .detected
                            .map(|d| d.strftime("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        since: minutes(tr, x.minutes_since),
                        to_report: minutes(tr, x.minutes_to_report),
                        overdue: x.overdue,
                    })
                    .collect(),
            })
            .collect(),
        l,
    }))
}
