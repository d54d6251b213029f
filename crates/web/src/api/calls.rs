//! Whom to telephone before a report is sent (`GET /cases/{id}/calls`).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::dto::ErrorBody;
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiPath};

/// The numbers to call now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallPlanDto {
    /// The case's organisation is a subcontractor: it calls these prime contractors first.
    pub primes: Vec<String>,
    /// The desks those prime contractors keep, in the same order; `desk` is absent where a
    /// prime has recorded none.
    pub prime_desks: Vec<PrimeDeskDto>,
    /// The report came from this subcontractor and is held by its prime now.
    pub forwarded_from: Option<String>,
    /// The Ministry's contacts, each with the number to call now.
    pub calls: Vec<CallDto>,
    /// Government offices are open now; otherwise night and holiday numbers are given.
    pub office_hours: bool,
    /// Organisations the form names that the directory does not list; the contact of last
    /// resort is among `calls` for them.
    pub unmatched: Vec<String>,
    /// Whom to call when a desk cannot be reached, in office hours as at night.
    pub last_resort: Option<LastResortDto>,
}

/// A prime contractor's desk for urgent calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrimeDeskDto {
    /// The prime contractor.
    pub organisation: String,
    /// Its desk, if it recorded one.
    pub desk: Option<String>,
    /// The number to call now.
    pub number: Option<String>,
}

/// The contact of last resort, with both its numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastResortDto {
    /// The desk.
    pub desk: String,
    /// Its number in office hours.
    pub phone: String,
    /// Its number at night and on holidays.
    pub night_phone: Option<String>,
}

/// One contact to call.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDto {
    /// The contracting organisation it serves.
    pub organisation: String,
    /// The desk.
    pub desk: String,
    /// The number to call now.
    pub number: String,
    /// The contact of last resort.
    pub fallback: bool,
}

/// Whom to telephone for a case whose procedure asks for a call before the form.
#[utoipa::path(get, path = "/cases/{id}/calls", tag = "cases",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CallPlanDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such case, or its procedure asks for no call", body = ErrorBody)))]
pub async fn get_calls(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CallPlanDto>> {
    let plan = state
        .app
        .call_plan(&s.caller, id)
        .await?
        .ok_or_else(Failure::not_found)?;
    Ok(axum::Json(CallPlanDto {
        primes: plan.primes.iter().map(|p| p.organisation.clone()).collect(),
        prime_desks: plan
            .primes
            .into_iter()
            .map(|p| PrimeDeskDto {
                organisation: p.organisation,
                desk: p.desk.map(|d| d.desk),
                number: p.number,
            })
            .collect(),
        forwarded_from: plan.forwarded_from,
        calls: plan
            .calls
            .into_iter()
            .map(|c| CallDto {
                organisation: c.contact.organisation,
                desk: c.contact.desk,
                number: c.number,
                fallback: c.fallback,
            })
            .collect(),
        office_hours: plan.office_hours,
        unmatched: plan.unmatched,
        last_resort: plan.last_resort.map(|c| LastResortDto {
            desk: c.desk,
            phone: c.phone,
            night_phone: c.night_phone,
        }),
    }))
}
