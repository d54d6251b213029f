//! `/api/v1/assessments`: catalogs answered for organisations, a page of requirements at
//! a time, with their findings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::read::PageRequest;
use mamori_app::read::{AnswerRow, AssessmentRow};
use mamori_app::{AnswerInput, AssessmentView, Finding, StartAssessment};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cases::TextDto;
use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// An assessment in a list.
#[derive(Serialize, ToSchema)]
pub struct AssessmentSummary {
    id: Uuid,
    title: String,
    /// `library/catalog`.
    catalog: String,
    library_version: String,
    organisation: Uuid,
    organisation_name: String,
    /// `open` or `submitted`.
    state: String,
    created_at: String,
    submitted_at: Option<String>,
    /// The campaign it is part of.
    campaign: Option<Uuid>,
}

impl From<AssessmentRow> for AssessmentSummary {
    fn from(r: AssessmentRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            catalog: format!("{}/{}", r.library_id, r.catalog_id),
            library_version: r.library_version,
            organisation: r.organisation_id,
            organisation_name: r.organisation_name,
            state: r.state,
            created_at: r.created_at.0.to_string(),
            submitted_at: r.submitted_at.map(|t| t.0.to_string()),
            campaign: r.parent_id,
        }
    }
}

/// A page of assessments.
#[derive(Serialize, ToSchema)]
pub struct AssessmentList {
    items: Vec<AssessmentSummary>,
    /// Counted up to 1,000; see `total_exact`.
    total: i64,
    /// Whether `total` is exact; if not, at least that many.
    total_exact: bool,
}

/// Paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Rows per page (1–200, default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// Start an assessment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentCreate {
    /// `library/catalog`, or a catalog id only one library has.
    catalog: String,
    /// The organisation answering.
    organisation: Uuid,
    /// Title.
    title: String,
    /// The groups asked; all when left out.
    #[serde(default)]
    groups: Vec<String>,
    /// Run it as a campaign: one assessment for every organisation directly below
    /// `organisation`, totalled on this one (for whoever the catalog's `campaign_by` names).
    #[serde(default)]
    campaign: bool,
}

/// An answer.
#[derive(Serialize, ToSchema)]
pub struct AnswerDto {
    /// `yes`, `no`, `na` or an option id.
    answer: String,
    /// `pass`, `fail` or `not_applicable`.
    outcome: String,
    note: String,
    answered_by: String,
    answered_at: String,
    /// The remediation case a finding opened, if any.
    remediation_case: Option<Uuid>,
}

impl From<AnswerRow> for AnswerDto {
    fn from(a: AnswerRow) -> Self {
        Self {
            answer: a.answer,
            outcome: a.outcome,
            note: a.note,
            answered_by: a.answered_by_name,
            answered_at: a.answered_at.0.to_string(),
            remediation_case: a.remediation_case,
        }
    }
}

/// A requirement with its answer.
#[derive(Serialize, ToSchema)]
pub struct RequirementDto {
    /// The original's id (`5.3(1)①`).
    id: String,
    depth: usize,
    #[schema(value_type = Object)]
    text: TextDto,
    /// `yes_no`, `choice` or `none` (a heading).
    question: &'static str,
    /// For a choice.
    options: Vec<super::cases::NamedDto>,
    /// Asked in this assessment (its group, and earlier answers).
    applies: bool,
    answer: Option<AnswerDto>,
    /// The evidence linked to it.
    evidence: Vec<super::evidence::EvidenceDto>,
}

/// An assessment with a page of its requirements.
#[derive(Serialize, ToSchema)]
pub struct AssessmentDetail {
    #[serde(flatten)]
    summary: AssessmentSummary,
    groups: Vec<String>,
    /// Requirements asked, and how many have no answer yet.
    asked: usize,
    unanswered: usize,
    pass: i64,
    fail: i64,
    not_applicable: i64,
    /// Weight passed over weight scored, in percent.
    score: Option<u32>,
    may_answer: bool,
    /// Requirements in all (headings included), to page through.
    total: usize,
    requirements: Vec<RequirementDto>,
    /// For a campaign: its parts, each with its answers counted.
    parts: Vec<PartDto>,
}

/// A part of a campaign.
#[derive(Serialize, ToSchema)]
pub struct PartDto {
    id: Uuid,
    organisation: Uuid,
    organisation_name: String,
    state: String,
    answered: i64,
    pass: i64,
    fail: i64,
    not_applicable: i64,
}

