//! `/api/v1/persons`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_app::read::PageRequest;
use mamori_app::read::PersonFilter;
use mamori_app::{PersonInput, PersonUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{ErrorBody, PasswordReset, Person, PersonCreate, PersonList, PersonPatch};
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};
use crate::upload::ApiUpload;

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only members of this organisation.
    organisation: Option<Uuid>,
    /// Name or e-mail contains.
    q: Option<String>,
    /// Rows per page (1–200, default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// People the caller may see, by name.
#[utoipa::path(get, path = "/persons", tag = "persons", params(ListQuery),
    responses((status = 200, body = PersonList), (status = 401, body = ErrorBody)))]
pub async fn list_persons(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<PersonList>> {
    let filter = PersonFilter {
        organisation: q.organisation,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let page = state
        .app
        .persons(&s.caller, &filter, PageRequest::new(q.limit, q.offset))
        .await?;
    Ok(axum::Json(PersonList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
        total_exact: page.exact,
    }))
}

/// Add a person; they must change the initial password at first login.
#[utoipa::path(post, path = "/persons", tag = "persons", request_body = PersonCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The e-mail address is taken", body = ErrorBody)))]
pub async fn create_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<PersonCreate>,
) -> ApiResult<Response> {
    let input = PersonInput {
        name: body.name,
        email: body.email,
        organisation: Some(body.organisation),
        initial_password: body.initial_password,
    };
    let id = state.app.create_person(&s.caller, &input).await?;
    Ok(created(format!("/api/v1/persons/{id}"), id))
}

/// One person.
#[utoipa::path(get, path = "/persons/{id}", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 200, body = Person), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Person>> {
    Ok(axum::Json(state.app.person(&s.caller, id).await?.into()))
}

/// Change a person: name, organisation, whether they may log in.
#[utoipa::path(patch, path = "/persons/{id}", tag = "persons", params(("id" = Uuid, Path)), request_body = PersonPatch,
    responses((status = 200, body = Person), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_person(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PersonPatch>,
) -> ApiResult<axum::Json<Person>> {
    let current = state.app.person(&s.caller, id).await?;
    let update = PersonUpdate {
        name: body.name.unwrap_or(current.name),
        organisation: body.organisation.unwrap_or(current.organisation_id),
        active: body.active.unwrap_or(current.active),
    };
    state.app.update_person(&s.caller, id, &update).await?;
    Ok(axum::Json(state.app.person(&s.caller, id).await?.into()))
}

/// Set a temporary password; the person must change it at next login, and their sessions end.
#[utoipa::path(post, path = "/persons/{id}/password-reset", tag = "persons", params(("id" = Uuid, Path)),
    request_body = PasswordReset,
    responses((status = 204, description = "Reset"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reset_person_password(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<Response> {
    state
        .app
        .reset_password(&s.caller, id, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove a person's second factor (a lost phone); their sessions end.
#[utoipa::path(post, path = "/persons/{id}/totp-reset", tag = "persons", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody)))]
pub async fn reset_person_totp(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    state.app.reset_totp(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The staff workbook and the organisation the people join.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PeopleImportBody {
    /// The organisation the people join (a row's 所属 may name a unit below it).
    organisation: Uuid,
    /// An .xlsx workbook whose first row names the columns 氏名 and メールアドレス, and
    /// optionally 所属.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// A person added by an import, with their sign-in code.
#[derive(Serialize, ToSchema)]
pub struct ImportedPersonDto {
    id: Uuid,
    name: String,
    email: String,
    organisation: Uuid,
    organisation_name: String,
    /// Typed in the password box at the first sign-in; shown this once and kept nowhere.
    code: String,
}

/// What an import of staff added.
#[derive(Serialize, ToSchema)]
pub struct PeopleImportDto {
    people: Vec<ImportedPersonDto>,
    /// When the codes stop opening the accounts (thirty days: mamori's own figure).
    codes_expire_at: String,
}

impl From<mamori_app::PeopleImport> for PeopleImportDto {
    fn from(done: mamori_app::PeopleImport) -> Self {
        Self {
            codes_expire_at: done.codes_expire_at.0.to_string(),
            people: done
                .people
                .into_iter()
                .map(|p| ImportedPersonDto {
                    id: p.id,
                    name: p.name,
                    email: p.email,
                    organisation: p.organisation,
                    organisation_name: p.organisation_name,
                    code: p.code,
                })
                .collect(),
        }
    }
}

/// Add staff in bulk from a workbook. Each person signs in the first time with the code
/// in the answer and then chooses a password. Every row is checked first; if any is
/// wrong, nobody is added and the answer names each problem by its row.
#[utoipa::path(post, path = "/persons/import", tag = "persons",
    request_body(content = PeopleImportBody, content_type = "multipart/form-data"),
    responses((status = 201, body = PeopleImportDto), (status = 400, description = "Rows with problems; nobody was added", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "Not a staff workbook", body = ErrorBody)))]
pub async fn import_persons(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiUpload(upload): ApiUpload,
) -> ApiResult<(StatusCode, axum::Json<PeopleImportDto>)> {
    let organisation = upload.organisation()?;
    let done = state
        .app
        .import_people(&s.caller, organisation, upload.file.content)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(done.into())))
}
