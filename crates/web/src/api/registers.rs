//! `/api/v1/registers/{id}`: a register's rows, kept by hand and through Excel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_app::RowView;
use mamori_library::form::Data;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::attachments::{BundleRequest, download_response};
use super::cases::{DocumentDto, FieldDto, TextDto};
use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};
use crate::upload::ApiUpload;

/// A register's rows.
#[derive(Serialize, ToSchema)]
pub struct RegisterRows {
    register: String,
    #[schema(value_type = Object)]
    title: TextDto,
    columns: Vec<FieldDto>,
    /// The key columns: a row is added once per key and organisation.
    key: Vec<String>,
    /// One page of the rows the filters let through, by key.
    rows: Vec<RegisterRowDto>,
    /// How many rows the filters let through in all, counted up to 1,000; see
    /// `total_exact`.
    total: i64,
    /// Whether `total` is exact; if not, at least that many match.
    total_exact: bool,
    /// Rows per page.
    limit: i64,
    /// Rows skipped before this page.
    offset: i64,
    /// Organisations where the caller may add rows and import.
    may_add_in: Vec<Uuid>,
    /// Documents printed from the rows: `GET /registers/{id}/documents/{id}.{format}`.
    documents: Vec<DocumentDto>,
}

/// One register row.
#[derive(Serialize, ToSchema)]
pub struct RegisterRowDto {
    id: Uuid,
    organisation: Uuid,
    organisation_name: String,
    #[schema(value_type = Object)]
    data: Value,
    updated_at: String,
    /// Set on retired rows.
    retired_at: Option<String>,
    /// The dates the row carries (`dates` of the register) and where each stands.
    dates: Vec<RowDateDto>,
    /// Set while a legal hold keeps the row past its retention.
    hold: Option<HoldDto>,
}

/// A date a row carries.
#[derive(Serialize, ToSchema)]
pub struct RowDateDto {
    column: String,
    day: String,
    /// `due` or `expires`.
    means: &'static str,
    /// The day has ended.
    passed: bool,
    /// Its `settled_by` column is filled.
    settled: bool,
    /// Passed and not settled: overdue, or lapsed.
    late: bool,
}

/// A legal hold.
#[derive(Serialize, ToSchema)]
pub struct HoldDto {
    since: String,
    reason: String,
}

impl RegisterRowDto {
    fn new(
        app: &mamori_app::App,
        register: &mamori_library::model::Register,
        r: mamori_app::read::RowRecord,
    ) -> Self {
        let data: Data = serde_json::from_str(&r.data).unwrap_or_default();
        let dates = app
            .row_dates(register, &data)
            .into_iter()
            .map(|d| RowDateDto {
                late: d.late(),
                column: d.column,
                day: d.day.to_string(),
                means: match d.means {
                    mamori_library::model::RowDateMeaning::Due => "due",
                    mamori_library::model::RowDateMeaning::Expires => "expires",
                },
                passed: d.passed,
                settled: d.settled,
            })
            .collect();
        Self {
            id: r.id,
            organisation: r.organisation_id,
            organisation_name: r.organisation_name,
            data: Value::Object(data),
            updated_at: r.updated_at.0.to_string(),
            retired_at: r.retired_at.map(|t| t.0.to_string()),
            dates,
            hold: r.held_at.map(|t| HoldDto {
                since: t.0.to_string(),
                reason: r.hold_reason.unwrap_or_default(),
            }),
        }
    }
}

/// A change in a row's history.
#[derive(Serialize, ToSchema)]
pub struct RowChangeDto {
    seq: i64,
    at: String,
    actor: Option<String>,
    /// `case`, `add`, `edit`, `import` or `retire`.
    action: String,
    /// The case that made the change.
    case: Option<Uuid>,
    comment: String,
    /// The columns changed, with their new values (null: cleared).
    #[schema(value_type = Object)]
    change: Value,
}

