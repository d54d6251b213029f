//! Registers (台帳) as pages: the rows, a row with its history, adding and correcting rows
//! by hand, retiring them, and Excel export and import.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::{RegisterView, RowView, SessionInfo};
use mamori_library::form::{self, Data};
use mamori_library::model::{Field, FieldType, Register, RowDateMeaning};
use serde::Deserialize;
use uuid::Uuid;

use super::form_widgets::{FieldView, Posted, errors_for, field_views};
use super::{FormErrors, Layout, done, form_failure, render, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;
use crate::upload::UploadForm;

#[derive(Template)]
#[template(path = "registers/list.html")]
struct ListPage {
    l: Layout,
    id: String,
    retired: bool,
    columns: Vec<String>,
    rows: Vec<RowLine>,
    /// The rows shipped with the library (a directory), as every installation reads them
    /// until an organisation keeps its own row under the same key.
    shipped: Vec<Vec<String>>,
    /// Documents printed from the rows (a ledger as its paper form): (file, title).
    documents: Vec<(String, String)>,
    /// Organisations where the reader may add and import: (id, name).
    editable_in: Vec<(Uuid, String)>,
    /// The add form.
    fields: Vec<FieldView>,
    organisation: String,
    errors: FormErrors,
    summary: Option<String>,
    /// Which form the errors belong to: `filter`, `add`, `import` or `export`.
    failed: &'static str,
    /// The filter form: a list for each column of choices, and a column and a value for
    /// the others, as the reader left them.
    finder: FilterForm,
    /// How many rows the filters let through, and whether that is exact.
    total: i64,
    total_exact: bool,
    /// Whether any filter is in force (an empty page then says that nothing matched).
    filtered: bool,
    /// The query of this listing without its offset, ending in `&` (for the pager).
    query: String,
    prev: Option<i64>,
    next: Option<i64>,
}

/// The register page's filter form.
#[derive(Default)]
struct FilterForm {
    /// Columns of choices (class axes among them): a list each.
    choices: Vec<ChoiceFilter>,
    /// The other columns a value can be matched in: (id, label).
    columns: Vec<(String, String)>,
    /// The column chosen for `value`.
    column: String,
    /// The value typed.
    value: String,
    /// The filter the value is for (`filter[column]`), to name its mistakes.
    value_name: String,
}

/// A list of a column's options, with the one chosen.
struct ChoiceFilter {
    /// `filter[column]`.
    name: String,
    label: String,
    /// (value, label).
    options: Vec<(String, String)>,
    chosen: String,
}

/// What the register page was asked for: `?retired=1&filter[kind]=paper&column=owner&
/// value=総務課&offset=100&notice=…`.
#[derive(Default)]
pub struct ListQuery {
    retired: bool,
    notice: Option<String>,
    /// The lists' choices: (column, value).
    chosen: Vec<(String, String)>,
    column: String,
    value: String,
    offset: i64,
}

impl ListQuery {
    fn read(pairs: Vec<(String, String)>) -> Self {
        let mut q = ListQuery::default();
        for (key, value) in pairs {
            match key.as_str() {
                "retired" => q.retired = !value.is_empty(),
                "notice" => q.notice = Some(value),
                "column" => q.column = value,
                "value" => q.value = value,
                "offset" => q.offset = value.parse().unwrap_or(0),
                _ => {
                    if let Some(column) = key
                        .strip_prefix("filter[")
                        .and_then(|k| k.strip_suffix(']'))
                    {
                        q.chosen.push((column.to_owned(), value));
                    }
                }
            }
        }
        q
    }

    /// The filters to ask for: the lists' choices and the typed value in its column.
    fn filters(&self) -> Vec<(String, String)> {
        let mut out = self.chosen.clone();
        if !self.column.is_empty() {
            out.push((self.column.clone(), self.value.clone()));
        }
        out
    }

    /// This listing's query without its offset and notice, for the pager's links.
    fn query(&self) -> String {
        let mut pairs: Vec<(String, &str)> = Vec::new();
        if self.retired {
            pairs.push(("retired".into(), "1"));
        }
        pairs.extend(
            self.chosen
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(c, v)| (format!("filter[{c}]"), v.as_str())),
        );
        if !self.value.trim().is_empty() {
            pairs.push(("column".into(), &self.column));
            pairs.push(("value".into(), &self.value));
        }
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if encoded.is_empty() {
            encoded
        } else {
            format!("{encoded}&")
        }
    }
}

