//! Organisation pages: the list, one organisation with its people, posts, designations
//! and relations, and the forms that change them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_app::read::PageRequest;
use mamori_app::read::PostRow;
use mamori_app::read::{DesignationFilter, DesignationRow};
use mamori_app::read::{OrganisationFilter, OrganisationRow};
use mamori_app::read::{PersonFilter, PersonRow};
use mamori_app::{DeskInput, OrganisationInput, OrganisationView, SessionInfo};
use mamori_domain::organisation::{OrgKind, RelationKind};
use serde::Deserialize;
use uuid::Uuid;

use super::{FormErrors, Layout, NoticeQuery, done, form_failure, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;

const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// Only the direct children of this organisation.
    parent: Option<Uuid>,
    offset: Option<i64>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "organisations/list.html")]
struct ListPage {
    l: Layout,
    q: String,
    parent: String,
    rows: Vec<OrganisationRow>,
    total: i64,
    total_exact: bool,
    next: Option<i64>,
    prev: Option<i64>,
    can_create: bool,
}

/// `GET /organisations`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let offset = q.offset.unwrap_or(0).max(0);
    let search = q.q.clone().filter(|s| !s.trim().is_empty());
    let filter = OrganisationFilter {
        q: search,
        parent: q.parent,
        ..Default::default()
    };
    let page = state
        .app
        .organisations(
            &s.caller,
            &filter,
            PageRequest::new(Some(PAGE), Some(offset)),
        )
        .await?;
    Ok(render(&ListPage {
        l: Layout::new(&s, "organisations-title", "organisations").with_notice(q.notice.as_deref()),
        q: q.q.unwrap_or_default(),
        parent: q.parent.map(|p| p.to_string()).unwrap_or_default(),
        next: (offset + PAGE < page.total || !page.exact).then_some(offset + PAGE),
        prev: (offset > 0).then_some((offset - PAGE).max(0)),
        total: page.total,
        total_exact: page.exact,
        rows: page.items,
        can_create: s.caller.actor.administers_anything(),
    }))
}

/// Organisations offered in a select: those the person can see (at most 200).
async fn options(state: &AppState, s: &SessionInfo) -> Result<Vec<OrganisationRow>, Failure> {
    Ok(state
        .app
        .organisations(
            &s.caller,
            &OrganisationFilter::default(),
            PageRequest::new(Some(200), None),
        )
        .await?
        .items)
}

#[derive(Template)]
#[template(path = "organisations/new.html")]
struct NewPage {
    l: Layout,
    form: OrgForm,
    kinds: Vec<(&'static str, String)>,
    parents: Vec<OrganisationRow>,
    allow_root: bool,
    errors: FormErrors,
    summary: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    require_totp: Option<String>,
}

fn kinds(tr: Tr) -> Vec<(&'static str, String)> {
    OrgKind::ALL
        .iter()
        .map(|k| (k.as_str(), tr.org_kind(k.as_str())))
        .collect()
}

#[derive(Deserialize)]
pub struct NewQuery {
    parent: Option<Uuid>,
}

async fn new_page(
    state: &AppState,
    s: &SessionInfo,
    form: OrgForm,
    errors: FormErrors,
    summary: Option<String>,
) -> Result<Response, Failure> {
    let l = Layout::new(s, "organisation-new-title", "organisations");
    Ok(render(&NewPage {
        kinds: kinds(l.tr),
        l,
        form,
        parents: options(state, s).await?,
        allow_root: s.caller.actor.is_system_admin(),
        errors,
        summary,
    }))
}

/// `GET /organisations/new?parent=…`.
pub async fn new_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NewQuery>,
) -> Result<Response, Failure> {
    let form = OrgForm {
        parent: q.parent.map(|p| p.to_string()).unwrap_or_default(),
        kind: "unit".into(),
        ..Default::default()
    };
    new_page(&state, &s, form, FormErrors::default(), None).await
}

fn parse_id(raw: &str, field: &'static str) -> Result<Option<Uuid>, Failure> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| {
            Failure::field(mamori_domain::FieldError {
                field,
                code: "invalid-choice",
                limit: None,
            })
        }),
    }
}

