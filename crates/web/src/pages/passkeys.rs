//! The person's passkeys on their account: the list, removal (a plain form, so it works
//! without JavaScript) and registration (which needs the browser's WebAuthn, driven by
//! `assets/passkey.js` against the `/api/v1/me/passkeys` routes).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Layout, NoticeQuery, done, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage {
    l: Layout,
    passkeys: Vec<PasskeyLine>,
}

/// One passkey in the list.
struct PasskeyLine {
    id: uuid::Uuid,
    name: String,
    created_at: mamori_app::read::Ts,
    last_used_at: Option<mamori_app::read::Ts>,
}

/// `GET /account/passkeys`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let passkeys = state
        .app
        .my_passkeys(&s.caller)
        .await?
        .into_iter()
        .map(|p| PasskeyLine {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect();
    Ok(render(&PasskeysPage {
        l: Layout::new(&s, "passkeys-title", "account").with_notice(q.notice.as_deref()),
        passkeys,
    }))
}

/// A form with nothing but its token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /account/passkeys/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Failure> {
    state
        .app
        .remove_passkey(&s.caller, s.caller.actor.person, id)
        .await?;
    Ok(done("/account/passkeys", "passkey-removed"))
}
