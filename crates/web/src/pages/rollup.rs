//! `/organisations/{id}/rollup`: the roll-up of the organisations reporting to this one, a
//! table to read on screen and to print for the year's report.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use uuid::Uuid;

use super::{Layout, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::PageSession;

#[derive(Template)]
#[template(path = "organisations/rollup.html")]
struct RollupPage {
    l: Layout,
    id: Uuid,
    fiscal_year: String,
    /// Column heads: a procedure's title and its round.
    rounds: Vec<(String, String)>,
    /// Column heads: a catalog's title.
    catalogs: Vec<String>,
    lines: Vec<Line>,
}

struct Line {
    name: String,
    /// (done, total) per round.
    rounds: Vec<(i64, i64)>,
    /// (submitted, score) per catalog; the score empty before anything is scored.
    scores: Vec<(i64, String)>,
    reported_open: i64,
    earliest_reported: String,
}

/// `GET /organisations/{id}/rollup`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
) -> Result<Response, Failure> {
    let r = state.app.rollup(&s.caller, id).await?;
    let l = Layout::new(&s, "rollup-title", "organisations");
    let lang = l.tr.locale().as_str();
    let title = format!("{}: {}", r.name, l.tr.t("rollup-title"));
    let lines = r
        .lines
        .into_iter()
        .map(|x| Line {
            name: x.name,
            rounds: x.rounds.iter().map(|d| (d.done, d.total)).collect(),
            scores: x
                .scores
                .iter()
                .map(|s| {
                    (
                        s.submitted,
                        s.percent.map_or_else(String::new, |p| format!("{p}%")),
                    )
                })
                .collect(),
            reported_open: x.reported_open,
            earliest_reported: x
                .earliest_reported
                .map_or_else(String::new, |t| l.tr.datetime(mamori_app::read::Ts(t))),
        })
        .collect();
    Ok(render(&RollupPage {
        id,
        fiscal_year: r.fiscal_year.label(),
        rounds: r
            .rounds
            .iter()
            .map(|x| (x.title.get(lang).to_owned(), x.round.label()))
            .collect(),
        catalogs: r
            .catalogs
            .iter()
            .map(|c| c.title.get(lang).to_owned())
            .collect(),
        lines,
        l: l.titled(title),
    }))
}
