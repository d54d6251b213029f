//! Libraries' matrices (`/matrices`): what each role holds for each item of an original,
//! filtered by role and mark or by clause, and an organisation's corrections of them.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use mamori_app::{CorrectInput, Correction, MatrixFilter, MatrixRowView, MatrixView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cases::TextDto;
use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// A path segment as a URL carries it: a row id (`5.1(1)③(イ)`) is percent-encoded, so
/// that links and the `Location` header stay ASCII.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'(' | b')') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A matrix of a current library.
#[derive(Serialize, ToSchema)]
pub struct MatrixSummaryDto {
    library: String,
    id: String,
    #[schema(value_type = Object)]
    title: TextDto,
    rows: usize,
    href: String,
}

/// A column: a role of the library or a heading of the original.
#[derive(Serialize, ToSchema)]
pub struct ColumnDto {
    id: String,
    /// The role it stands for.
    role: Option<String>,
    #[schema(value_type = Object)]
    label: TextDto,
}

/// A mark and what it means.
#[derive(Serialize, ToSchema)]
pub struct MarkDto {
    mark: String,
    #[schema(value_type = Object)]
    label: TextDto,
}

/// A correction of a row.
#[derive(Serialize, ToSchema)]
pub struct CorrectionDto {
    id: Uuid,
    /// The organisation that made it (it holds there and below).
    organisation: Uuid,
    organisation_name: String,
    /// Column → mark.
    cells: BTreeMap<String, String>,
    reason: String,
    made_by: String,
    made_at: String,
}

impl From<Correction> for CorrectionDto {
    fn from(c: Correction) -> Self {
        Self {
            id: c.id,
            organisation: c.organisation,
            organisation_name: c.organisation_name,
            cells: c.cells,
            reason: c.reason,
            made_by: c.made_by_name,
            made_at: c.made_at.0.to_string(),
        }
    }
}

/// A row as it holds for the organisation.
#[derive(Serialize, ToSchema)]
pub struct MatrixRowDto {
    /// The original's numbering (`5.1(1)③(イ)`).
    id: String,
    #[schema(value_type = Option<Object>)]
    category: Option<TextDto>,
    #[schema(value_type = Object)]
    title: TextDto,
    /// The marks as the original's text gives them, left to right.
    raw_marks: String,
    /// The reading of the original: column → mark.
    original: BTreeMap<String, String>,
    /// How sure that reading is: `high`, `medium`, `low`, or `none` (no marks).
    confidence: String,
    /// Why it was read so.
    basis: Option<String>,
    /// In force for the organisation: column → mark.
    cells: BTreeMap<String, String>,
    /// The correction in force, if any.
    correction: Option<CorrectionDto>,
    href: String,
}

fn row_dto(library: &str, matrix: &str, r: MatrixRowView) -> MatrixRowDto {
    MatrixRowDto {
        href: format!(
            "/api/v1/matrices/{library}/{matrix}/rows/{}",
            segment(&r.id)
        ),
        id: r.id,
        category: r.category,
        title: r.title,
        raw_marks: r.raw_marks,
        original: r.original,
        confidence: r.confidence.as_str().to_owned(),
        basis: r.basis,
        cells: r.cells,
        correction: r.correction.map(Into::into),
    }
}

/// A matrix as it holds for an organisation.
#[derive(Serialize, ToSchema)]
pub struct MatrixDto {
    library: String,
    id: String,
    #[schema(value_type = Object)]
    title: TextDto,
    source: Option<String>,
    /// The organisation whose corrections hold.
    organisation: Uuid,
    organisation_name: String,
    columns: Vec<ColumnDto>,
    marks: Vec<MarkDto>,
    /// How many rows the matrix has; `rows` are those the filter kept.
    total: usize,
    rows: Vec<MatrixRowDto>,
    /// Whether the caller may correct rows for the organisation.
    may_correct: bool,
}

fn matrix_dto(v: MatrixView) -> MatrixDto {
    let m = v.matrix();
    let (library, id) = (v.library.id().to_owned(), v.matrix.clone());
    MatrixDto {
        title: m.title.clone(),
        source: m.source.clone(),
        columns: m
            .columns
            .iter()
            .map(|c| ColumnDto {
                id: c.id.value.clone(),
                role: c.role.as_ref().map(|r| r.value.clone()),
                label: c.label.clone(),
            })
            .collect(),
        marks: m
            .marks
            .iter()
            .map(|x| MarkDto {
                mark: x.id.value.clone(),
                label: x.label.clone(),
            })
            .collect(),
        organisation: v.organisation.0,
        organisation_name: v.organisation.1.clone(),
        total: v.total,
        may_correct: v.may_correct,
        rows: v
            .rows
            .into_iter()
            .map(|r| row_dto(&library, &id, r))
            .collect(),
        library,
        id,
    }
}

