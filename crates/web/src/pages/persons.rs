//! Pages for people, posts and designations.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::read::PageRequest;
use mamori_app::read::{DesignationFilter, DesignationRow};
use mamori_app::read::{HolderRow, PostRow};
use mamori_app::read::{OrganisationFilter, OrganisationRow};
use mamori_app::read::{PersonFilter, PersonRow};
use mamori_app::{DesignationInput, PersonInput, PersonUpdate, SessionInfo};
use mamori_domain::policy::role;
use serde::Deserialize;
use uuid::Uuid;

use super::{FormErrors, Layout, NoticeQuery, done, form_failure, render};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;
use crate::upload::UploadForm;

const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    organisation: Option<Uuid>,
    offset: Option<i64>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "persons/list.html")]
struct ListPage {
    l: Layout,
    q: String,
    organisation: String,
    rows: Vec<PersonRow>,
    total: i64,
    total_exact: bool,
    next: Option<i64>,
    prev: Option<i64>,
    can_create: bool,
}

/// `GET /persons`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let offset = q.offset.unwrap_or(0).max(0);
    let filter = PersonFilter {
        organisation: q.organisation,
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
    };
    let page = state
        .app
        .persons(
            &s.caller,
            &filter,
            PageRequest::new(Some(PAGE), Some(offset)),
        )
        .await?;
    Ok(render(&ListPage {
        l: Layout::new(&s, "persons-title", "persons").with_notice(q.notice.as_deref()),
        q: q.q.unwrap_or_default(),
        organisation: q.organisation.map(|o| o.to_string()).unwrap_or_default(),
        next: (offset + PAGE < page.total || !page.exact).then_some(offset + PAGE),
        prev: (offset > 0).then_some((offset - PAGE).max(0)),
        total: page.total,
        total_exact: page.exact,
        rows: page.items,
        can_create: s.caller.actor.administers_anything(),
    }))
}

