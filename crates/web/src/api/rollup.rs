//! `/api/v1/organisations/{id}/rollup`: what the organisations reporting to a body (a
//! prefecture's municipalities) report of their yearly cycle.

use axum::extract::State;
use mamori_app::Rollup;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::cases::TextDto;
use super::dto::ErrorBody;
use super::obligations::RoundDto;
use crate::AppState;
use crate::extract::{ApiCaller, ApiPath};

/// A procedure whose running round is reported up.
#[derive(Serialize, ToSchema)]
pub struct RolledRoundDto {
    library: String,
    procedure: String,
    #[schema(value_type = Object)]
    title: TextDto,
    round: RoundDto,
}

/// A catalog whose scores are reported up.
#[derive(Serialize, ToSchema)]
pub struct RolledCatalogDto {
    library: String,
    catalog: String,
    #[schema(value_type = Object)]
    title: TextDto,
}

/// How many of a round's targets in the reporting organisation have done it.
#[derive(Serialize, ToSchema)]
pub struct DoneDto {
    done: i64,
    total: i64,
}

/// The assessments submitted in the fiscal year and the share of their weight that passed.
#[derive(Serialize, ToSchema)]
pub struct ScoreDto {
    submitted: i64,
    /// In percent; absent before anything is scored.
    score: Option<u32>,
}

/// One reporting organisation.
#[derive(Serialize, ToSchema)]
pub struct RollupLineDto {
    organisation: Uuid,
    name: String,
    /// In the order of `rounds`.
    rounds: Vec<DoneDto>,
    /// In the order of `catalogs`.
    scores: Vec<ScoreDto>,
    /// Open cases reported to this body.
    reported_open: i64,
    /// When the earliest of them was reported.
    earliest_reported: Option<String>,
}

/// The roll-up.
#[derive(Serialize, ToSchema)]
pub struct RollupDto {
    organisation: Uuid,
    name: String,
    /// The fiscal year the scores are of.
    fiscal_year: RoundDto,
    rounds: Vec<RolledRoundDto>,
    catalogs: Vec<RolledCatalogDto>,
    /// By name.
    lines: Vec<RollupLineDto>,
}

impl From<Rollup> for RollupDto {
    fn from(r: Rollup) -> Self {
        Self {
            organisation: r.organisation,
            name: r.name,
            fiscal_year: r.fiscal_year.into(),
            rounds: r
                .rounds
                .into_iter()
                .map(|x| RolledRoundDto {
                    library: x.library,
                    procedure: x.procedure,
                    title: x.title,
                    round: x.round.into(),
                })
                .collect(),
            catalogs: r
                .catalogs
                .into_iter()
                .map(|c| RolledCatalogDto {
                    library: c.library,
                    catalog: c.catalog,
                    title: c.title,
                })
                .collect(),
            lines: r
                .lines
                .into_iter()
                .map(|l| RollupLineDto {
                    organisation: l.organisation,
                    name: l.name,
                    rounds: l
                        .rounds
                        .into_iter()
                        .map(|d| DoneDto {
                            done: d.done,
                            total: d.total,
                        })
                        .collect(),
                    scores: l
                        .scores
                        .into_iter()
                        .map(|s| ScoreDto {
                            submitted: s.submitted,
                            score: s.percent,
                        })
                        .collect(),
                    reported_open: l.reported_open,
                    earliest_reported: l.earliest_reported.map(|t| t.to_string()),
                })
                .collect(),
        }
    }
}

/// The roll-up of the organisations that report to this one (relation `reports_to`,
/// accepted): rounds done, self-check scores and open incidents reported, per organisation.
/// For those who read this organisation's cases.
#[utoipa::path(get, path = "/organisations/{id}/rollup", tag = "organisations",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RollupDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_rollup(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<RollupDto>> {
    Ok(axum::Json(state.app.rollup(&s.caller, id).await?.into()))
}
