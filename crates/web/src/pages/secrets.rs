//! A secret handed over in a case, on its page: who it was shown to and whether they
//! confirmed receiving it, the one showing of its value, and the confirmation.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use mamori_app::{SecretView, Tally};
use uuid::Uuid;

use super::cases::show_refused;
use super::{Layout, done, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

/// A secret as the case page lists it.
pub struct SecretLine {
    pub seq: i64,
    pub field: String,
    pub label: String,
    /// Not shown yet, shown to whom and when, received when.
    pub status: String,
    pub may_reveal: bool,
    pub may_confirm: bool,
}

impl SecretLine {
    pub fn new(tr: Tr, s: &SecretView) -> Self {
        let status = match (&s.shown, s.received_at) {
            (_, Some(at)) => tr.t1("casepage-secret-received", "at", tr.datetime(at)),
            (Some((who, at)), None) => tr.tn(
                "casepage-secret-shown",
                &[("who", who.clone()), ("at", tr.datetime(*at))],
            ),
            (None, None) => tr.t("casepage-secret-waiting"),
        };
        Self {
            seq: s.seq,
            field: s.field.clone(),
            label: tr.text(&s.label).to_owned(),
            status,
            may_reveal: s.may_reveal,
            may_confirm: s.may_confirm,
        }
    }
}

/// The votes of a committee's round, as a line beside its resolution.
pub fn votes_line(tr: Tr, t: &Tally) -> String {
    tr.tn(
        "casepage-votes",
        &[
            ("yes", t.yes.to_string()),
            ("against", t.against.to_string()),
            ("abstain", t.abstain.to_string()),
            ("members", t.members.to_string()),
            ("quorum", t.quorum.to_string()),
        ],
    )
}

#[derive(Template)]
#[template(path = "cases/secret.html")]
struct SecretPage {
    l: Layout,
    id: Uuid,
    seq: i64,
    field: String,
    value: String,
}

/// `POST /cases/{id}/secrets/{seq}/{field}/reveal`: shows the secret this once, never
/// cached; the page offers the confirmation of receipt.
pub async fn reveal(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, seq, field)): Path<(Uuid, i64, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    match state.app.reveal_secret(&s.caller, id, seq, &field).await {
        Ok(value) => {
            let mut response = render(&SecretPage {
                l: Layout::new(&s, "secret-title", "cases"),
                id,
                seq,
                field,
                value,
            });
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(e) => show_refused(&state, &s, id, None, Failure::from(e)).await,
    }
}

/// `POST /cases/{id}/secrets/{seq}/{field}/receipt`: confirms receiving a secret shown.
pub async fn receive(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, seq, field)): Path<(Uuid, i64, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    match state.app.receive_secret(&s.caller, id, seq, &field).await {
        Ok(()) => Ok(done(&format!("/cases/{id}"), "case-acted")),
        Err(e) => show_refused(&state, &s, id, None, Failure::from(e)).await,
    }
}
