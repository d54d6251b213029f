//! `/api/v1/audit`: reading and exporting the audit trail.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_app::AuditQuery;
use mamori_app::audit_sentences::DescribedEvent;
use mamori_app::read::Ts;
use mamori_app::read::{AuditFilter, AuditRow};
use mamori_domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::ApiResult;
use super::dto::{AuditList, ErrorBody};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiQuery, request_locale};
use crate::i18n::Tr;

/// Filters for the trail (shared by the API, the page and the CSV export).
#[derive(Deserialize, IntoParams, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Action, or its beginning (`person.` for every person event).
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<Uuid>,
    /// Only this organisation and its subtree.
    pub organisation: Option<Uuid>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// From this day (YYYY-MM-DD, Japan time) or instant (RFC 3339).
    pub from: Option<String>,
    /// Until this day (inclusive) or instant (exclusive).
    pub until: Option<String>,
    /// Only events older than this sequence number (paging).
    pub before: Option<i64>,
    /// Rows (1–1000, default 100).
    pub limit: Option<i64>,
}

fn instant(field: &'static str, raw: &str, end_of_day: bool) -> Result<Ts, FieldError> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(Ts(t));
    }
    let day = mamori_domain::period::parse_day(field, raw)?;
    let day = if end_of_day {
        day.tomorrow().map_err(|_| FieldError {
            field,
            code: "invalid-date",
            limit: None,
        })?
    } else {
        day
    };
    let zone = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC);
    day.to_zoned(zone)
        .map(|z| Ts(z.timestamp()))
        .map_err(|_| FieldError {
            field,
            code: "invalid-date",
            limit: None,
        })
}

impl AuditParams {
    /// The storage filter, or the field errors of the query.
    pub fn query(&self) -> Result<AuditQuery, Failure> {
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut errors = mamori_domain::FieldErrors::default();
        let from = blank(&self.from).and_then(|f| errors.take(instant("from", &f, false)));
        let until = blank(&self.until).and_then(|u| errors.take(instant("until", &u, true)));
        let outcome = blank(&self.outcome);
        if outcome
            .as_deref()
            .is_some_and(|o| !["success", "denied", "failure"].contains(&o))
        {
            errors.push("outcome", "invalid-choice");
        }
        if !errors.is_empty() {
            return Err(mamori_app::AppError::Invalid(errors).into());
        }
        Ok(AuditQuery {
            filter: AuditFilter {
                action: blank(&self.action),
                actor: self.actor,
                organisation: self.organisation,
                outcome,
                from,
                until,
                before_seq: self.before,
            },
            limit: self.limit.unwrap_or(100),
        })
    }
}

/// The trail the caller may read (administrators and auditors: their subtrees), newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<axum::Json<AuditList>> {
    let query = params.query()?;
    let rows = state.app.audit_events(&s.caller, &query).await?;
    let next_before = (rows.len() as i64 == query.limit.clamp(1, 1000))
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(axum::Json(AuditList {
        items: rows.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

/// The same events as CSV (UTF-8 with BOM, so Excel opens it correctly), all pages.
#[utoipa::path(get, path = "/audit.csv", tag = "audit", params(AuditParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export_audit_csv(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    headers: axum::http::HeaderMap,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    csv_response(&state, &s.caller, request_locale(&headers), &params).await
}

/// Builds the CSV download for `params` (shared with the audit page).
pub(crate) async fn csv_response(
    state: &AppState,
    caller: &mamori_app::Caller,
    tr: Tr,
    params: &AuditParams,
) -> ApiResult<Response> {
    let mut query = params.query()?;
    query.limit = 1000;
    let mut rows: Vec<AuditRow> = Vec::new();
    // Page through everything that matches; a cap keeps one export from exhausting memory.
    while rows.len() < 200_000 {
        let page = state.app.audit_events(caller, &query).await?;
        let done = page.len() < 1000;
        query.filter.before_seq = page.last().map(|r| r.seq);
        rows.extend(page);
        if done {
            break;
        }
    }
    // Each row also told as a sentence, the raw columns kept for machines.
    let events = state.app.describe_audit_events(rows).await?;
    let body = to_csv(tr, &events)
        .map_err(|e| Failure::from(mamori_app::AppError::Internal(e.to_string())))?;
    let name = format!(
        "mamori-audit-{}.csv",
        jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A cell that a spreadsheet would run as a formula is quoted as text.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn to_csv(tr: Tr, events: &[DescribedEvent]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            tr.t("audit-col-seq"),
            tr.t("audit-col-time"),
            tr.t("audit-col-actor"),
            tr.t("audit-col-actor-id"),
            tr.t("audit-col-organisation"),
            tr.t("audit-col-organisation-id"),
            tr.t("audit-col-action"),
            tr.t("audit-col-target"),
            tr.t("audit-col-target-id"),
            tr.t("audit-col-outcome"),
            tr.t("audit-col-ip"),
            tr.t("audit-col-detail"),
            tr.t("audit-col-hash"),
            tr.t("audit-col-sentence"),
        ])?;
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC);
        for e in events {
            let r = &e.row;
            w.write_record([
                r.seq.to_string(),
                // Japan time with its offset: readable, and still exact for machines.
                r.occurred_at
                    .0
                    .to_zoned(tokyo.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
                    .to_string(),
                cell(r.actor_name.as_deref().unwrap_or("")),
                r.actor_id.map(|u| u.to_string()).unwrap_or_default(),
                cell(r.organisation_name.as_deref().unwrap_or("")),
                r.organisation_id.map(|u| u.to_string()).unwrap_or_default(),
                r.action.clone(),
                r.target_kind.clone(),
                r.target_id.clone().unwrap_or_default(),
                r.outcome.clone(),
                r.ip.clone().unwrap_or_default(),
                cell(&r.detail),
                mamori_domain::audit::hex(&r.hash),
                cell(&crate::pages::audit::say(tr, &e.sentence)),
            ])?;
        }
        w.flush()?;
    }
    Ok(out)
}
