//! Procedures and cases as pages: what one may start, the list, a new case, a case with its
//! actions, files and history. Forms are drawn by `form_widgets`; a draft is saved before
//! anything else is checked. A rulebook's own panel (the gateway's schedule, the incident
//! report's numbers to call) lives with that rulebook's pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::{ActInput, OpenCase};
use mamori_library::form::Data;
use mamori_library::model::{FieldType, Procedure, Transition};
use serde::Deserialize;
use uuid::Uuid;

use super::{FormErrors, Layout, NoticeQuery, done, form_failure, render, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;
use crate::upload::UploadForm;

mod list;
mod posted;
mod procedures;
mod show;

use show::{case_page, moved_notice};

pub use list::{CaseLine, case_lines, list};
use posted::CaseForm;
pub use procedures::procedures;

use super::form_widgets::{
    FieldView, Posted, Reshape, case_form, errors_for, field_views, suggest,
};
use super::reports::CallsPanel;

// --------------------------------------------------------------------- new --

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    l: Layout,
    procedure: String,
    organisation: Uuid,
    organisation_name: String,
    form_title: String,
    fields: Vec<FieldView>,
    errors: FormErrors,
    summary: Option<String>,
    /// The name of the action that sends the form on, if the form can be sent at once.
    send: Option<String>,
    /// Whom to call, for a procedure that calls first: known before anything is typed.
    calls: Option<CallsPanel>,
    /// The form has a file input: it is posted as multipart.
    takes_files: bool,
}

/// The action that sends a new form on: the first from the draft that is expected of
/// someone (not one that keeps the draft aside, like recording a call, or ends it).
fn sending_action(p: &Procedure) -> Option<&Transition> {
    p.transitions_from(&p.initial_state().id.value)
        .find(|t| t.waits && p.sends_on(t))
}

/// `?procedure=library/procedure&organisation=…`.
#[derive(Deserialize)]
pub struct NewQuery {
    procedure: String,
    organisation: Uuid,
}

async fn new_page(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    procedure: &str,
    organisation: Uuid,
    data: &Data,
    errors: FormErrors,
    reshape: Option<&Reshape>,
) -> Result<Response, Failure> {
    let (lib, proc_id) = state.app.form_for(procedure, organisation).await?;
    let p = &lib.procedures[&proc_id];
    let form_def = lib.form_of(p);
    let l =
        Layout::new(s, "case-new-title", "procedures").titled(Tr::of(s).text(&p.title).to_owned());
    let organisation_name = state
        .app
        .organisation(&s.caller, organisation)
        .await?
        .organisation
        .name;
    let calls = state
        .app
        .plan_for_form(&lib, &proc_id, organisation, data)
        .await?
        .map(CallsPanel::new);
    Ok(render(&NewPage {
        calls,
        takes_files: form_def
            .fields
            .iter()
            .any(|f| f.kind == FieldType::Attachment),
        send: sending_action(p).map(|t| l.tr.text(&t.name).to_owned()),
        fields: {
            let mut views = field_views(l.tr, &form_def.fields, data);
            suggest(&mut views, &form_def.fields, &lib);
            case_form(l.tr, &form_def.fields, &mut views);
            if let Some(r) = reshape {
                r.fit(l.tr, &lib, &form_def.fields, &mut views);
            }
            views
        },
        form_title: l.tr.text(&form_def.title).to_owned(),
        procedure: format!("{}/{proc_id}", lib.id()),
        organisation,
        organisation_name,
        l,
        errors,
        summary: None,
    }))
}

/// `GET /cases/new`: an empty application form.
pub async fn new_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NewQuery>,
) -> Result<Response, Failure> {
    // What mamori knows already (the organisation's name, the person's, the register's
    // rows) fills the form for the person to check.
    let (lib, proc_id) = state.app.form_for(&q.procedure, q.organisation).await?;
    let data = state
        .app
        .prefill(&s.caller, &lib, &proc_id, q.organisation)
        .await?;
    new_page(
        &state,
        &s,
        &q.procedure,
        q.organisation,
        &data,
        FormErrors::default(),
        None,
    )
    .await
}