/// The filter form of `def`, holding what `q` asked for.
fn filter_form(tr: Tr, def: &Register, q: &ListQuery) -> FilterForm {
    let mut form = FilterForm {
        value: q.value.clone(),
        column: q.column.clone(),
        value_name: format!("filter[{}]", q.column),
        ..FilterForm::default()
    };
    for c in &def.columns {
        let chosen = || {
            q.chosen
                .iter()
                .rev()
                .find(|(id, _)| id == c.id())
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        match c.kind {
            FieldType::Choice | FieldType::MultiChoice => form.choices.push(ChoiceFilter {
                name: format!("filter[{}]", c.id()),
                label: tr.text(&c.label).to_owned(),
                options: c
                    .options
                    .iter()
                    .map(|o| (o.id.value.clone(), tr.text(&o.label).to_owned()))
                    .collect(),
                chosen: chosen(),
            }),
            FieldType::YesNo => form.choices.push(ChoiceFilter {
                name: format!("filter[{}]", c.id()),
                label: tr.text(&c.label).to_owned(),
                options: vec![("yes".into(), tr.t("yes")), ("no".into(), tr.t("no"))],
                chosen: chosen(),
            }),
            _ if matched_by_value(c) => form
                .columns
                .push((c.id().to_owned(), tr.text(&c.label).to_owned())),
            _ => {}
        }
    }
    form
}

/// Whether rows are found by a value typed for this column (text, a number, a date).
fn matched_by_value(c: &Field) -> bool {
    !matches!(
        c.kind,
        FieldType::LongText
            | FieldType::Contact
            | FieldType::Group
            | FieldType::Attachment
            | FieldType::Secret
    )
}

struct RowLine {
    id: Uuid,
    organisation: String,
    cells: Vec<String>,
}

fn cells(tr: Tr, def: &Register, data: &Data) -> Vec<String> {
    def.columns
        .iter()
        .map(|c| {
            data.get(c.id())
                .map(|v| form::display(c, v, tr.code()))
                .unwrap_or_default()
        })
        .collect()
}

/// What a re-shown list page keeps: the typed row, the chosen organisation, the problems.
struct Typed<'a> {
    data: &'a Data,
    organisation: String,
    errors: FormErrors,
    summary: Option<String>,
    failed: &'static str,
}

impl<'a> Typed<'a> {
    /// Nothing typed: the page as first shown.
    fn nothing(data: &'a Data) -> Self {
        Typed {
            data,
            organisation: String::new(),
            errors: FormErrors::default(),
            summary: None,
            failed: "",
        }
    }
}

fn list_page(
    s: &SessionInfo,
    id: &str,
    v: &RegisterView,
    q: &ListQuery,
    typed: Typed<'_>,
) -> ListPage {
    let tr = Tr::of(s);
    let def = v.register(id);
    let retired = q.retired;
    let l = Layout::new(s, "register-title", "cases")
        .with_notice(q.notice.as_deref())
        .titled(tr.text(&def.title).to_owned());
    let shown = i64::try_from(v.rows.len()).unwrap_or(i64::MAX);
    ListPage {
        id: id.to_owned(),
        retired,
        finder: filter_form(tr, def, q),
        total: v.total,
        total_exact: v.total_exact,
        filtered: q.filters().iter().any(|(_, v)| !v.trim().is_empty()),
        query: q.query(),
        prev: (v.offset > 0).then(|| (v.offset - v.limit).max(0)),
        next: (shown == v.limit && (v.offset + shown < v.total || !v.total_exact))
            .then_some(v.offset + shown),
        columns: def
            .columns
            .iter()
            .map(|c| tr.text(&c.label).to_owned())
            .collect(),
        rows: v
            .rows
            .iter()
            .map(|r| RowLine {
                id: r.id,
                organisation: r.organisation_name.clone(),
                cells: cells(tr, def, &serde_json::from_str(&r.data).unwrap_or_default()),
            })
            .collect(),
        shipped: if retired {
            Vec::new()
        } else {
            def.rows.iter().map(|r| cells(tr, def, &r.value)).collect()
        },
        documents: def
            .documents
            .iter()
            .map(|d| {
                (
                    format!("{}.{}", d.id.value, d.format.extension()),
                    tr.text(&d.title).to_owned(),
                )
            })
            .collect(),
        editable_in: v.editable_in.clone(),
        fields: field_views(tr, &def.columns, typed.data),
        organisation: typed.organisation,
        errors: typed.errors,
        summary: typed.summary,
        failed: typed.failed,
        l,
    }
}

