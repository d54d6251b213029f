//! `/api/v1/obligations`: the recurring procedures and, per round, who has done them.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use mamori_app::{Board, BoardQuery, Obligation};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use super::cases::TextDto;
use super::dto::ErrorBody;
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiPath, ApiQuery};

/// A recurring procedure and where the targets of its running round stand.
#[derive(Serialize, ToSchema)]
pub struct ObligationDto {
    library: String,
    procedure: String,
    #[schema(value_type = Object)]
    title: TextDto,
    /// How often: `fiscal year`, `6 months`, `on 04-01, 10-01`.
    every: String,
    /// `organisation`, `holder` or `row`.
    for_each: String,
    round: RoundDto,
    tally: TallyDto,
}

/// A round: its first and last day and its name (令和8年度).
#[derive(Serialize, ToSchema)]
pub struct RoundDto {
    starts_on: String,
    ends_on: String,
    label: String,
}

impl From<mamori_domain::recurrence::Round> for RoundDto {
    fn from(r: mamori_domain::recurrence::Round) -> Self {
        Self {
            starts_on: r.starts_on.to_string(),
            ends_on: r.ends_on.to_string(),
            label: r.label(),
        }
    }
}

impl From<Obligation> for ObligationDto {
    fn from(o: Obligation) -> Self {
        Self {
            library: o.library,
            procedure: o.procedure,
            title: o.title,
            every: o.every,
            for_each: format!("{:?}", o.for_each).to_lowercase(),
            round: o.round.into(),
            tally: o.tally.into(),
        }
    }
}

/// How many targets of a round have done it, have not yet, and are overdue.
#[derive(Serialize, ToSchema)]
pub struct TallyDto {
    done: usize,
    open: usize,
    overdue: usize,
}

impl From<mamori_app::RoundTally> for TallyDto {
    fn from(t: mamori_app::RoundTally) -> Self {
        Self {
            done: t.done,
            open: t.open,
            overdue: t.overdue,
        }
    }
}

/// The compliance board of one round.
#[derive(Serialize, ToSchema)]
pub struct BoardDto {
    obligation: ObligationDto,
    round: RoundDto,
    /// Earlier rounds that have cases, latest first.
    rounds: Vec<RoundDto>,
    tally: TallyDto,
    /// Overdue first, then not done, then done; by organisation.
    lines: Vec<BoardLineDto>,
}

/// One target of a round.
#[derive(Serialize, ToSchema)]
pub struct BoardLineDto {
    organisation: Uuid,
    organisation_name: String,
    /// The holder the case was opened for.
    person_name: String,
    /// The register row's key, for a round per row.
    row: Option<String>,
    case: Uuid,
    case_number: String,
    state: String,
    /// `overdue`, `open` or `done`.
    standing: &'static str,
    done_on: Option<String>,
}

impl From<Board> for BoardDto {
    fn from(b: Board) -> Self {
        Self {
            obligation: b.obligation.into(),
            round: b.round.into(),
            rounds: b.rounds.into_iter().map(Into::into).collect(),
            tally: b.tally.into(),
            lines: b
                .lines
                .into_iter()
                .map(|l| BoardLineDto {
                    organisation: l.organisation_id,
                    organisation_name: l.organisation,
                    person_name: l.person,
                    row: l.row,
                    case: l.case_id,
                    case_number: l.case_number,
                    state: l.state.ja,
                    standing: l.standing.as_str(),
                    done_on: l.done_on.map(|d| d.to_string()),
                })
                .collect(),
        }
    }
}

/// Which round and which organisations (shared by the API and the page).
#[derive(Deserialize, IntoParams, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// A day in the round (YYYY-MM-DD); the round running today when not given.
    pub on: Option<String>,
    /// Only this organisation and those below it.
    pub organisation: Option<Uuid>,
    /// Only the targets standing so: `overdue`, `open` or `done` (the tally counts all).
    pub standing: Option<String>,
}

impl BoardParams {
    /// The query, or the field errors in the user's language.
    pub fn query(&self) -> Result<BoardQuery, Failure> {
        let mut errors = mamori_domain::FieldErrors::default();
        let on: Option<Date> = match self.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => errors.take(mamori_domain::period::parse_day("on", raw)),
        };
        let standing = match self
            .standing
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => {
                let parsed = raw.parse().ok();
                if parsed.is_none() {
                    errors.push("standing", "invalid-choice");
                }
                parsed
            }
        };
        if !errors.is_empty() {
            return Err(mamori_app::AppError::Invalid(errors).into());
        }
        Ok(BoardQuery {
            on,
            within: self.organisation,
            standing,
        })
    }
}

/// The recurring procedures of the libraries in use, with the running round's tally in
/// the organisations the caller reads cases of.
#[utoipa::path(get, path = "/obligations", tag = "cases",
    responses((status = 200, body = [ObligationDto])))]
pub async fn list_obligations(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
) -> ApiResult<axum::Json<Vec<ObligationDto>>> {
    let list = state.app.obligations(&s.caller).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

/// Who has done one round of a recurring procedure, who has not, who is overdue.
#[utoipa::path(get, path = "/obligations/{library}/{procedure}", tag = "cases",
    params(("library" = String, Path), ("procedure" = String, Path), BoardParams),
    responses((status = 200, body = BoardDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_compliance_board(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((library, procedure)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<BoardParams>,
) -> ApiResult<axum::Json<BoardDto>> {
    let board = state
        .app
        .compliance_board(
            &s.caller,
            &format!("{library}/{procedure}"),
            params.query()?,
        )
        .await?;
    Ok(axum::Json(board.into()))
}

/// The same board as an Excel workbook (recorded in the audit trail).
#[utoipa::path(get, path = "/obligations/{library}/{procedure}/board.xlsx", tag = "cases",
    params(("library" = String, Path), ("procedure" = String, Path), BoardParams),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_compliance_board(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((library, procedure)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<BoardParams>,
) -> ApiResult<Response> {
    board_workbook(&state, &s.caller, &library, &procedure, &params).await
}

/// The board's workbook as a download (shared with the page).
pub(crate) async fn board_workbook(
    state: &AppState,
    caller: &mamori_app::Caller,
    library: &str,
    procedure: &str,
    params: &BoardParams,
) -> ApiResult<Response> {
    let doc = state
        .app
        .export_compliance_board(caller, &format!("{library}/{procedure}"), params.query()?)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                super::cases::disposition(&doc.file_name, doc.download_name.as_deref()).replacen(
                    "inline",
                    "attachment",
                    1,
                ),
            ),
        ],
        doc.body,
    )
        .into_response())
}
