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

/// The numbers to call, shown large above the form (see [`mamori_app::CallPlan`]).
pub(super) struct CallsPanel {
    /// Prime contractors a subcontractor calls first: (name, its desk if it keeps one).
    pub(super) primes: Vec<(String, Option<PrimeLine>)>,
    /// The subcontractor whose report the prime holds now.
    pub(super) forwarded_from: Option<String>,
    /// (organisation and desk, number, `tel:` link, last resort).
    pub(super) calls: Vec<(String, String, String, bool)>,
    pub(super) office_hours: bool,
    /// Organisations named that the directory does not list.
    pub(super) unmatched: Vec<String>,
    /// Whom to call when the desks above cannot be reached.
    pub(super) last_resort: Option<LastResortLine>,
}

/// A prime contractor's desk with the number to call now and its `tel:` link.
pub(super) struct PrimeLine {
    pub(super) desk: String,
    pub(super) number: String,
    pub(super) tel: String,
}

/// The last-resort desk with its numbers, each with its `tel:` link.
pub(super) struct LastResortLine {
    pub(super) desk: String,
    pub(super) phone: String,
    pub(super) tel: String,
    /// The night and holiday number and its link.
    pub(super) night: Option<(String, String)>,
}

impl CallsPanel {
    pub(super) fn new(plan: mamori_app::CallPlan) -> Self {
        CallsPanel {
            primes: plan
                .primes
                .into_iter()
                .map(|p| {
                    let desk = p.desk.zip(p.number).map(|(d, number)| PrimeLine {
                        desk: d.desk,
                        tel: tel_link(&number),
                        number,
                    });
                    (p.organisation, desk)
                })
                .collect(),
            forwarded_from: plan.forwarded_from,
            calls: plan
                .calls
                .into_iter()
                .map(|c| {
                    (
                        format!("{} {}", c.contact.organisation, c.contact.desk),
                        c.number.clone(),
                        tel_link(&c.number),
                        c.fallback,
                    )
                })
                .collect(),
            office_hours: plan.office_hours,
            unmatched: plan.unmatched,
            last_resort: plan.last_resort.map(|c| LastResortLine {
                tel: tel_link(&c.phone),
                night: c.night_phone.map(|n| (n.clone(), tel_link(&n))),
                desk: c.desk,
                phone: c.phone,
            }),
        }
    }
}

/// A `tel:` link for a number as the directory writes it: the digits before any note of
/// extensions ("03-3268-3111 (内線21040、21043)" → `tel:0332683111`).
fn tel_link(number: &str) -> String {
    let main = number.split(['(', '（']).next().unwrap_or(number);
    let digits: String = main
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}
