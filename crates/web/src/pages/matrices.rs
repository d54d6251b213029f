//! Libraries' matrices as pages: what a role does (filtered by mark), who does what for a
//! clause, and a row with its corrections and the form to correct it.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::{CorrectInput, MatrixFilter, MatrixRowView, MatrixView, SessionInfo};
use serde::Deserialize;
use uuid::Uuid;

use super::form_widgets::errors_for;
use super::{FormErrors, Layout, done, form_failure, render, render_status};
use crate::AppState;
use crate::api::matrices::segment;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

/// The link from a procedure to the matrix row it carries out, with its words (権限・責任等
/// 一覧表 5.1(1)③(イ)); as an organisation reads it, when one is given.
pub(super) fn procedure_link(
    tr: Tr,
    lib: &mamori_library::Library,
    procedure: &mamori_library::model::Procedure,
    organisation: Option<Uuid>,
) -> Option<(String, String)> {
    let link = procedure.matrix_row.as_ref()?;
    let m = lib.matrices.get(&link.matrix.value)?;
    let mut href = format!(
        "/matrices/{}/{}/rows/{}",
        lib.id(),
        link.matrix.value,
        segment(&link.row.value)
    );
    if let Some(o) = organisation {
        href += &format!("?organisation={o}");
    }
    let words = tr.tn(
        "procedure-matrix-row",
        &[
            ("matrix", tr.text(&m.title).to_owned()),
            ("row", link.row.value.clone()),
        ],
    );
    Some((href, words))
}

#[derive(Template)]
#[template(path = "matrices/index.html")]
struct IndexPage {
    l: Layout,
    items: Vec<IndexItem>,
}

struct IndexItem {
    href: String,
    title: String,
    library: String,
    rows: usize,
}

/// `GET /matrices`.
pub async fn index(
    State(state): State<AppState>,
    PageSession(s): PageSession,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let items = state
        .app
        .matrices()
        .into_iter()
        .map(|(lib, id)| {
            let m = &lib.matrices[&id];
            IndexItem {
                href: format!("/matrices/{}/{id}", lib.id()),
                title: tr.text(&m.title).to_owned(),
                library: tr.text(&lib.manifest.title).to_owned(),
                rows: m.rows.len(),
            }
        })
        .collect();
    Ok(render(&IndexPage {
        l: Layout::new(&s, "matrices-title", "procedures"),
        items,
    }))
}

struct ColumnHead {
    id: String,
    label: String,
    /// The role's name in the library, where the column stands for one.
    role: String,
}

struct Line {
    id: String,
    href: String,
    title: String,
    /// Each column's mark in force, left to right (empty where none).
    cells: Vec<String>,
    confidence: &'static str,
    confidence_label: String,
    corrected: bool,
}

#[derive(Template)]
#[template(path = "matrices/show.html")]
struct ShowPage {
    l: Layout,
    base: String,
    title: String,
    description: String,
    source: String,
    organisation: Uuid,
    organisation_name: String,
    columns: Vec<ColumnHead>,
    marks: Vec<(String, String)>,
    lines: Vec<Line>,
    /// 「348 行中 22 行」.
    count: String,
    /// The filter as asked.
    column: String,
    mark: String,
    clause: String,
    /// Set when the filter names a column: the sentence above the rows.
    heading: String,
}

fn heads(tr: Tr, v: &MatrixView) -> Vec<ColumnHead> {
    let m = v.matrix();
    let roles = &v.library.manifest.roles;
    m.columns
        .iter()
        .map(|c| ColumnHead {
            id: c.id.value.clone(),
            label: tr.text(&c.label).to_owned(),
            role: c
                .role
                .as_ref()
                .and_then(|r| roles.iter().find(|x| x.id.value == r.value))
                .map(|r| tr.text(&r.name).to_owned())
                .unwrap_or_default(),
        })
        .collect()
}

fn confidence_label(tr: Tr, r: &MatrixRowView) -> String {
    tr.t(&format!("matrix-confidence-{}", r.confidence.as_str()))
}

fn line(tr: Tr, base: &str, org: Uuid, columns: &[ColumnHead], r: &MatrixRowView) -> Line {
    Line {
        href: format!("{base}/rows/{}?organisation={org}", segment(&r.id)),
        id: r.id.clone(),
        title: tr.text(&r.title).to_owned(),
        cells: columns
            .iter()
            .map(|c| r.cells.get(&c.id).cloned().unwrap_or_default())
            .collect(),
        confidence: r.confidence.as_str(),
        confidence_label: confidence_label(tr, r),
        corrected: r.correction.is_some(),
    }
}

