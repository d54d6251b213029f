//! Delegating a role one holds (委任): the holder picks a person of the organisation and
//! the days; a mistake is shown beside its field with what was typed kept.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use mamori_app::DelegationInput;
use mamori_app::read::DesignationRow;
use mamori_app::read::PersonRow;
use serde::Deserialize;
use uuid::Uuid;

use super::{FormErrors, Layout, done, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

#[derive(Debug, Default, Deserialize)]
pub struct DelegationForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "designations/delegate.html")]
struct DelegatePage {
    l: Layout,
    d: DesignationRow,
    people: Vec<PersonRow>,
    form: DelegationForm,
    errors: FormErrors,
    summary: Option<String>,
}

async fn page(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    form: DelegationForm,
    errors: FormErrors,
    summary: Option<String>,
) -> Result<Response, Failure> {
    let d = state.app.designation(&s.caller, id).await?;
    // The people one may see, of the organisation the role is held in first; not oneself.
    let people: Vec<PersonRow> = super::persons::people_to_choose(state, s, d.organisation_id)
        .await?
        .into_iter()
        .filter(|p| p.id != s.caller.actor.person)
        .collect();
    Ok(render(&DelegatePage {
        l: Layout::new(s, "delegation-title", "persons"),
        d,
        people,
        form,
        errors,
        summary,
    }))
}

/// `GET /designations/{id}/delegate`.
pub async fn form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
) -> Result<Response, Failure> {
    let form = DelegationForm {
        starts_on: state.app.today().0.to_string(),
        ..Default::default()
    };
    page(&state, &s, id, form, FormErrors::default(), None).await
}

/// `POST /designations/{id}/delegate`.
pub async fn delegate(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<DelegationForm>,
) -> Result<Response, Failure> {
    let input = DelegationInput {
        person: form.person.trim().parse().ok(),
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        note: form.note.clone(),
    };
    match state.app.delegate(&s.caller, id, &input).await {
        Ok(_) => Ok(done(
            &format!("/persons/{}", s.caller.actor.person),
            "designation-delegated",
        )),
        Err(e) => {
            let failure = Failure::from(e);
            if !matches!(failure.status().as_u16(), 400 | 422) {
                return Err(failure);
            }
            let tr = Tr::of(&s);
            let errors = FormErrors::new(tr, &failure.fields());
            let summary = failure.fields().is_empty().then(|| failure.message(tr));
            let mut res = page(&state, &s, id, form, errors, summary).await?;
            *res.status_mut() = failure.status();
            Ok(res)
        }
    }
}