/// A row with its history.
#[derive(Serialize, ToSchema)]
pub struct RegisterRowDetail {
    #[serde(flatten)]
    row: RegisterRowDto,
    history: Vec<RowChangeDto>,
    /// Whether the caller may edit or retire it.
    may_edit: bool,
}

impl RegisterRowDetail {
    fn new(app: &mamori_app::App, register: &str, v: RowView) -> Self {
        let def = v.library.registers[register].clone();
        Self {
            history: v
                .events
                .into_iter()
                .map(|e| RowChangeDto {
                    seq: e.seq,
                    at: e.occurred_at.0.to_string(),
                    actor: e.actor_name,
                    action: e.action,
                    case: e.case_id,
                    comment: e.comment,
                    change: serde_json::from_str(&e.change).unwrap_or(Value::Null),
                })
                .collect(),
            may_edit: v.may_edit,
            row: RegisterRowDto::new(app, &def, v.row),
        }
    }
}

/// `?filter[owner]=総務課&filter[confidentiality]=c2&limit=10&offset=0&retired=false`.
///
/// Read by hand rather than derived: serde cannot take `filter[…]` keys into a map and
/// still refuse every other unknown parameter, as the API's queries do.
#[derive(Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsQuery {
    /// Retired rows instead of live ones.
    retired: Option<bool>,
    /// Only the rows whose column has this value, e.g. `filter[owner]=総務課`: a choice
    /// (a class axis too) by its id or label, yes/no as `yes`/`no`, a date as
    /// `2026-04-01`, text as written. Several filters must all hold. Long text, tables
    /// and files cannot be filtered on; an unknown column is refused (400).
    #[param(style = DeepObject, explode, value_type = Object)]
    filter: Vec<(String, String)>,
    /// Rows per page (1–1000, default 100).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

impl<'de> Deserialize<'de> for RowsQuery {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RowsQueryVisitor)
    }
}

struct RowsQueryVisitor;

impl<'de> serde::de::Visitor<'de> for RowsQueryVisitor {
    type Value = RowsQuery;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("retired, limit, offset and filter[column] parameters")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RowsQuery, A::Error> {
        const KNOWN: &[&str] = &["retired", "filter[…]", "limit", "offset"];
        let mut q = RowsQuery::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "retired" => q.retired = Some(map.next_value()?),
                "limit" => q.limit = Some(map.next_value()?),
                "offset" => q.offset = Some(map.next_value()?),
                _ => match key
                    .strip_prefix("filter[")
                    .and_then(|k| k.strip_suffix(']'))
                {
                    Some(column) => q.filter.push((column.to_owned(), map.next_value()?)),
                    None => return Err(serde::de::Error::unknown_field(&key, KNOWN)),
                },
            }
        }
        Ok(q)
    }
}

/// Rows of a register (e.g. `external_services`) kept by organisations the caller may read,
/// a page at a time, filtered by the values of its columns.
#[utoipa::path(get, path = "/registers/{id}/rows", tag = "registers", params(("id" = String, Path), RowsQuery),
    responses((status = 200, body = RegisterRows), (status = 400, description = "An unknown column, or a value its column cannot hold", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_register_rows(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RowsQuery>,
) -> ApiResult<axum::Json<RegisterRows>> {
    let query = mamori_app::RowQuery {
        retired: q.retired.unwrap_or(false),
        filters: q.filter,
        limit: q.limit,
        offset: q.offset,
    };
    let view = state.app.register_rows(&s.caller, &id, &query).await?;
    let register = view.register(&id).clone();
    let register = &register;
    Ok(axum::Json(RegisterRows {
        register: id.clone(),
        title: register.title.clone(),
        columns: register.columns.iter().map(FieldDto::new).collect(),
        key: register.key.iter().map(|k| k.value.clone()).collect(),
        may_add_in: view.editable_in.iter().map(|(o, _)| *o).collect(),
        documents: register.documents.iter().map(DocumentDto::new).collect(),
        total: view.total,
        total_exact: view.total_exact,
        limit: view.limit,
        offset: view.offset,
        rows: view
            .rows
            .into_iter()
            .map(|r| RegisterRowDto::new(&state.app, register, r))
            .collect(),
    }))
}

/// A new row.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowCreate {
    /// The organisation that keeps it (one where the caller holds an editor role).
    organisation: Uuid,
    /// Its columns.
    #[schema(value_type = Object)]
    data: Data,
}

/// Add a row by hand (the register's editors only).
#[utoipa::path(post, path = "/registers/{id}/rows", tag = "registers", params(("id" = String, Path)), request_body = RowCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, description = "A column is wrong, or a row with this key exists", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RowCreate>,
) -> ApiResult<Response> {
    let row = state
        .app
        .add_register_row(&s.caller, &id, body.organisation, body.data)
        .await?;
    Ok(created(format!("/api/v1/registers/{id}/rows/{row}"), row))
}