/// `?role=&column=&mark=&clause=&organisation=`.
#[derive(Deserialize, Default)]
pub struct ShowQuery {
    column: Option<String>,
    role: Option<String>,
    mark: Option<String>,
    clause: Option<String>,
    organisation: Option<Uuid>,
}

/// `GET /matrices/{library}/{matrix}`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((library, matrix)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let v = state
        .app
        .matrix(
            &s.caller,
            &library,
            &matrix,
            MatrixFilter {
                column: q.column.clone(),
                role: q.role.clone(),
                mark: q.mark.clone(),
                clause: q.clause.clone(),
                organisation: q.organisation,
            },
        )
        .await?;
    let m = v.matrix();
    let base = format!("/matrices/{library}/{matrix}");
    let columns = heads(tr, &v);
    // A role asked for by id shows as its column.
    let column = q
        .role
        .as_deref()
        .filter(|r| !r.is_empty())
        .and_then(|r| m.column_of_role(r))
        .map(|c| c.id.value.clone())
        .or(q.column.clone())
        .unwrap_or_default();
    let mark = q.mark.clone().unwrap_or_default();
    let heading = columns
        .iter()
        .find(|c| c.id == column)
        .map(|c| {
            let what = if mark.is_empty() {
                tr.t("matrix-any-mark")
            } else {
                mark.clone()
            };
            tr.tn(
                "matrix-column-holds",
                &[("column", c.label.clone()), ("mark", what)],
            )
        })
        .unwrap_or_default();
    let lines = v
        .rows
        .iter()
        .map(|r| line(tr, &base, v.organisation.0, &columns, r))
        .collect();
    let title = tr.text(&m.title).to_owned();
    let page = ShowPage {
        l: Layout::new(&s, "matrices-title", "procedures").titled(title.clone()),
        title,
        description: m
            .description
            .as_ref()
            .map(|d| tr.text(d).to_owned())
            .unwrap_or_default(),
        source: m.source.clone().unwrap_or_default(),
        organisation: v.organisation.0,
        organisation_name: v.organisation.1.clone(),
        marks: m
            .marks
            .iter()
            .map(|x| (x.id.value.clone(), tr.text(&x.label).to_owned()))
            .collect(),
        columns,
        count: tr.tn(
            "matrix-shown",
            &[
                ("shown", v.rows.len().to_string()),
                ("total", v.total.to_string()),
            ],
        ),
        lines,
        column,
        mark,
        clause: q.clause.clone().unwrap_or_default(),
        heading,
        base,
    };
    Ok(render(&page))
}

struct CellLine {
    id: String,
    label: String,
    role: String,
    /// In force.
    mark: String,
    /// The original's reading.
    original: String,
    /// What the correction form holds: in force, or as typed.
    chosen: String,
    /// What was typed is no mark of the matrix (kept, to be shown with its error).
    chosen_unknown: bool,
    error: String,
}

struct HistoryLine {
    when: String,
    who: String,
    organisation: String,
    cells: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "matrices/row.html")]
struct RowPage {
    l: Layout,
    base: String,
    action: String,
    matrix_title: String,
    organisation: Uuid,
    organisation_name: String,
    id: String,
    title: String,
    category: String,
    raw: String,
    confidence: &'static str,
    confidence_label: String,
    basis: String,
    corrected_by: String,
    cells: Vec<CellLine>,
    marks: Vec<(String, String)>,
    procedures: Vec<(String, String)>,
    history: Vec<HistoryLine>,
    may_correct: bool,
    reason: String,
    errors: FormErrors,
    summary: Option<String>,
}

/// A refused correction, shown again as it was sent.
struct Typed {
    cells: BTreeMap<String, String>,
    reason: String,
    errors: FormErrors,
}

/// `?organisation=`.
#[derive(Deserialize, Default)]
pub struct RowQuery {
    organisation: Option<Uuid>,
    notice: Option<String>,
}

fn cells_text(cols: &[ColumnHead], cells: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = cols
        .iter()
        .filter_map(|c| cells.get(&c.id).map(|m| format!("{} {m}", c.label)))
        .collect();
    parts.join("、")
}