async fn organisations(state: &AppState, s: &SessionInfo) -> Result<Vec<OrganisationRow>, Failure> {
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
#[template(path = "persons/new.html")]
struct NewPage {
    l: Layout,
    form: PersonForm,
    organisations: Vec<OrganisationRow>,
    errors: FormErrors,
    summary: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    initial_password: String,
}

#[derive(Deserialize)]
pub struct NewQuery {
    organisation: Option<Uuid>,
}

/// `GET /persons/new?organisation=…`.
pub async fn new_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NewQuery>,
) -> Result<Response, Failure> {
    let form = PersonForm {
        organisation: q.organisation.map(|o| o.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(&NewPage {
        l: Layout::new(&s, "person-new-title", "persons"),
        form,
        organisations: organisations(&state, &s).await?,
        errors: FormErrors::default(),
        summary: None,
    }))
}

/// `POST /persons`.
pub async fn create(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<PersonForm>,
) -> Result<Response, Failure> {
    let input = PersonInput {
        name: form.name.clone(),
        email: form.email.clone(),
        organisation: form.organisation.trim().parse().ok(),
        initial_password: form.initial_password.clone(),
    };
    match state.app.create_person(&s.caller, &input).await {
        Ok(id) => Ok(done(&format!("/persons/{id}"), "person-created")),
        Err(e) => {
            let orgs = organisations(&state, &s).await?;
            Ok(form_failure(
                Tr::of(&s),
                Failure::from(e),
                |errors, summary| {
                    render(&NewPage {
                        l: Layout::new(&s, "person-new-title", "persons"),
                        // The initial password is not sent back into the page.
                        form: PersonForm {
                            initial_password: String::new(),
                            ..form.clone()
                        },
                        organisations: orgs,
                        errors,
                        summary,
                    })
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "persons/show.html")]
struct ShowPage {
    l: Layout,
    p: PersonRow,
    designations: Vec<DesignationRow>,
    /// Some role is held outside the person's organisation: the page says what that means.
    any_outside: bool,
    can_manage: bool,
    organisations: Vec<OrganisationRow>,
    /// The designations the reader may delegate from this page (their own, of roles their
    /// library lets be delegated, not over).
    delegable: Vec<Uuid>,
}

/// `GET /persons/{id}`.
pub async fn show(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let p = state.app.person(&s.caller, id).await?;
    let can_manage = state.app.may_manage_person(&s.caller, &p).await?;
    let designations = state
        .app
        .designations(
            &s.caller,
            &DesignationFilter {
                person: Some(id),
                ..Default::default()
            },
        )
        .await?;
    let organisations = if can_manage {
        organisations(&state, &s).await?
    } else {
        vec![]
    };
    let l = Layout::new(&s, "persons-title", "persons")
        .with_notice(q.notice.as_deref())
        .titled(p.name.clone());
    let today = state.app.today();
    let delegable = designations
        .iter()
        .filter(|d| {
            p.id == s.caller.actor.person
                && d.delegated_from.is_none()
                && d.ends_on.is_none_or(|e| e >= today)
                && state.app.libraries().delegable(&d.role)
        })
        .map(|d| d.id)
        .collect();
    Ok(render(&ShowPage {
        delegable,
        l,
        p,
        any_outside: designations.iter().any(|d| d.person_outside),
        designations,
        can_manage,
        organisations,
    }))
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    active: Option<String>,
}

/// `POST /persons/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<UpdateForm>,
) -> Result<Response, Failure> {
    let current = state.app.person(&s.caller, id).await?;
    let update = PersonUpdate {
        name: form.name,
        organisation: form
            .organisation
            .trim()
            .parse()
            .unwrap_or(current.organisation_id),
        active: form.active.is_some(),
    };
    state.app.update_person(&s.caller, id, &update).await?;
    Ok(done(&format!("/persons/{id}"), "person-updated"))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

/// `POST /persons/{id}/reset-password`.
pub async fn reset_password(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, Failure> {
    state
        .app
        .reset_password(&s.caller, id, &form.password)
        .await?;
    Ok(done(&format!("/persons/{id}"), "password-reset"))
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /persons/{id}/reset-totp`.
pub async fn reset_totp(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Failure> {
    state.app.reset_totp(&s.caller, id).await?;
    Ok(done(&format!("/persons/{id}"), "totp-reset"))
}

#[derive(Template)]
#[template(path = "posts/show.html")]
struct PostPage {
    l: Layout,
    post: PostRow,
    holders: Vec<HolderRow>,
    people: Vec<PersonRow>,
    can_manage: bool,
    today: String,
}

/// `GET /posts/{id}`.
pub async fn post(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Failure> {
    let (post, holders) = state.app.post(&s.caller, id).await?;
    let v = state
        .app
        .organisation(&s.caller, post.organisation_id)
        .await?;
    let people = if v.can_manage_people {
        state
            .app
            .persons(
                &s.caller,
                &PersonFilter::default(),
                PageRequest::new(Some(200), None),
            )
            .await?
            .items
    } else {
        vec![]
    };
    let l = Layout::new(&s, "post-title", "persons")
        .with_notice(q.notice.as_deref())
        .titled(post.name.clone());
    Ok(render(&PostPage {
        l,
        post,
        holders,
        people,
        can_manage: v.can_manage_people,
        today: state.app.today().0.to_string(),
    }))
}

#[derive(Deserialize)]
pub struct HolderForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

/// `POST /posts/{id}/holders`.
pub async fn assign_post(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<HolderForm>,
) -> Result<Response, Failure> {
    state
        .app
        .assign_post(
            &s.caller,
            id,
            form.person.trim().parse().ok(),
            &form.starts_on,
            &form.ends_on,
        )
        .await?;
    Ok(done(&format!("/posts/{id}"), "post-assigned"))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// `POST /posts/{id}/rename`.
pub async fn rename_post(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RenameForm>,
) -> Result<Response, Failure> {
    state.app.rename_post(&s.caller, id, &form.name).await?;
    Ok(done(&format!("/posts/{id}"), "post-renamed"))
}

#[derive(Template)]
#[template(path = "designations/new.html")]
struct DesignationPage {
    l: Layout,
    form: DesignationForm,
    roles: Vec<(String, String)>,
    organisations: Vec<OrganisationRow>,
    people: Vec<PersonRow>,
    posts: Vec<PostRow>,
    errors: FormErrors,
    summary: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct DesignationForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    note: String,
    /// 「他の組織の人を指定する」 was ticked.
    #[serde(default)]
    from_elsewhere: String,
}

async fn designation_page(
    state: &AppState,
    s: &SessionInfo,
    form: DesignationForm,
    errors: FormErrors,
    summary: Option<String>,
) -> Result<Response, Failure> {
    let l = Layout::new(s, "designation-new-title", "persons");
    let mut roles: Vec<(String, String)> = role::ALL
        .iter()
        .filter(|r| **r != role::SYSTEM_ADMIN || s.caller.actor.is_system_admin())
        .map(|r| (r.to_string(), l.tr.role(r)))
        .collect();
    // The roles the procedure libraries declare, named as the libraries name them.
    for (lib, r) in state.app.libraries().roles() {
        roles.push((
            r.id.value.clone(),
            format!(
                "{}（{}）",
                l.tr.text(&r.name),
                l.tr.text(&lib.manifest.title)
            ),
        ));
    }
    let org: Option<Uuid> = form.organisation.parse().ok();
    // The organisation's own people first: designating someone of another is the
    // exception, and says so.
    let people = people_to_choose(state, s, org).await?;
    let posts = state.app.posts(&s.caller, org).await?;
    Ok(render(&DesignationPage {
        l,
        form,
        roles,
        organisations: organisations(state, s).await?,
        people,
        posts,
        errors,
        summary,
    }))
}

#[derive(Deserialize)]
pub struct DesignationQuery {
    organisation: Option<Uuid>,
    person: Option<Uuid>,
}

/// `GET /designations/new?organisation=…&person=…`.
pub async fn designation_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<DesignationQuery>,
) -> Result<Response, Failure> {
    let form = DesignationForm {
        role: role::ADMINISTRATOR.into(),
        organisation: q.organisation.map(|o| o.to_string()).unwrap_or_default(),
        person: q.person.map(|p| p.to_string()).unwrap_or_default(),
        starts_on: state.app.today().0.to_string(),
        ..Default::default()
    };
    designation_page(&state, &s, form, FormErrors::default(), None).await
}

/// `POST /designations`.
pub async fn designate(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    CsrfForm(form): CsrfForm<DesignationForm>,
) -> Result<Response, Failure> {
    let input = DesignationInput {
        role: form.role.clone(),
        organisation: form.organisation.trim().parse().ok(),
        person: form.person.trim().parse().ok(),
        post: form.post.trim().parse().ok(),
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        note: form.note.clone(),
        from_elsewhere: !form.from_elsewhere.is_empty(),
    };
    match state.app.designate(&s.caller, &input).await {
        Ok(_) => Ok(match input.organisation {
            Some(o) => done(&format!("/organisations/{o}"), "designation-created"),
            None => done("/", "designation-created"),
        }),
        Err(e) => {
            let failure = Failure::from(e);
            if !matches!(failure.status().as_u16(), 400 | 409 | 422) {
                return Err(failure);
            }
            let tr = Tr::of(&s);
            let errors = FormErrors::new(tr, &failure.fields());
            let summary = failure.fields().is_empty().then(|| failure.message(tr));
            let mut res = designation_page(&state, &s, form, errors, summary).await?;
            *res.status_mut() = failure.status();
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    back: String,
}

/// An end of a designation sent back to be corrected: which designation, the day as
/// typed and why it was refused. The page that lists designations shows the reason beside
/// that designation's end-date field only.
#[derive(Default)]
pub struct EndingForm(Option<(Uuid, String, String)>);

impl EndingForm {
    /// The reason, when `designation` is the one sent back.
    pub fn error_for(&self, designation: &Uuid) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|(id, _, _)| id == designation)
            .map(|(_, _, message)| message.as_str())
    }

    /// The day to show in `designation`'s end-date field: as typed when it was sent back,
    /// otherwise `default`.
    pub fn value_for<'a>(&'a self, designation: &Uuid, default: &'a str) -> &'a str {
        self.0
            .as_ref()
            .filter(|(id, _, _)| id == designation)
            .map_or(default, |(_, typed, _)| typed.as_str())
    }
}

/// `POST /designations/{id}/end`. A day it cannot end on (before it began, or not a day)
/// shows the organisation page the form came from again, with the reason beside the field
/// and the day as typed.
pub async fn end_designation(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<EndForm>,
) -> Result<Response, Failure> {
    let ended = state
        .app
        .end_designation(&s.caller, id, Some(&form.ends_on))
        .await;
    // Only our own pages are valid places to return to.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".into()
    };
    let failure = match ended {
        Ok(()) => return Ok(done(&back, "designation-ended")),
        Err(e) => Failure::from(e),
    };
    let fields = failure.fields();
    let from_page = back
        .strip_prefix("/organisations/")
        .and_then(|rest| rest.parse::<Uuid>().ok());
    let (Some(org), true) = (
        from_page,
        matches!(failure.status().as_u16(), 400 | 422) && !fields.is_empty(),
    ) else {
        return Err(failure);
    };
    let errors = FormErrors::new(Tr::of(&s), &fields);
    let message = errors
        .all()
        .first()
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    let ending = EndingForm(Some((id, form.ends_on, message)));
    let mut res =
        super::organisations::show_page(&state, &s, org, None, None, FormErrors::default(), ending)
            .await?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// The people the reader may see, to pick one (whom to designate, to whom to delegate):
/// those of `organisation` first.
pub(super) async fn people_to_choose(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    organisation: Option<Uuid>,
) -> Result<Vec<PersonRow>, Failure> {
    let mut people = state
        .app
        .persons(
            &s.caller,
            &PersonFilter::default(),
            PageRequest::new(Some(200), None),
        )
        .await?
        .items;
    people.sort_by_key(|p| Some(p.organisation_id) != organisation);
    Ok(people)
}

#[derive(Template)]
#[template(path = "persons/import.html")]
struct ImportPage {
    l: Layout,
    organisation: String,
    organisations: Vec<OrganisationRow>,
    errors: FormErrors,
    summary: Option<String>,
    code_days: i64,
}

#[derive(Template)]
#[template(path = "persons/imported.html")]
struct ImportedPage {
    l: Layout,
    people: Vec<mamori_app::ImportedPerson>,
    expires: String,
}

/// `GET /persons/import`: the form to add staff from a workbook.
pub async fn import_form(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<NewQuery>,
) -> Result<Response, Failure> {
    Ok(render(&ImportPage {
        l: Layout::new(&s, "person-import-title", "persons"),
        organisation: q.organisation.map(|o| o.to_string()).unwrap_or_default(),
        organisations: organisations(&state, &s).await?,
        errors: FormErrors::default(),
        summary: None,
        code_days: mamori_app::CODE_DAYS,
    }))
}

/// `POST /persons/import`: adds everyone on the sheet and shows their sign-in codes, once,
/// to print; if any row is wrong nobody is added and the form names each problem.
pub async fn import(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    upload: Result<UploadForm, Failure>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let mut organisation = String::new();
    let result = match upload {
        Ok(UploadForm(u)) => {
            organisation = u.field("organisation").to_owned();
            match u.organisation() {
                Ok(org) => state
                    .app
                    .import_people(&s.caller, org, u.file.content)
                    .await
                    .map_err(Failure::from),
                Err(f) => Err(f),
            }
        }
        Err(f) => Err(f),
    };
    match result {
        Ok(done) => Ok(render(&ImportedPage {
            l: Layout::new(&s, "person-imported-title", "persons"),
            expires: tr.datetime(done.codes_expire_at),
            people: done.people,
        })),
        Err(failure) => {
            let orgs = organisations(&state, &s).await?;
            let errors = super::form_widgets::errors_for(tr, &failure);
            Ok(form_failure(tr, failure, |_, summary| {
                render(&ImportPage {
                    l: Layout::new(&s, "person-import-title", "persons"),
                    organisation,
                    organisations: orgs,
                    errors,
                    summary,
                    code_days: mamori_app::CODE_DAYS,
                })
            }))
        }
    }
}