/// `POST /organisations`.
pub async fn create(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let result = async {
        let input = OrganisationInput {
            name: form.name.clone(),
            kind: form.kind.clone(),
            parent: parse_id(&form.parent, "parent")?,
            require_totp: false,
        };
        Ok::<_, Failure>(state.app.create_organisation(&s.caller, &input).await?)
    }
    .await;
    match result {
        Ok(id) => Ok(done(
            &format!("/organisations/{id}"),
            "organisation-created",
        )),
        Err(failure) => {
            let parents = options(&state, &s).await?;
            Ok(form_failure(tr, failure, |errors, summary| {
                let l = Layout::new(&s, "organisation-new-title", "organisations");
                render(&NewPage {
                    kinds: kinds(l.tr),
                    l,
                    form: form.clone(),
                    parents,
                    allow_root: s.caller.actor.is_system_admin(),
                    errors,
                    summary,
                })
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "organisations/show.html")]
struct ShowPage {
    l: Layout,
    v: OrganisationView,
    people: Vec<PersonRow>,
    people_total: i64,
    people_exact: bool,
    posts: Vec<PostRow>,
    designations: Vec<DesignationRow>,
    others: Vec<OrganisationRow>,
    relation_kinds: Vec<(&'static str, String)>,
    today: String,
    /// Libraries whose forms the organisation may adapt: (id, title).
    libraries: Vec<(String, String)>,
    /// The desk form, as kept or as sent back with `errors`.
    desk: DeskForm,
    errors: FormErrors,
    /// A designation's end sent back to be corrected.
    ending: super::persons::EndingForm,
    /// Organisations report to this one, and the reader may read their roll-up.
    has_reporters: bool,
}

/// The desk an organisation keeps for urgent calls, as its form holds it.
#[derive(Debug, Default, Deserialize)]
pub struct DeskForm {
    #[serde(default)]
    desk_name: String,
    #[serde(default)]
    desk_phone: String,
    #[serde(default)]
    desk_night_phone: String,
}

impl From<Option<&mamori_app::read::DeskRow>> for DeskForm {
    fn from(d: Option<&mamori_app::read::DeskRow>) -> Self {
        d.map(|d| DeskForm {
            desk_name: d.name.clone(),
            desk_phone: d.phone.clone(),
            desk_night_phone: d.night_phone.clone().unwrap_or_default(),
        })
        .unwrap_or_default()
    }
}

/// `POST /organisations/{id}/desk`: keeps the organisation's desk; a number that is not
/// one shows the page again with the message beside the field and what was typed.
pub async fn set_desk(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<DeskForm>,
) -> Result<Response, Failure> {
    let input = DeskInput {
        name: form.desk_name.clone(),
        phone: form.desk_phone.clone(),
        night_phone: form.desk_night_phone.clone(),
    };
    match state.app.set_desk(&s.caller, id, &input).await {
        Ok(()) => Ok(done(&format!("/organisations/{id}#desk"), "desk-saved")),
        Err(e) => {
            let failure = Failure::from(e);
            if failure.status() != StatusCode::UNPROCESSABLE_ENTITY
                && failure.status() != StatusCode::BAD_REQUEST
            {
                return Err(failure);
            }
            let errors = FormErrors::new(Tr::of(&s), &failure.fields());
            let mut res =
                show_page(&state, &s, id, None, Some(form), errors, Default::default()).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

/// `GET /organisations/{id}`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    show_page(
        &state,
        &s,
        id,
        q.notice.as_deref(),
        None,
        FormErrors::default(),
        Default::default(),
    )
    .await
}

/// The organisation page; `desk` and `errors` are a desk form sent back to be corrected,
/// `ending` the end of a designation.
pub(crate) async fn show_page(
    state: &AppState,
    s: &SessionInfo,
    id: Uuid,
    notice: Option<&str>,
    desk: Option<DeskForm>,
    errors: FormErrors,
    ending: super::persons::EndingForm,
) -> Result<Response, Failure> {
    let v = state.app.organisation(&s.caller, id).await?;
    let (people, (people_total, people_exact), posts, designations) = if v.can_view_people {
        let page = state
            .app
            .persons(
                &s.caller,
                &PersonFilter {
                    organisation: Some(id),
                    q: None,
                },
                PageRequest::new(Some(PAGE), None),
            )
            .await?;
        let posts = state.app.posts(&s.caller, Some(id)).await?;
        let designations = state
            .app
            .designations(
                &s.caller,
                &DesignationFilter {
                    organisation: Some(id),
                    ..Default::default()
                },
            )
            .await?;
        (page.items, (page.total, page.exact), posts, designations)
    } else {
        (vec![], (0, true), vec![], vec![])
    };
    let others = if v.can_manage {
        options(state, s)
            .await?
            .into_iter()
            .filter(|o| o.id != id)
            .collect()
    } else {
        vec![]
    };
    let l = Layout::new(s, "organisations-title", "organisations")
        .with_notice(notice)
        .titled(v.organisation.name.clone());
    let desk = desk.unwrap_or_else(|| DeskForm::from(v.desk.as_ref()));
    // The roll-up is read by whoever reads the organisation's cases: the same people as its
    // people (members, administrators, auditors).
    let has_reporters = v.can_view_people
        && v.relations.iter().any(|r| {
            r.kind == RelationKind::ReportsTo.as_str() && r.to_id == id && r.accepted_at.is_some()
        });
    Ok(render(&ShowPage {
        has_reporters,
        desk,
        errors,
        ending,
        relation_kinds: RelationKind::ALL
            .iter()
            .map(|k| (k.as_str(), l.tr.relation(k.as_str())))
            .collect(),
        today: state.app.today().0.to_string(),
        libraries: state
            .app
            .libraries()
            .current()
            .map(|lib| {
                (
                    lib.id().to_owned(),
                    l.tr.text(&lib.manifest.title).to_owned(),
                )
            })
            .collect(),
        l,
        v,
        people,
        people_total,
        people_exact,
        posts,
        designations,
        others,
    }))
}

#[derive(Template)]
#[template(path = "organisations/edit.html")]
struct EditPage {
    l: Layout,
    id: Uuid,
    form: OrgForm,
    kinds: Vec<(&'static str, String)>,
    parents: Vec<OrganisationRow>,
    current_parent: String,
    allow_root: bool,
    errors: FormErrors,
    summary: Option<String>,
}

async fn edit_page(
    state: &AppState,
    s: &SessionInfo,
    id: Uuid,
    form: OrgForm,
    errors: FormErrors,
    summary: Option<String>,
) -> Result<Response, Failure> {
    let v = state.app.organisation(&s.caller, id).await?;
    let l = Layout::new(s, "organisation-edit-title", "organisations");
    // Offer only parents outside the organisation's own subtree.
    let subtree = state.app.organisation_subtree(&s.caller, id).await?;
    let parents: Vec<OrganisationRow> = options(state, s)
        .await?
        .into_iter()
        .filter(|o| !subtree.contains(&o.id))
        .collect();
    Ok(render(&EditPage {
        kinds: kinds(l.tr),
        l,
        id,
        form,
        parents,
        current_parent: v
            .organisation
            .parent_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        allow_root: s.caller.actor.is_system_admin(),
        errors,
        summary,
    }))
}

/// `GET /organisations/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
) -> Result<Response, Failure> {
    let v = state.app.organisation(&s.caller, id).await?;
    if !v.can_manage {
        return Err(mamori_app::AppError::Forbidden.into());
    }
    let o = v.organisation;
    let form = OrgForm {
        name: o.name,
        kind: o.kind,
        parent: String::new(),
        require_totp: o.require_totp.then(|| "on".into()),
    };
    edit_page(&state, &s, id, form, FormErrors::default(), None).await
}

/// `POST /organisations/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, Failure> {
    let input = OrganisationInput {
        name: form.name.clone(),
        kind: form.kind.clone(),
        parent: None,
        require_totp: form.require_totp.is_some(),
    };
    match state.app.update_organisation(&s.caller, id, &input).await {
        Ok(()) => Ok(done(
            &format!("/organisations/{id}"),
            "organisation-updated",
        )),
        Err(e) => {
            let failure = Failure::from(e);
            if !matches!(failure.status().as_u16(), 400 | 409 | 422) {
                return Err(failure);
            }
            let tr = Tr::of(&s);
            let errors = FormErrors::new(tr, &failure.fields());
            let mut res = edit_page(&state, &s, id, form, errors, None).await?;
            *res.status_mut() = failure.status();
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    parent: String,
}

/// `POST /organisations/{id}/move`.
pub async fn move_to(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> Result<Response, Failure> {
    let parent = parse_id(&form.parent, "parent")?;
    state.app.move_organisation(&s.caller, id, parent).await?;
    Ok(done(&format!("/organisations/{id}"), "organisation-moved"))
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /organisations/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Failure> {
    let parent = state
        .app
        .organisation(&s.caller, id)
        .await?
        .organisation
        .parent_id;
    state.app.delete_organisation(&s.caller, id).await?;
    Ok(match parent {
        Some(p) => done(&format!("/organisations/{p}"), "organisation-deleted"),
        None => done("/organisations", "organisation-deleted"),
    })
}

#[derive(Deserialize)]
pub struct RelationForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    other: String,
}

/// `POST /organisations/{id}/relations`.
pub async fn add_relation(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RelationForm>,
) -> Result<Response, Failure> {
    let other = parse_id(&form.other, "other")?.ok_or_else(|| {
        Failure::field(mamori_domain::FieldError {
            field: "other",
            code: "required",
            limit: None,
        })
    })?;
    state
        .app
        .add_relation(&s.caller, id, &form.kind, other)
        .await?;
    Ok(done(&format!("/organisations/{id}"), "relation-added"))
}

/// `POST /relations/{id}/accept`.
pub async fn accept_relation(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<BackForm>,
) -> Result<Response, Failure> {
    state.app.accept_relation(&s.caller, id).await?;
    let back = parse_id(&form.back, "back")?
        .map(|o| format!("/organisations/{o}"))
        .unwrap_or_else(|| "/organisations".into());
    Ok(done(&back, "relation-accepted"))
}

/// `POST /relations/{id}/delete`.
pub async fn remove_relation(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<BackForm>,
) -> Result<Response, Failure> {
    state.app.remove_relation(&s.caller, id).await?;
    let back = parse_id(&form.back, "back")?
        .map(|o| format!("/organisations/{o}"))
        .unwrap_or_else(|| "/organisations".into());
    Ok(done(&back, "relation-removed"))
}

#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

#[derive(Deserialize)]
pub struct PostForm {
    #[serde(default)]
    name: String,
}

/// `POST /organisations/{id}/posts`.
pub async fn add_post(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<PostForm>,
) -> Result<Response, Failure> {
    let post = state.app.create_post(&s.caller, id, &form.name).await?;
    Ok(Redirect::to(&format!("/posts/{post}?notice=post-created")).into_response())
}