/// `GET /registers/{id}`: a page of the rows, filtered as the reader asked; a filter the
/// register cannot take shows the form again with what was typed and why.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let q = ListQuery::read(pairs);
    let query = mamori_app::RowQuery {
        retired: q.retired,
        filters: q.filters(),
        limit: None,
        offset: Some(q.offset),
    };
    let none = Data::new();
    match state.app.register_rows(&s.caller, &id, &query).await {
        Ok(v) => Ok(render(&list_page(&s, &id, &v, &q, Typed::nothing(&none)))),
        Err(e) => {
            let failure = Failure::from(e);
            let tr = Tr::of(&s);
            let errors = errors_for(tr, &failure);
            // The register (or the reader's access to it) decides first: only a filter's
            // mistake shows the page again, without rows.
            let mut v = state
                .app
                .register_rows(
                    &s.caller,
                    &id,
                    &mamori_app::RowQuery {
                        retired: q.retired,
                        ..mamori_app::RowQuery::default()
                    },
                )
                .await?;
            v.rows.clear();
            v.total = 0;
            v.total_exact = true;
            Ok(form_failure(tr, failure, |_, summary| {
                let typed = Typed {
                    errors,
                    summary,
                    failed: "filter",
                    ..Typed::nothing(&none)
                };
                render_status(StatusCode::BAD_REQUEST, &list_page(&s, &id, &v, &q, typed))
            }))
        }
    }
}

/// `POST /registers/{id}/rows`: adds a row; mistakes show the page again with what was
/// typed.
pub async fn add(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let posted = Posted::new(pairs);
    let v = state
        .app
        .register_rows(&s.caller, &id, &mamori_app::RowQuery::default())
        .await?;
    let data = posted.data(&v.register(&id).columns);
    let organisation = posted.get("_organisation").to_owned();
    let org: Uuid = organisation.parse().map_err(|_| Failure::not_found())?;
    match state
        .app
        .add_register_row(&s.caller, &id, org, data.clone())
        .await
    {
        Ok(row) => Ok(done(
            &format!("/registers/{id}/rows/{row}"),
            "register-row-added",
        )),
        Err(e) => {
            let failure = Failure::from(e);
            let errors = errors_for(tr, &failure);
            Ok(form_failure(tr, failure, |_, summary| {
                let typed = Typed {
                    data: &data,
                    organisation,
                    errors,
                    summary,
                    failed: "add",
                };
                render_status(
                    StatusCode::BAD_REQUEST,
                    &list_page(&s, &id, &v, &ListQuery::default(), typed),
                )
            }))
        }
    }
}

/// `POST /registers/{id}/import`: imports a workbook; if any row is wrong nothing is
/// stored and every problem is listed with its row number.
pub async fn import(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<String>,
    upload: Result<UploadForm, Failure>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let mut organisation = String::new();
    let result = match upload {
        Ok(UploadForm(u)) => {
            organisation = u.field("organisation").to_owned();
            match organisation.parse::<Uuid>() {
                Ok(org) => state
                    .app
                    .import_register(&s.caller, &id, org, u.file.content)
                    .await
                    .map_err(Failure::from),
                Err(_) => Err(Failure::not_found()),
            }
        }
        Err(f) => Err(f),
    };
    match result {
        Ok(r) => {
            let notice = if r.added + r.updated == 0 {
                "register-import-nothing"
            } else {
                "register-imported"
            };
            Ok(done(&format!("/registers/{id}"), notice))
        }
        Err(failure) => {
            let v = state
                .app
                .register_rows(&s.caller, &id, &mamori_app::RowQuery::default())
                .await?;
            let errors = errors_for(tr, &failure);
            Ok(form_failure(tr, failure, |_, summary| {
                let typed = Typed {
                    data: &Data::new(),
                    organisation,
                    errors,
                    summary,
                    failed: "import",
                };
                render_status(
                    StatusCode::BAD_REQUEST,
                    &list_page(&s, &id, &v, &ListQuery::default(), typed),
                )
            }))
        }
    }
}