impl AssessmentDetail {
    fn new(v: AssessmentView) -> Self {
        Self {
            groups: v.groups.clone(),
            asked: v.asked,
            unanswered: v.unanswered,
            pass: v.tally.pass,
            fail: v.tally.fail,
            not_applicable: v.tally.not_applicable,
            score: v.score(),
            may_answer: v.may_answer,
            total: v.total,
            requirements: v
                .page
                .into_iter()
                .map(|r| RequirementDto {
                    id: r.id,
                    depth: r.depth,
                    text: r.text,
                    question: r.question.as_str(),
                    options: r
                        .options
                        .into_iter()
                        .map(|(id, name)| super::cases::NamedDto { id, name })
                        .collect(),
                    applies: r.applies,
                    answer: r.answer.map(Into::into),
                    evidence: r.evidence.into_iter().map(Into::into).collect(),
                })
                .collect(),
            parts: v
                .parts
                .into_iter()
                .map(|p| PartDto {
                    id: p.row.id,
                    organisation: p.row.organisation_id,
                    organisation_name: p.row.organisation_name,
                    state: p.row.state,
                    answered: p.answered,
                    pass: p.tally.pass,
                    fail: p.tally.fail,
                    not_applicable: p.tally.not_applicable,
                })
                .collect(),
            summary: v.row.into(),
        }
    }
}

/// Answers to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    answers: Vec<AnswerBody>,
}

/// One answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    requirement: String,
    /// `yes`, `no`, `na` (with a reason in `note`) or an option id; "" takes it back.
    answer: String,
    #[serde(default)]
    note: String,
}

/// A finding.
#[derive(Serialize, ToSchema)]
pub struct FindingDto {
    requirement: String,
    #[schema(value_type = Object)]
    text: TextDto,
    answer: AnswerDto,
}

impl From<Finding> for FindingDto {
    fn from(f: Finding) -> Self {
        Self {
            requirement: f.requirement,
            text: f.text,
            answer: f.answer.into(),
        }
    }
}

/// Assessments of the organisations whose cases the caller may read, newest first.
#[utoipa::path(get, path = "/assessments", tag = "assessments", params(PageQuery),
    responses((status = 200, body = AssessmentList), (status = 401, body = ErrorBody)))]
pub async fn list_assessments(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<AssessmentList>> {
    let page = state
        .app
        .assessments(&s.caller, PageRequest::new(q.limit, q.offset))
        .await?;
    Ok(axum::Json(AssessmentList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
        total_exact: page.exact,
    }))
}

/// Start an assessment of an organisation (whoever the catalog names there).
#[utoipa::path(post, path = "/assessments", tag = "assessments", request_body = AssessmentCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "No such catalog", body = ErrorBody)))]
pub async fn create_assessment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<AssessmentCreate>,
) -> ApiResult<Response> {
    let input = StartAssessment {
        catalog: body.catalog,
        organisation: body.organisation,
        title: body.title,
        groups: body.groups,
    };
    let id = if body.campaign {
        state.app.start_campaign(&s.caller, input).await?
    } else {
        state.app.start_assessment(&s.caller, input).await?
    };
    Ok(created(format!("/api/v1/assessments/{id}"), id))
}

/// An assessment: its summary (counted in the database) and a page of requirements.
#[utoipa::path(get, path = "/assessments/{id}", tag = "assessments",
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = AssessmentDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<AssessmentDetail>> {
    let v = state
        .app
        .assessment(&s.caller, id, PageRequest::new(q.limit, q.offset))
        .await?;
    Ok(axum::Json(AssessmentDetail::new(v)))
}

/// Record answers; if any is wrong, none is stored and each is named.
#[utoipa::path(put, path = "/assessments/{id}/answers", tag = "assessments",
    params(("id" = Uuid, Path)), request_body = AnswersBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Already submitted", body = ErrorBody)))]
pub async fn answer_assessment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AnswersBody>,
) -> ApiResult<StatusCode> {
    let input = body
        .answers
        .into_iter()
        .map(|a| AnswerInput {
            requirement: a.requirement,
            answer: a.answer,
            note: a.note,
        })
        .collect();
    state.app.answer_assessment(&s.caller, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submit once every requirement asked is answered; what is missing is named.
#[utoipa::path(post, path = "/assessments/{id}/submit", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, description = "Requirements without an answer", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn submit_assessment(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state.app.submit_assessment(&s.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The requirements answered as not met, in the catalog's order.
#[utoipa::path(get, path = "/assessments/{id}/findings", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<FindingDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_findings(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<FindingDto>>> {
    let found = state.app.findings(&s.caller, id).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}