/// A row with its history.
#[utoipa::path(get, path = "/registers/{id}/rows/{row}", tag = "registers", params(("id" = String, Path), ("row" = Uuid, Path)),
    responses((status = 200, body = RegisterRowDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
) -> ApiResult<axum::Json<RegisterRowDetail>> {
    Ok(axum::Json(RegisterRowDetail::new(
        &state.app,
        &id,
        state.app.register_row(&s.caller, &id, row).await?,
    )))
}

/// A correction.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowPatch {
    /// The columns to change; an empty value clears one. Key columns cannot change.
    #[schema(value_type = Object)]
    data: Data,
    /// Why (kept in the row's history).
    #[serde(default)]
    comment: String,
}

/// Correct a live row (the register's editors only).
#[utoipa::path(patch, path = "/registers/{id}/rows/{row}", tag = "registers", params(("id" = String, Path), ("row" = Uuid, Path)),
    request_body = RowPatch,
    responses((status = 200, body = RegisterRowDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "The row is retired, or the key would change", body = ErrorBody)))]
pub async fn edit_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<RowPatch>,
) -> ApiResult<axum::Json<RegisterRowDetail>> {
    state
        .app
        .edit_register_row(&s.caller, &id, row, body.data, &body.comment)
        .await?;
    Ok(axum::Json(RegisterRowDetail::new(
        &state.app,
        &id,
        state.app.register_row(&s.caller, &id, row).await?,
    )))
}

/// Why a row is retired.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowRetire {
    /// Why (kept in the row's history).
    #[serde(default)]
    comment: String,
}

/// Retire a row: it leaves the live register and keeps its history.
#[utoipa::path(post, path = "/registers/{id}/rows/{row}/retire", tag = "registers", params(("id" = String, Path), ("row" = Uuid, Path)),
    request_body = RowRetire,
    responses((status = 200, body = RegisterRowDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Already retired", body = ErrorBody)))]
pub async fn retire_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<RowRetire>,
) -> ApiResult<axum::Json<RegisterRowDetail>> {
    state
        .app
        .retire_register_row(&s.caller, &id, row, &body.comment)
        .await?;
    Ok(axum::Json(RegisterRowDetail::new(
        &state.app,
        &id,
        state.app.register_row(&s.caller, &id, row).await?,
    )))
}

/// The live rows the caller may read as an Excel workbook (recorded in the audit trail).
#[utoipa::path(get, path = "/registers/{id}/export.xlsx", tag = "registers", params(("id" = String, Path)),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody)))]
pub async fn export_register(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let doc = state.app.export_register(&s.caller, &id, None).await?;
    Ok(download_response(doc))
}

/// `?organisation=` prints only the rows that organisation keeps.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// The organisation whose rows are printed (all the caller reads without it).
    organisation: Option<Uuid>,
}

