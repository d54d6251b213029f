//! The audit trail page (証跡) and its CSV export.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use mamori_storage::audit::AuditRow;

use super::{Layout, render};
use crate::AppState;
use crate::api::audit::{AuditParams, csv_response};
use crate::error::Failure;
use crate::extract::PageSession;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    l: Layout,
    p: AuditParams,
    rows: Vec<AuditRow>,
    next_before: Option<i64>,
    csv_query: String,
    next_query: String,
}

impl AuditPage {
    fn time(&self, r: &AuditRow) -> String {
        self.l.tr.datetime(r.occurred_at)
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// `GET /audit`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(p): Query<AuditParams>,
) -> Result<Response, Failure> {
    let mut query = p.query()?;
    query.limit = 100;
    let rows = state.app.audit_events(&s.caller, &query).await?;
    let next_before = (rows.len() == 100)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let mut pairs: Vec<(&str, String)> = vec![
        ("action", opt(&p.action)),
        ("outcome", opt(&p.outcome)),
        ("from", opt(&p.from)),
        ("until", opt(&p.until)),
    ];
    if let Some(a) = p.actor {
        pairs.push(("actor", a.to_string()));
    }
    if let Some(o) = p.organisation {
        pairs.push(("organisation", o.to_string()));
    }
    pairs.retain(|(_, v)| !v.is_empty());
    let csv_query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let mut next_pairs = pairs.clone();
    if let Some(b) = next_before {
        next_pairs.push(("before", b.to_string()));
    }
    Ok(render(&AuditPage {
        l: Layout::new(&s, "audit-title", "audit"),
        next_query: serde_urlencoded::to_string(&next_pairs).unwrap_or_default(),
        p,
        rows,
        next_before,
        csv_query,
    }))
}

/// `GET /audit.csv`.
pub async fn csv(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(p): Query<AuditParams>,
) -> Result<Response, Failure> {
    csv_response(&state, &s.caller, Tr(s.locale), &p).await
}
