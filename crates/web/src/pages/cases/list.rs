//! The list of cases one may read (`/cases`): searched by title and content, filtered by
//! procedure, open or overdue, each line with its state and deadline.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use mamori_app::read::PageRequest;
use mamori_app::read::{CaseFilter, CaseRow};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;
use crate::pages::{Layout, render};

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<CaseLine>,
    total: i64,
    total_exact: bool,
    q: String,
    open: String,
    /// The procedure chosen (`library/procedure`), and those to choose from.
    procedure: String,
    procedures: Vec<(String, String)>,
    overdue: bool,
}

/// A case in a list.
pub struct CaseLine {
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Procedure title.
    pub procedure: String,
    /// State name.
    pub state: String,
    /// Organisation.
    pub organisation: String,
    /// Last change.
    pub updated: String,
    /// Closed.
    pub closed: bool,
    /// The deadline running now, and whether it has passed.
    pub due: Option<(String, bool)>,
    /// Its classification or handling mark, as printed.
    pub mark: Option<String>,
    /// Its number in the installation (2026-0012).
    pub number: String,
}

/// Turns stored cases into list lines, naming procedures and states from their library.
pub fn case_lines(state: &AppState, tr: Tr, rows: Vec<CaseRow>) -> Vec<CaseLine> {
    rows.into_iter()
        .map(|r| {
            let libraries = state.app.libraries();
            // A version another server built from a form variant names its procedure and
            // states as the shipped one does.
            let lib = libraries
                .version(&r.library_id, &r.library_version)
                .or_else(|| libraries.latest(&r.library_id).cloned());
            let lib = lib.as_ref();
            let p = lib.and_then(|l| l.procedures.get(&r.procedure_id));
            let due = state.app.due(&r).map(|d| (d.label, d.overdue));
            let mark = lib
                .and_then(|l| l.printed_class(r.mark.as_deref()))
                .map(|(label, _)| tr.text(&label).to_owned());
            CaseLine {
                due,
                mark,
                id: r.id,
                procedure: p.map_or(r.procedure_id.clone(), |p| tr.text(&p.title).to_owned()),
                state: p
                    .and_then(|p| p.state(&r.state))
                    .map_or(r.state.clone(), |s| tr.text(&s.name).to_owned()),
                title: r.title,
                number: r.number,
                organisation: r.organisation_name,
                updated: tr.datetime(r.updated_at),
                closed: r.closed_at.is_some(),
            }
        })
        .collect()
}

/// `?q=…&open=…`.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    open: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    overdue: String,
    offset: Option<i64>,
}

/// `GET /cases`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let filter = CaseFilter {
        open: match q.open.as_str() {
            "open" => Some(true),
            "closed" => Some(false),
            _ => None,
        },
        q: Some(q.q.trim().to_owned()).filter(|x| !x.is_empty()),
        procedure: state
            .app
            .libraries()
            .procedure(&q.procedure)
            .map(|(lib, id)| (lib.id().to_owned(), id)),
        overdue_at: (!q.overdue.is_empty()).then(|| state.app.now()),
        ..CaseFilter::default()
    };
    let page = state
        .app
        .cases(&s.caller, &filter, PageRequest::new(Some(100), q.offset))
        .await?;
    let l = Layout::new(&s, "cases-title", "cases");
    let procedures = state
        .app
        .libraries()
        .current()
        .flat_map(|lib| {
            lib.procedures
                .iter()
                .map(|(id, p)| (format!("{}/{id}", lib.id()), l.tr.text(&p.title).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(render(&ListPage {
        rows: case_lines(&state, l.tr, page.items),
        total: page.total,
        total_exact: page.exact,
        q: q.q,
        open: q.open,
        procedure: q.procedure,
        procedures,
        overdue: !q.overdue.is_empty(),
        l,
    }))
}