/// `POST /registers/{id}/export`: the live rows as a workbook in an AES-256 ZIP, downloaded
/// at once; a short or mistyped password shows the page again with the reason.
pub async fn export_sealed(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
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
            .export_register(&s.caller, &id, Some(password))
            .await
            .map_err(Failure::from)
    };
    match result {
        Ok(zip) => Ok(crate::api::attachments::download_response(zip)),
        Err(failure) => {
            let v = state
                .app
                .register_rows(&s.caller, &id, &mamori_app::RowQuery::default())
                .await?;
            let errors = errors_for(tr, &failure);
            Ok(form_failure(tr, failure, |_, summary| {
                let typed = Typed {
                    data: &Data::new(),
                    organisation: String::new(),
                    errors,
                    summary,
                    failed: "export",
                };
                render_status(
                    StatusCode::BAD_REQUEST,
                    &list_page(&s, &id, &v, &ListQuery::default(), typed),
                )
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "registers/row.html")]
struct RowPage {
    l: Layout,
    id: String,
    row: Uuid,
    organisation: String,
    retired: Option<String>,
    /// (label, value) of every column.
    values: Vec<(String, String)>,
    /// The correction form (key columns left out), when the reader may edit.
    edit: Option<Vec<FieldView>>,
    comment: String,
    history: Vec<ChangeLine>,
    errors: FormErrors,
    summary: Option<String>,
    /// (label, day, where it stands, late).
    dates: Vec<(String, String, String, bool)>,
    /// (since, reason) while a legal hold keeps the row.
    hold: Option<(String, String)>,
    may_hold: bool,
    /// The hold's reason as typed, when it was refused.
    hold_reason: String,
    /// The roles held for the row now: (designation, role, person, period).
    roles: Vec<(Uuid, String, String, String)>,
    may_designate: bool,
    /// The register's row roles: (id, name).
    role_choices: Vec<(String, String)>,
    /// Whom to designate: (id, name).
    candidates: Vec<(String, String)>,
    /// The designation form as typed: role, person, from, until.
    role_form: (String, String, String, String),
}

struct ChangeLine {
    at: String,
    actor: String,
    action: String,
    details: Vec<(String, String)>,
    comment: String,
    case: Option<Uuid>,
}

fn row_page(
    s: &SessionInfo,
    id: &str,
    v: &RowView,
    posted: Option<&Posted>,
    errors: FormErrors,
    summary: Option<String>,
    notice: Option<&str>,
) -> RowPage {
    let tr = Tr::of(s);
    let def = &v.library.registers[id];
    let key_of = |c: &&mamori_library::model::Field| def.key.iter().any(|k| k.value == c.id());
    let editable: Vec<mamori_library::model::Field> =
        def.columns.iter().filter(|c| !key_of(c)).cloned().collect();
    let form_data = posted.map_or_else(|| v.data.clone(), |p| p.data(&editable));
    let title = def
        .key
        .iter()
        .filter_map(|k| v.data.get(&k.value).and_then(|x| x.as_str()))
        .collect::<Vec<_>>()
        .join(" / ");
    let l = Layout::new(s, "register-row-title", "cases")
        .with_notice(notice)
        .titled(format!("{}: {title}", tr.text(&def.title)));
    RowPage {
        id: id.to_owned(),
        row: v.row.id,
        organisation: v.row.organisation_name.clone(),
        retired: v.row.retired_at.map(|t| tr.datetime(t)),
        values: def
            .columns
            .iter()
            .map(|c| {
                (
                    tr.text(&c.label).to_owned(),
                    v.data
                        .get(c.id())
                        .map(|x| form::display(c, x, tr.code()))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        edit: v.may_edit.then(|| field_views(tr, &editable, &form_data)),
        comment: posted
            .map(|p| p.get("comment").to_owned())
            .unwrap_or_default(),
        history: v
            .events
            .iter()
            .map(|e| {
                let change: Data = serde_json::from_str(&e.change).unwrap_or_default();
                ChangeLine {
                    at: tr.datetime(e.occurred_at),
                    actor: e
                        .actor_name
                        .clone()
                        .unwrap_or_else(|| tr.t("case-actor-system")),
                    action: tr.t(&format!("register-change-{}", e.action)),
                    details: def
                        .columns
                        .iter()
                        .filter_map(|c| {
                            let value = change.get(c.id())?;
                            Some((
                                tr.text(&c.label).to_owned(),
                                form::display(c, value, tr.code()),
                            ))
                        })
                        .collect(),
                    comment: e.comment.clone(),
                    case: e.case_id,
                }
            })
            .collect(),
        dates: v
            .dates
            .iter()
            .map(|d| {
                let standing = match (d.settled, d.passed, d.means) {
                    (true, _, _) => "register-date-settled",
                    (false, true, RowDateMeaning::Due) => "register-date-overdue",
                    (false, true, RowDateMeaning::Expires) => "register-date-lapsed",
                    (false, false, RowDateMeaning::Due) => "register-date-due",
                    (false, false, RowDateMeaning::Expires) => "register-date-valid",
                };
                (
                    tr.text(&d.label).to_owned(),
                    tr.day(mamori_app::read::Day(d.day)),
                    tr.t(standing),
                    d.late(),
                )
            })
            .collect(),
        hold: v.row.held_at.map(|t| {
            (
                tr.datetime(t),
                v.row.hold_reason.clone().unwrap_or_default(),
            )
        }),
        may_hold: v.may_hold,
        hold_reason: posted
            .map(|p| p.get("reason").to_owned())
            .unwrap_or_default(),
        roles: v
            .roles
            .iter()
            .map(|d| {
                let period = match d.ends_on {
                    Some(end) => format!(
                        "{} – {}",
                        tr.day(mamori_app::read::Day(d.starts_on.0)),
                        tr.day(mamori_app::read::Day(end.0))
                    ),
                    None => format!("{} –", tr.day(mamori_app::read::Day(d.starts_on.0))),
                };
                (
                    d.id,
                    role_name(v, &d.role, tr),
                    d.person_name.clone(),
                    period,
                )
            })
            .collect(),
        may_designate: v.may_designate,
        role_choices: def
            .roles
            .iter()
            .map(|r| (r.value.clone(), role_name(v, &r.value, tr)))
            .collect(),
        candidates: v
            .candidates
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        role_form: (
            posted.map(|p| p.get("role").to_owned()).unwrap_or_default(),
            posted
                .map(|p| p.get("person").to_owned())
                .unwrap_or_default(),
            posted.map_or_else(|| v.today.to_string(), |p| p.get("starts_on").to_owned()),
            posted
                .map(|p| p.get("ends_on").to_owned())
                .unwrap_or_default(),
        ),
        errors,
        summary,
        l,
    }
}

/// The row's page again with why a form on it was refused, what was typed kept.
async fn refused_on_row(
    state: &AppState,
    s: &SessionInfo,
    id: &str,
    row: Uuid,
    posted: &Posted,
    errors: &mamori_domain::FieldErrors,
) -> Result<Response, Failure> {
    let v = state.app.register_row(&s.caller, id, row).await?;
    let tr = Tr::of(s);
    Ok(render_status(
        StatusCode::BAD_REQUEST,
        &row_page(
            s,
            id,
            &v,
            Some(posted),
            FormErrors::new(tr, errors),
            None,
            None,
        ),
    ))
}

/// A role's name as the library gives it.
fn role_name(v: &RowView, role: &str, tr: Tr) -> String {
    v.library
        .role(role)
        .map_or_else(|| role.to_owned(), |r| tr.text(&r.name).to_owned())
}

/// `POST /registers/{id}/rows/{row}/roles`: someone of the keeping organisation designated
/// for one of the register's row roles (the system's manager).
pub async fn designate(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    let input = mamori_app::RowRoleInput {
        role: posted.get("role").to_owned(),
        person: posted.get("person").trim().parse().ok(),
        starts_on: posted.get("starts_on").to_owned(),
        ends_on: posted.get("ends_on").to_owned(),
    };
    match state
        .app
        .designate_for_row(&s.caller, &id, row, &input)
        .await
    {
        Ok(_) => Ok(done(
            &format!("/registers/{id}/rows/{row}"),
            "register-row-designated",
        )),
        Err(mamori_app::AppError::Invalid(errors)) => {
            refused_on_row(&state, &s, &id, row, &posted, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /registers/{id}/rows/{row}/roles/{designation}/end`.
pub async fn end_role(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row, designation)): Path<(String, Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    state
        .app
        .end_row_role(&s.caller, &id, row, designation)
        .await?;
    Ok(done(
        &format!("/registers/{id}/rows/{row}"),
        "register-row-role-ended",
    ))
}

/// `POST /registers/{id}/rows/{row}/hold`: a legal hold with its reason.
pub async fn hold(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    match state
        .app
        .hold_register_row(&s.caller, &id, row, posted.get("reason"))
        .await
    {
        Ok(_) => Ok(done(
            &format!("/registers/{id}/rows/{row}"),
            "register-row-held",
        )),
        Err(mamori_app::AppError::Invalid(errors)) => {
            refused_on_row(&state, &s, &id, row, &posted, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /registers/{id}/rows/{row}/release`.
pub async fn release(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    state.app.release_register_row(&s.caller, &id, row).await?;
    Ok(done(
        &format!("/registers/{id}/rows/{row}"),
        "register-row-released",
    ))
}

/// `?notice=…`.
#[derive(Deserialize, Default)]
pub struct RowQuery {
    notice: Option<String>,
}

/// `GET /registers/{id}/rows/{row}`.
pub async fn row(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    Query(q): Query<RowQuery>,
) -> Result<Response, Failure> {
    let v = state.app.register_row(&s.caller, &id, row).await?;
    Ok(render(&row_page(
        &s,
        &id,
        &v,
        None,
        FormErrors::default(),
        None,
        q.notice.as_deref(),
    )))
}

/// `POST /registers/{id}/rows/{row}`: a correction.
pub async fn edit(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let tr = Tr::of(&s);
    let posted = Posted::new(pairs);
    let v = state.app.register_row(&s.caller, &id, row).await?;
    let def = &v.library.registers[&id];
    let editable: Vec<_> = def
        .columns
        .iter()
        .filter(|c| !def.key.iter().any(|k| k.value == c.id()))
        .cloned()
        .collect();
    // Every editable column is on the form: one left empty is cleared.
    let mut data = posted.data(&editable);
    for c in &editable {
        data.entry(c.id().to_owned())
            .or_insert(serde_json::Value::Null);
    }
    match state
        .app
        .edit_register_row(&s.caller, &id, row, data, posted.get("comment"))
        .await
    {
        Ok(()) => Ok(done(
            &format!("/registers/{id}/rows/{row}"),
            "register-row-saved",
        )),
        Err(e) => {
            let failure = Failure::from(e);
            let errors = errors_for(tr, &failure);
            Ok(form_failure(tr, failure, |_, summary| {
                render_status(
                    StatusCode::BAD_REQUEST,
                    &row_page(&s, &id, &v, Some(&posted), errors, summary, None),
                )
            }))
        }
    }
}

/// `POST /registers/{id}/rows/{row}/retire`.
pub async fn retire(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, row)): Path<(String, Uuid)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted::new(pairs);
    state
        .app
        .retire_register_row(&s.caller, &id, row, posted.get("retire_comment"))
        .await?;
    Ok(done(
        &format!("/registers/{id}/rows/{row}"),
        "register-row-retired",
    ))
}