/// Which rows: by column (or the role it stands for) and mark, or by clause.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// Rows where this column holds a mark.
    column: Option<String>,
    /// The same, by role (`lg_manager`).
    role: Option<String>,
    /// Rows holding this mark (in that column, if given): `○`, `△`, `許`, `承`.
    mark: Option<String>,
    /// Rows at or under this clause (`5.1`, `6.1(17)`).
    clause: Option<String>,
    /// The organisation whose corrections hold; the caller's own when left out.
    organisation: Option<Uuid>,
}

/// One organisation, for a row.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowQuery {
    /// The organisation whose corrections hold; the caller's own when left out.
    organisation: Option<Uuid>,
}

/// The matrices of the current libraries.
#[utoipa::path(get, path = "/matrices", tag = "registers",
    responses((status = 200, body = Vec<MatrixSummaryDto>)))]
pub async fn list_matrices(
    State(state): State<AppState>,
    ApiCaller(_s): ApiCaller,
) -> ApiResult<axum::Json<Vec<MatrixSummaryDto>>> {
    let out = state
        .app
        .matrices()
        .into_iter()
        .map(|(lib, id)| {
            let m = &lib.matrices[&id];
            MatrixSummaryDto {
                href: format!("/api/v1/matrices/{}/{id}", lib.id()),
                library: lib.id().to_owned(),
                title: m.title.clone(),
                rows: m.rows.len(),
                id,
            }
        })
        .collect();
    Ok(axum::Json(out))
}

/// A matrix as it holds for an organisation: what a role does (`role` or `column`, with
/// `mark`), or who does what under a clause (`clause`).
#[utoipa::path(get, path = "/matrices/{library}/{matrix}", tag = "registers",
    params(("library" = String, Path), ("matrix" = String, Path), MatrixQuery),
    responses((status = 200, body = MatrixDto), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_matrix(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((library, matrix)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<MatrixQuery>,
) -> ApiResult<axum::Json<MatrixDto>> {
    let filter = MatrixFilter {
        column: q.column,
        role: q.role,
        mark: q.mark,
        clause: q.clause,
        organisation: q.organisation,
    };
    let view = state
        .app
        .matrix(&s.caller, &library, &matrix, filter)
        .await?;
    Ok(axum::Json(matrix_dto(view)))
}

/// One row: who does what for the clause, the procedures that carry it out, and the
/// history of the organisation's corrections.
#[derive(Serialize, ToSchema)]
pub struct MatrixRowPageDto {
    #[serde(flatten)]
    row: MatrixRowDto,
    /// Each column with its mark in force (or none).
    columns: Vec<ColumnDto>,
    marks: Vec<MarkDto>,
    organisation: Uuid,
    /// Procedures of the library that carry it out: `library/procedure`.
    procedures: Vec<String>,
    /// Every correction for the organisation and those above it, oldest first.
    history: Vec<CorrectionDto>,
    may_correct: bool,
}

/// One row of a matrix as it holds for an organisation.
#[utoipa::path(get, path = "/matrices/{library}/{matrix}/rows/{row}", tag = "registers",
    params(("library" = String, Path), ("matrix" = String, Path), ("row" = String, Path), RowQuery),
    responses((status = 200, body = MatrixRowPageDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_matrix_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((library, matrix, row)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<RowQuery>,
) -> ApiResult<axum::Json<MatrixRowPageDto>> {
    let page = state
        .app
        .matrix_row(&s.caller, &library, &matrix, &row, q.organisation)
        .await?;
    let organisation = page.view.organisation.0;
    let may_correct = page.view.may_correct;
    let lib = page.view.library.id().to_owned();
    let whole = matrix_dto(page.view);
    Ok(axum::Json(MatrixRowPageDto {
        row: row_dto(&lib, &matrix, page.row),
        columns: whole.columns,
        marks: whole.marks,
        organisation,
        procedures: page
            .procedures
            .into_iter()
            .map(|(p, _)| format!("{lib}/{p}"))
            .collect(),
        history: page.history.into_iter().map(Into::into).collect(),
        may_correct,
    }))
}

/// A correction: the marks the organisation assigns, and why.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// The organisation it holds for (and those below it without their own).
    organisation: Uuid,
    /// Column → mark; columns left out hold none.
    cells: BTreeMap<String, String>,
    reason: String,
}

/// Correct a row for an organisation (whoever the matrix names there). Kept with every
/// earlier correction; restoring the original's reading is another correction.
#[utoipa::path(post, path = "/matrices/{library}/{matrix}/rows/{row}/corrections", tag = "registers",
    params(("library" = String, Path), ("matrix" = String, Path), ("row" = String, Path)),
    request_body = CorrectionInput,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn correct_matrix_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((library, matrix, row)): ApiPath<(String, String, String)>,
    ApiJson(input): ApiJson<CorrectionInput>,
) -> ApiResult<Response> {
    let organisation = input.organisation;
    let id = state
        .app
        .correct_matrix_row(
            &s.caller,
            &library,
            &matrix,
            &row,
            CorrectInput {
                organisation: input.organisation,
                cells: input.cells,
                reason: input.reason,
            },
        )
        .await?;
    Ok(created(
        format!(
            "/api/v1/matrices/{library}/{matrix}/rows/{}?organisation={organisation}",
            segment(&row)
        ),
        id,
    ))
}