/// A document printed from the live rows the caller reads (a ledger laid out as its paper
/// form; `documents` of the register lists them), rendered now and recorded in the audit
/// trail.
#[utoipa::path(get, path = "/registers/{id}/documents/{file}", tag = "registers",
    params(("id" = String, Path), ("file" = String, Path, description = "a document id with its extension: ledger_pdf.pdf"), DocumentQuery),
    responses((status = 200, description = "The document: text/plain, application/pdf or an .xlsx workbook", content_type = "application/pdf"),
        (status = 404, body = ErrorBody)))]
pub async fn get_register_document(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, file)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DocumentQuery>,
) -> ApiResult<Response> {
    let doc = state
        .app
        .register_document(&s.caller, &id, &file, q.organisation)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                super::cases::disposition(&doc.file_name, doc.download_name.as_deref()),
            ),
        ],
        doc.body,
    )
        .into_response())
}

/// The same workbook inside an AES-256 ZIP, to send outside the organisation; the
/// password goes to the recipient by another way. Recorded in the audit trail.
#[utoipa::path(post, path = "/registers/{id}/export.zip", tag = "registers", params(("id" = String, Path)),
    request_body = BundleRequest,
    responses((status = 200, description = "The encrypted ZIP holding the workbook", content_type = "application/zip"),
        (status = 400, description = "The password is too short", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn export_register_sealed(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<BundleRequest>,
) -> ApiResult<Response> {
    let doc = state
        .app
        .export_register(&s.caller, &id, Some(&body.password))
        .await?;
    Ok(download_response(doc))
}

/// The workbook and the organisation whose rows it holds.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportBody {
    /// The organisation that keeps the rows.
    organisation: Uuid,
    /// An .xlsx workbook: one exported from this register, or one whose first row names
    /// the columns.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportDto {
    added: usize,
    updated: usize,
    unchanged: usize,
}

/// Import a workbook: rows are added or corrected by key. Every row is checked first; if
/// any is wrong, nothing is stored and the answer lists each problem with its row number.
#[utoipa::path(post, path = "/registers/{id}/import", tag = "registers", params(("id" = String, Path)),
    request_body(content = ImportBody, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportDto), (status = 400, description = "Rows with problems; nothing was stored", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Not a workbook of this register", body = ErrorBody)))]
pub async fn import_register(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiUpload(upload): ApiUpload,
) -> ApiResult<(StatusCode, axum::Json<ImportDto>)> {
    let organisation = upload.organisation()?;
    let report = state
        .app
        .import_register(&s.caller, &id, organisation, upload.file.content)
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(ImportDto {
            added: report.added,
            updated: report.updated,
            unchanged: report.unchanged,
        }),
    ))
}

/// Why a row is held.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// The reason (a litigation, an investigation), kept with the hold and in the trail.
    reason: String,
}

/// Place a legal hold on a row: it is kept past its retention until released.
/// Administrators and auditors over the row's organisation may.
#[utoipa::path(post, path = "/registers/{id}/rows/{row}/hold", tag = "registers",
    params(("id" = String, Path), ("row" = Uuid, Path)), request_body = HoldRequest,
    responses((status = 200, body = RegisterRowDetail), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hold_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<HoldRequest>,
) -> ApiResult<axum::Json<RegisterRowDetail>> {
    let view = state
        .app
        .hold_register_row(&s.caller, &id, row, &body.reason)
        .await?;
    Ok(axum::Json(RegisterRowDetail::new(&state.app, &id, view)))
}

/// Release a row's legal hold: its retention runs again.
#[utoipa::path(delete, path = "/registers/{id}/rows/{row}/hold", tag = "registers",
    params(("id" = String, Path), ("row" = Uuid, Path)),
    responses((status = 200, body = RegisterRowDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "The row is not held", body = ErrorBody)))]
pub async fn release_register_row(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, row)): ApiPath<(String, Uuid)>,
) -> ApiResult<axum::Json<RegisterRowDetail>> {
    let view = state.app.release_register_row(&s.caller, &id, row).await?;
    Ok(axum::Json(RegisterRowDetail::new(&state.app, &id, view)))
}