/// `POST /cases`: opens the draft, with the files chosen in it; "submit" submits it at
/// once. A row added or removed without the script shows the form again instead, unless a
/// file came with it: then the draft is opened so that the file is not lost.
pub async fn create(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    form: CaseForm,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let CaseForm { pairs, files, .. } = form;
    let mut posted = Posted::new(pairs);
    let reshape = Reshape::take(&mut posted);
    let procedure = posted.get("_procedure").to_owned();
    let organisation: Uuid = posted
        .get("_organisation")
        .parse()
        .map_err(|_| Failure::not_found())?;
    let (lib, proc_id) = state.app.form_for(&procedure, organisation).await?;
    let p = &lib.procedures[&proc_id];
    let data = posted.data(&lib.form_of(p).fields);
    if reshape.is_some() && files.is_empty() {
        let errors = FormErrors::default();
        let r = reshape.as_ref();
        return new_page(&state, &s, &procedure, organisation, &data, errors, r).await;
    }
    let opened = state
        .app
        .open_case(
            &s.caller,
            OpenCase {
                procedure: procedure.clone(),
                organisation,
                data: data.clone(),
            },
        )
        .await;
    let id = match opened {
        Ok(id) => id,
        Err(e) => {
            let failure = Failure::from(e);
            if failure.status() != StatusCode::BAD_REQUEST {
                return Err(failure);
            }
            let errors = errors_for(tr, &failure);
            let mut res =
                new_page(&state, &s, &procedure, organisation, &data, errors, None).await?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    if let Err(failure) = attach_all(&state, &s, id, files).await {
        return show_refused(&state, &s, id, None, failure).await;
    }
    if posted.get("_do") != "submit" {
        return Ok(done(&format!("/cases/{id}"), "case-saved"));
    }
    let first = sending_action(p).map(|t| t.action.value.clone());
    let Some(action) = first else {
        return Ok(done(&format!("/cases/{id}"), "case-saved"));
    };
    act_and_show(&state, &s, id, &action, ActInput::default(), posted).await
}

/// Attaches the files chosen in a case's form, each for its field; the first refused stops
/// the rest (the draft is kept, and the page says why).
async fn attach_all(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    files: Vec<(String, mamori_app::Upload)>,
) -> Result<(), Failure> {
    for (field, file) in files {
        state.app.attach(&s.caller, id, file, Some(&field)).await?;
    }
    Ok(())
}

// -------------------------------------------------------------------- show --

/// `GET /cases/{id}`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let notice = q.notice.as_deref();
    let (mut page, v) = case_page(&state, &s, id, None, FormErrors::default(), notice).await?;
    // After an action, say where it left the case rather than that something was done.
    if notice == Some("case-acted") {
        page.l.notice = Some(moved_notice(Tr::of(&s), &v, &page.waiting_on));
    }
    Ok(render(&page))
}

/// Shows the case again after a refused post: each problem under its input (a summary
/// only for those that belong to none), and what was typed when `posted` is given.
pub(super) async fn show_refused(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    posted: Option<&Posted>,
    failure: Failure,
) -> Result<Response, Failure> {
    let tr = Tr::of(s);
    let errors = errors_for(tr, &failure);
    let any = errors.any();
    let (mut page, _) = case_page(state, s, id, posted, errors, None).await?;
    Ok(form_failure(tr, failure, |_, summary| {
        page.summary = if any { None } else { summary };
        render_status(StatusCode::BAD_REQUEST, &page)
    }))
}

/// Shows the case again with a table's row added or removed (see [`Reshape`]): in the
/// draft's form, or in the box of `action`.
async fn show_reshaped(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    posted: &Posted,
    reshape: &Reshape,
    action: Option<&str>,
) -> Result<Response, Failure> {
    let tr = Tr::of(s);
    let (mut page, v) = case_page(state, s, id, Some(posted), FormErrors::default(), None).await?;
    match action {
        None => {
            if let Some(views) = page.edit.as_mut() {
                reshape.fit(tr, &v.library, v.fields(), views);
            }
        }
        Some(action) => {
            let procedure = v.procedure();
            let boxes = page.actions.iter_mut().chain(page.closing.iter_mut());
            if let Some(t) = procedure.transition(action)
                && let Some(b) = boxes.into_iter().find(|b| b.action == action)
            {
                reshape.fit(tr, &v.library, &t.fields, &mut b.fields);
            }
        }
    }
    Ok(render(&page))
}

/// Takes an action and shows the case; a refusal shows the case again with the reasons
/// and what was typed.
async fn act_and_show(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    action: &str,
    input: ActInput,
    posted: Posted,
) -> Result<Response, Failure> {
    match state.app.act(&s.caller, id, action, input).await {
        Ok(_) => Ok(done(&format!("/cases/{id}"), "case-acted")),
        Err(e) => show_refused(state, s, id, Some(&posted), Failure::from(e)).await,
    }
}

/// `POST /cases/{id}`: saves the draft with the files chosen in it, or saves and submits
/// it. A row added or removed without the script shows the form again instead (saving
/// first only when a file came with it, so that the file is not lost).
pub async fn update(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    form: CaseForm,
) -> Result<Response, Failure> {
    let CaseForm { pairs, files, .. } = form;
    let mut posted = Posted::new(pairs);
    let reshape = Reshape::take(&mut posted);
    if let Some(r) = &reshape
        && files.is_empty()
    {
        return show_reshaped(&state, &s, id, &posted, r, None).await;
    }
    let (lib, procedure) = state.app.case_definition(id).await?;
    let data = posted.data(&lib.form_of(&lib.procedures[&procedure]).fields);
    let to = posted.get("_do").to_owned();
    let saving = to == "save" || to.is_empty() || reshape.is_some();
    if saving || !files.is_empty() {
        if let Err(e) = state.app.save_draft(&s.caller, id, data.clone()).await {
            return show_refused(&state, &s, id, Some(&posted), Failure::from(e)).await;
        }
        if let Err(failure) = attach_all(&state, &s, id, files).await {
            return show_refused(&state, &s, id, None, failure).await;
        }
    }
    if saving {
        return Ok(done(&format!("/cases/{id}"), "case-saved"));
    }
    let input = ActInput {
        form: Some(data),
        comment: posted.get("comment").to_owned(),
        ..Default::default()
    };
    act_and_show(&state, &s, id, &to, input, posted).await
}

/// `POST /cases/{id}/actions/{action}`. A row added to or removed from one of the action's
/// tables without the script shows the case again instead, with what was typed.
pub async fn act(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, action)): Path<(Uuid, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let mut pairs = pairs;
    pairs.push(("_action".into(), action.clone()));
    let mut posted = Posted::new(pairs);
    if let Some(r) = Reshape::take(&mut posted) {
        return show_reshaped(&state, &s, id, &posted, &r, Some(&action)).await;
    }
    let (lib, procedure) = state.app.case_definition(id).await?;
    let fields = lib.procedures[&procedure]
        .transition(&action)
        .map(|t| posted.data(&t.fields))
        .unwrap_or_default();
    let given = |name: &str| {
        let v = posted.get(name).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    let input = ActInput {
        fields,
        form: None,
        comment: posted.get("comment").to_owned(),
        unavoidable: given("unavoidable"),
        emergency: given("emergency"),
    };
    act_and_show(&state, &s, id, &action, input, posted).await
}

/// `POST /cases/{id}/attachments`: attaches the chosen file; a refused file shows the
/// case again with the reason under the file input.
pub async fn attach(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    upload: Result<UploadForm, Failure>,
) -> Result<Response, Failure> {
    let result = match upload {
        Ok(UploadForm(upload)) => {
            let field = upload.field("field").to_owned();
            state
                .app
                .attach(&s.caller, id, upload.file, Some(&field))
                .await
                .map_err(Failure::from)
        }
        Err(f) => Err(f),
    };
    match result {
        Ok(_) => Ok(done(&format!("/cases/{id}"), "attachment-added")),
        Err(failure) => show_refused(&state, &s, id, None, failure).await,
    }
}

/// `POST /cases/{id}/bundle`: the case as an encrypted ZIP, downloaded at once; a short
/// password shows the case again with the reason.
pub async fn bundle(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    let password = posted.get("password");
    let result = if password != posted.get("password_confirm") {
        Err(Failure::field(mamori_domain::FieldError {
            field: "password_confirm",
            code: "confirm-mismatch",
            limit: None,
        }))
    } else {
        state
            .app
            .case_bundle(&s.caller, id, password)
            .await
            .map_err(Failure::from)
    };
    match result {
        Ok(zip) => Ok(crate::api::attachments::download_response(zip)),
        Err(failure) => show_refused(&state, &s, id, None, failure).await,
    }
}

/// `POST /cases/{id}/attachments/{attachment}/withdraw`.
pub async fn withdraw_attachment(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, attachment)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    state
        .app
        .withdraw_attachment(&s.caller, id, attachment)
        .await?;
    Ok(done(&format!("/cases/{id}"), "attachment-withdrawn"))
}

/// `POST /cases/{id}/emergencies/{seq}`: ratifies (`_do=ratify`) or rejects an action taken
/// in an emergency.
/// `POST /cases/{id}/hold`: a legal hold with its reason.
pub async fn hold(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    match state
        .app
        .hold_case(&s.caller, id, posted.get("hold_reason"))
        .await
    {
        Ok(()) => Ok(done(&format!("/cases/{id}"), "case-held")),
        Err(e) => show_refused(&state, &s, id, Some(&posted), Failure::from(e)).await,
    }
}

/// `POST /cases/{id}/release`.
pub async fn release(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    match state.app.release_case(&s.caller, id).await {
        Ok(()) => Ok(done(&format!("/cases/{id}"), "case-released")),
        Err(e) => show_refused(&state, &s, id, None, Failure::from(e)).await,
    }
}

pub async fn ratify(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, seq)): Path<(Uuid, i64)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    let accept = posted.get("_do") == "ratify";
    match state
        .app
        .ratify(&s.caller, id, seq, accept, posted.get("comment"))
        .await
    {
        Ok(()) => Ok(done(&format!("/cases/{id}"), "case-acted")),
        Err(e) => show_refused(&state, &s, id, Some(&posted), Failure::from(e)).await,
    }
}
