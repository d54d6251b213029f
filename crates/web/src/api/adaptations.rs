//! `/api/v1/organisations/{id}/adaptations/{library}`: an organisation's own variant of a
//! library's forms, written as `adaptation.yaml`.

use axum::extract::State;
use axum::http::StatusCode;
use mamori_app::AdaptationView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::cases::{FieldDto, TextDto};
use super::dto::ErrorBody;
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath};

/// An organisation's variant and the forms its new cases use.
#[derive(Serialize, ToSchema)]
pub struct AdaptationDto {
    library: String,
    /// The shipped version.
    shipped_version: String,
    /// The version new cases of the organisation open under: the shipped one, or one
    /// built from its variant or from the nearest one above it.
    version_in_effect: String,
    /// The organisation's own `adaptation.yaml`, if it keeps one.
    spec: Option<String>,
    updated_at: Option<String>,
    /// Whether the caller may change it.
    may_edit: bool,
    /// The forms as new cases of the organisation show them.
    forms: Vec<FormDto>,
}

/// A form.
#[derive(Serialize, ToSchema)]
pub struct FormDto {
    id: String,
    #[schema(value_type = Object)]
    title: TextDto,
    fields: Vec<FieldDto>,
}

impl AdaptationDto {
    fn new(v: &AdaptationView) -> Self {
        Self {
            library: v.library.id().to_owned(),
            shipped_version: v.library.version().to_owned(),
            version_in_effect: v.in_effect.version().to_owned(),
            spec: v.own.as_ref().map(|o| o.spec.clone()),
            updated_at: v.own.as_ref().map(|o| o.updated_at.0.to_string()),
            may_edit: v.may_edit,
            forms: v
                .in_effect
                .forms
                .values()
                .map(|f| FormDto {
                    id: f.id.value.clone(),
                    title: f.title.clone(),
                    fields: f.fields.iter().map(FieldDto::new).collect(),
                })
                .collect(),
        }
    }
}

/// The text of a variant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdaptationBody {
    /// `adaptation.yaml`: `forms:` with, per form, `reword` (labels and help), `hide`
    /// (optional fields) and `add` (optional fields, written as in the library).
    spec: String,
}

/// An organisation's variant of a library's forms, and the forms its new cases use.
#[utoipa::path(get, path = "/organisations/{id}/adaptations/{library}", tag = "organisations",
    params(("id" = Uuid, Path), ("library" = String, Path)),
    responses((status = 200, body = AdaptationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_adaptation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, library)): ApiPath<(Uuid, String)>,
) -> ApiResult<axum::Json<AdaptationDto>> {
    let v = state.app.adaptation(&s.caller, id, &library).await?;
    Ok(axum::Json(AdaptationDto::new(&v)))
}

/// Sets the organisation's variant (its administrators only). A variant with mistakes is
/// refused with each one's line in `error.problems`; cases already opened keep their form.
#[utoipa::path(put, path = "/organisations/{id}/adaptations/{library}", tag = "organisations",
    params(("id" = Uuid, Path), ("library" = String, Path)), request_body = AdaptationBody,
    responses((status = 200, body = AdaptationDto),
        (status = 400, description = "The variant has mistakes", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_adaptation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, library)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<AdaptationBody>,
) -> ApiResult<axum::Json<AdaptationDto>> {
    state.app.adapt(&s.caller, id, &library, &body.spec).await?;
    let v = state.app.adaptation(&s.caller, id, &library).await?;
    Ok(axum::Json(AdaptationDto::new(&v)))
}

/// Removes the organisation's variant: new cases use the form above it again.
#[utoipa::path(delete, path = "/organisations/{id}/adaptations/{library}", tag = "organisations",
    params(("id" = Uuid, Path), ("library" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_adaptation(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, library)): ApiPath<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    state.app.remove_adaptation(&s.caller, id, &library).await?;
    Ok(StatusCode::NO_CONTENT)
}
