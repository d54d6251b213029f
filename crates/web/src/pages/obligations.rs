//! Recurring procedures as pages: the obligations with their running round's tally
//! (`/obligations`), and one round's compliance board with its filters and its workbook
//! (`/obligations/{library}/{procedure}`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use mamori_app::{Board, Standing};
use uuid::Uuid;

use super::{FormErrors, Layout, render};
use crate::AppState;
use crate::api::obligations::{BoardParams, board_workbook};
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;

/// Lines shown on the page at most; the workbook holds them all.
const SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "obligations/list.html")]
struct ListPage {
    l: Layout,
    lines: Vec<ObligationLine>,
}

struct ObligationLine {
    href: String,
    title: String,
    every: String,
    round: String,
    done: usize,
    open: usize,
    overdue: usize,
}

#[derive(Template)]
#[template(path = "obligations/board.html")]
struct BoardPage {
    l: Layout,
    href: String,
    title: String,
    round: String,
    period: String,
    done: usize,
    open: usize,
    overdue: usize,
    /// Other rounds to show: (a day in it, its name).
    rounds: Vec<(String, String)>,
    /// The filters as typed.
    on: String,
    standing: String,
    organisation: Option<(Uuid, String)>,
    errors: FormErrors,
    lines: Vec<Line>,
    /// Lines beyond [`SHOWN`].
    hidden: usize,
    /// The query string of the filters, for the workbook link.
    query: String,
}

struct Line {
    organisation_id: Uuid,
    organisation: String,
    person: String,
    row: String,
    case_id: Uuid,
    number: String,
    state: String,
    standing: Standing,
    standing_label: &'static str,
    done_on: String,
}

/// `GET /obligations`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let lang = tr.locale().as_str();
    let lines = state
        .app
        .obligations(&s.caller)
        .await?
        .into_iter()
        .map(|o| ObligationLine {
            href: format!("/obligations/{}/{}", o.library, o.procedure),
            title: o.title.get(lang).to_owned(),
            every: o.every,
            round: o.round.label(),
            done: o.tally.done,
            open: o.tally.open,
            overdue: o.tally.overdue,
        })
        .collect();
    Ok(render(&ListPage {
        l: Layout::new(&s, "obligations-title", "obligations"),
        lines,
    }))
}

/// `GET /obligations/{library}/{procedure}`.
pub async fn board(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((library, procedure)): Path<(String, String)>,
    Query(p): Query<BoardParams>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let lang = tr.locale().as_str();
    // Bad filters are shown with the form as it was filled in; the running round is shown.
    let (query, errors) = match p.query() {
        Ok(q) => (q, FormErrors::default()),
        Err(f) if !f.fields().is_empty() => (
            mamori_app::BoardQuery::default(),
            FormErrors::new(tr, &f.fields()),
        ),
        Err(f) => return Err(f),
    };
    let board: Board = state
        .app
        .compliance_board(&s.caller, &format!("{library}/{procedure}"), query)
        .await?;
    let organisation = query.within.map(|id| {
        let name = board
            .lines
            .iter()
            .find(|l| l.organisation_id == id)
            .map_or_else(|| id.to_string(), |l| l.organisation.clone());
        (id, name)
    });
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(on) = query.on {
        pairs.push(("on", on.to_string()));
    }
    if let Some(o) = query.within {
        pairs.push(("organisation", o.to_string()));
    }
    if let Some(st) = query.standing {
        pairs.push(("standing", st.as_str().to_owned()));
    }
    let query_string = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let hidden = board.lines.len().saturating_sub(SHOWN);
    let l = Layout::new(&s, "obligations-board-title", "obligations");
    Ok(render(&BoardPage {
        href: format!("/obligations/{library}/{procedure}"),
        title: board.obligation.title.get(lang).to_owned(),
        round: board.round.label(),
        period: format!("{} – {}", board.round.starts_on, board.round.ends_on),
        done: board.tally.done,
        open: board.tally.open,
        overdue: board.tally.overdue,
        rounds: board
            .rounds
            .iter()
            .map(|r| (r.starts_on.to_string(), r.label()))
            .collect(),
        on: p.on.clone().unwrap_or_default(),
        standing: p.standing.clone().unwrap_or_default(),
        organisation,
        errors,
        hidden,
        lines: board
            .lines
            .into_iter()
            .take(SHOWN)
            .map(|x| Line {
                organisation_id: x.organisation_id,
                organisation: x.organisation,
                person: x.person,
                row: x.row.unwrap_or_default(),
                case_id: x.case_id,
                number: x.case_number,
                state: x.state.get(lang).to_owned(),
                standing: x.standing,
                standing_label: x.standing.label(lang),
                done_on: x.done_on.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        query: if query_string.is_empty() {
            String::new()
        } else {
            format!("?{query_string}")
        },
        l,
    }))
}

/// `GET /obligations/{library}/{procedure}/board.xlsx`.
pub async fn workbook(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((library, procedure)): Path<(String, String)>,
    Query(p): Query<BoardParams>,
) -> Result<Response, Failure> {
    board_workbook(&state, &s.caller, &library, &procedure, &p).await
}