async fn row_page(
    state: &AppState,
    s: &SessionInfo,
    (library, matrix, row): (&str, &str, &str),
    organisation: Option<Uuid>,
    notice: Option<&str>,
    typed: Option<Typed>,
) -> Result<RowPage, Failure> {
    let tr = Tr::of(s);
    let p = state
        .app
        .matrix_row(&s.caller, library, matrix, row, organisation)
        .await?;
    let m = p.view.matrix();
    let columns = heads(tr, &p.view);
    let Typed {
        cells: chosen,
        reason,
        errors,
    } = typed.unwrap_or_else(|| Typed {
        cells: p.row.cells.clone(),
        reason: String::new(),
        errors: FormErrors::default(),
    });
    let cells = columns
        .iter()
        .map(|c| CellLine {
            error: errors
                .get(&format!("cells.{}", c.id))
                .unwrap_or_default()
                .to_owned(),
            id: c.id.clone(),
            label: c.label.clone(),
            role: c.role.clone(),
            mark: p.row.cells.get(&c.id).cloned().unwrap_or_default(),
            original: p.row.original.get(&c.id).cloned().unwrap_or_default(),
            chosen: chosen.get(&c.id).cloned().unwrap_or_default(),
            chosen_unknown: chosen.get(&c.id).is_some_and(|x| !m.has_mark(x)),
        })
        .collect();
    let history = p
        .history
        .iter()
        .rev()
        .map(|h| HistoryLine {
            when: tr.datetime(h.made_at),
            who: h.made_by_name.clone(),
            organisation: h.organisation_name.clone(),
            cells: cells_text(&columns, &h.cells),
            reason: h.reason.clone(),
        })
        .collect();
    let base = format!("/matrices/{library}/{matrix}");
    let title = tr.text(&p.row.title).to_owned();
    let roles = &p.view.library.manifest.roles;
    Ok(RowPage {
        l: Layout::new(s, "matrices-title", "procedures")
            .with_notice(notice)
            .titled(format!("{} {title}", p.row.id)),
        action: format!(
            "{base}/rows/{}/corrections?organisation={}",
            segment(&p.row.id),
            p.view.organisation.0
        ),
        matrix_title: tr.text(&m.title).to_owned(),
        organisation: p.view.organisation.0,
        organisation_name: p.view.organisation.1.clone(),
        id: p.row.id.clone(),
        title,
        category: p
            .row
            .category
            .as_ref()
            .map(|c| tr.text(c).to_owned())
            .unwrap_or_default(),
        raw: p.row.raw_marks.clone(),
        confidence: p.row.confidence.as_str(),
        confidence_label: confidence_label(tr, &p.row),
        basis: p.row.basis.clone().unwrap_or_default(),
        corrected_by: m
            .corrected_by
            .iter()
            .filter_map(|x| roles.iter().find(|r| r.id.value == x.role.value))
            .map(|r| tr.text(&r.name).to_owned())
            .collect::<Vec<_>>()
            .join("・"),
        cells,
        marks: m
            .marks
            .iter()
            .map(|x| (x.id.value.clone(), tr.text(&x.label).to_owned()))
            .collect(),
        procedures: p
            .procedures
            .iter()
            .map(|(id, t)| {
                (
                    format!("/procedures#p-{}/{id}", p.view.library.id()),
                    tr.text(t).to_owned(),
                )
            })
            .collect(),
        history,
        may_correct: p.view.may_correct,
        reason,
        errors,
        summary: None,
        base,
    })
}

/// `GET /matrices/{library}/{matrix}/rows/{row}`.
pub async fn row(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((library, matrix, row)): Path<(String, String, String)>,
    Query(q): Query<RowQuery>,
) -> Result<Response, Failure> {
    let page = row_page(
        &state,
        &s,
        (&library, &matrix, &row),
        q.organisation,
        q.notice.as_deref(),
        None,
    )
    .await?;
    Ok(render(&page))
}

/// `POST /matrices/{library}/{matrix}/rows/{row}/corrections?organisation=`: a row of
/// selects (`cell.<column>`) and the reason; refused as typed, each problem named.
pub async fn correct(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((library, matrix, row)): Path<(String, String, String)>,
    Query(o): Query<RowQuery>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let organisation = o.organisation.unwrap_or(s.caller.actor.organisation);
    let cells: BTreeMap<String, String> = pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("cell.")?.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let reason = pairs
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let input = CorrectInput {
        organisation,
        cells: cells.clone(),
        reason: reason.clone(),
    };
    match state
        .app
        .correct_matrix_row(&s.caller, &library, &matrix, &row, input)
        .await
    {
        Ok(_) => Ok(done(
            &format!(
                "/matrices/{library}/{matrix}/rows/{}?organisation={organisation}",
                segment(&row)
            ),
            "matrix-corrected",
        )),
        Err(e) => {
            let failure = Failure::from(e);
            let errors = errors_for(tr, &failure);
            let typed = Typed {
                cells,
                reason,
                errors,
            };
            let page = row_page(
                &state,
                &s,
                (&library, &matrix, &row),
                Some(organisation),
                None,
                Some(typed),
            )
            .await?;
            Ok(form_failure(tr, failure, |_, summary| {
                let mut page = page;
                page.summary = summary;
                render_status(StatusCode::BAD_REQUEST, &page)
            }))
        }
    }
}
