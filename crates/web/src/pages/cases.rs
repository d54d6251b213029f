//! Procedures, cases and registers as pages. Forms are drawn from the library's field
//! definitions; a form with mistakes comes back with what was typed and a message under
//! each field, and a draft is saved before anything else is checked.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::history;
use mamori_app::{ActInput, CaseView, OpenCase, Startable};
use mamori_library::form::{self, Data};
use mamori_library::model::{CommentRule, Field, FieldType, Procedure, Transition};
use mamori_storage::PageRequest;
use mamori_storage::cases::{CaseFilter, CaseRow};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{FormErrors, Layout, NoticeQuery, done, form_failure, render, render_status};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{CsrfForm, PageSession};
use crate::i18n::Tr;
use crate::upload::UploadForm;

mod posted;
use posted::CaseForm;

/// A field as a form shows it.
pub struct FieldView {
    /// Field id (the input's name).
    pub id: String,
    /// Paper numbering.
    pub number: String,
    /// Label.
    pub label: String,
    /// Help.
    pub help: String,
    /// `text`, `textarea`, `number`, `date`, `datetime-local`, `select`, `checkboxes`, `yes_no`.
    pub widget: &'static str,
    /// Must be filled.
    pub required: bool,
    /// The value as typed (text widgets) or chosen (selects, yes/no).
    pub value: String,
    /// Chosen options (checkboxes).
    pub chosen: Vec<String>,
    /// Options: (id, label).
    pub options: Vec<(String, String)>,
    /// A contact's parts, or nothing.
    pub parts: Vec<FieldView>,
    /// A group's column labels, and its rows of cells (those filled, then blank ones).
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<FieldView>>,
    /// What an attachment field says while nothing is attached for it.
    pub empty: String,
    /// Names offered while typing (`suggest`); any other text is accepted too.
    pub suggestions: Vec<String>,
    /// An attachment field of a case form takes a file right there: the file types it
    /// accepts (empty where files are attached elsewhere).
    pub accept: &'static str,
    /// A group of a case form: rows may be added and removed (by the script, or by a
    /// submit that shows the form again).
    pub growable: bool,
    /// When the item is asked only in some cases, the condition as JSON for the page's
    /// script to hide it while the answers say it does not apply (empty: always asked).
    pub asked_when: String,
}

/// Fills in the suggestions of the fields that ask for them (see [`FieldView::suggestions`]),
/// from the library's registers as shipped. The last-resort row of a directory is not a
/// name anyone contracts with, so it is left out.
pub(super) fn suggest(views: &mut [FieldView], fields: &[Field], lib: &mamori_library::Library) {
    for (view, f) in views.iter_mut().zip(fields) {
        if let Some(s) = &f.suggest
            && let Some(register) = lib.registers.get(&s.register.value)
        {
            let mut names: Vec<String> = Vec::new();
            for row in register.rows.iter().map(|r| &r.value) {
                if row.get("fallback") == Some(&Value::Bool(true)) {
                    continue;
                }
                for c in &s.columns {
                    let cell = row.get(&c.value).and_then(Value::as_str).unwrap_or("");
                    for name in cell.split(['\n', '、']).map(str::trim) {
                        if !name.is_empty() && !names.iter().any(|n| n == name) {
                            names.push(name.to_owned());
                        }
                    }
                }
            }
            view.suggestions = names;
        }
        for row in &mut view.rows {
            suggest(row, &f.fields, lib);
        }
    }
}

/// Makes the fields named from the case's files (`from_attachments`) a choice among the
/// files attached, in tables too. A name kept earlier that is no longer among them stays
/// offered, so that opening the box does not silently drop it; sending it is refused.
fn choose_attached(views: &mut [FieldView], fields: &[Field], names: &[&str]) {
    for (view, f) in views.iter_mut().zip(fields) {
        if f.from_attachments {
            view.widget = "select";
            let mut options: Vec<(String, String)> = Vec::new();
            for n in names.iter().copied().chain(Some(view.value.as_str())) {
                if !n.is_empty() && !options.iter().any(|(id, _)| id == n) {
                    options.push((n.to_owned(), n.to_owned()));
                }
            }
            view.options = options;
        }
        for row in &mut view.rows {
            choose_attached(row, &f.fields, names);
        }
    }
}

/// Blank rows a group offers below those filled; more come after saving the draft.
const BLANK_ROWS: usize = 2;

fn widget(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Text | FieldType::Person | FieldType::Organisation => "text",
        FieldType::LongText => "textarea",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime-local",
        FieldType::Choice => "select",
        FieldType::MultiChoice => "checkboxes",
        FieldType::YesNo => "yes_no",
        FieldType::Contact => "contact",
        FieldType::Group => "group",
        FieldType::Computed => "computed",
        FieldType::Attachment => "attachment",
        // Typed once by whoever hands it over; never shown back from the case.
        FieldType::Secret => "password",
    }
}

/// A field's input as typed, for its widget.
fn typed_value(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn contact_parts(tr: Tr, f: &Field, v: Option<&Value>) -> Vec<FieldView> {
    mamori_library::model::CONTACT_PARTS
        .iter()
        .map(|(part, ja, en)| FieldView {
            id: format!("{}.{part}", f.id()),
            number: String::new(),
            label: if tr.code() == "en" {
                (*en).to_owned()
            } else {
                (*ja).to_owned()
            },
            help: String::new(),
            widget: match *part {
                "phone" => "tel",
                "email" => "email",
                _ => "text",
            },
            required: false,
            value: typed_value(v.and_then(|v| v.get(part))),
            chosen: vec![],
            options: vec![],
            parts: vec![],
            columns: vec![],
            rows: vec![],
            empty: String::new(),
            suggestions: vec![],
            accept: "",
            growable: false,
            asked_when: String::new(),
        })
        .collect()
}

fn group_rows(tr: Tr, f: &Field, v: Option<&Value>) -> Vec<Vec<FieldView>> {
    let filled: Vec<Data> = match v {
        Some(Value::Array(rows)) => rows.iter().filter_map(|r| r.as_object().cloned()).collect(),
        _ => vec![],
    };
    let max = f.max_rows.unwrap_or(50);
    let count = (filled.len() + BLANK_ROWS).min(max.max(filled.len()));
    (0..count)
        .map(|i| group_row(tr, f, i, &filled.get(i).cloned().unwrap_or_default()))
        .collect()
}

/// Row `i` of a group, its inputs named `<group>.<i>.<column>`.
fn group_row(tr: Tr, f: &Field, i: usize, row: &Data) -> Vec<FieldView> {
    field_views(tr, &f.fields, row)
        .into_iter()
        .map(|mut cell| {
            cell.id = format!("{}.{i}.{}", f.id(), cell.id);
            cell
        })
        .collect()
}

pub(super) fn field_views(tr: Tr, fields: &[Field], data: &Data) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let v = data.get(f.id());
            let value = typed_value(v);
            let chosen = match v {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            };
            FieldView {
                id: f.id().to_owned(),
                number: f.number.clone().unwrap_or_default(),
                label: tr.text(&f.label).to_owned(),
                help: {
                    let own = f.help.as_ref().map(|h| tr.text(h).to_owned());
                    // What to do instead of typing, for what mamori fills in.
                    let how = match f.kind {
                        FieldType::Computed => Some(tr.t("field-computed-help")),
                        FieldType::Attachment => Some(tr.t("field-attachment-help")),
                        _ => None,
                    };
                    [own, how]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                widget: widget(f.kind),
                required: f.required || f.must_confirm,
                value,
                chosen,
                // A yes/no answer is offered in the reader's language only.
                options: if f.kind == FieldType::YesNo {
                    vec![("yes".into(), tr.t("yes")), ("no".into(), tr.t("no"))]
                } else {
                    f.options
                        .iter()
                        .map(|o| (o.id.value.clone(), tr.text(&o.label).to_owned()))
                        .collect()
                },
                parts: if f.kind == FieldType::Contact {
                    contact_parts(tr, f, v)
                } else {
                    vec![]
                },
                columns: f
                    .fields
                    .iter()
                    .map(|c| tr.text(&c.label).to_owned())
                    .collect(),
                rows: if f.kind == FieldType::Group {
                    group_rows(tr, f, v)
                } else {
                    vec![]
                },
                empty: if f.kind == FieldType::Attachment {
                    tr.t("field-attachment-none")
                } else {
                    String::new()
                },
                suggestions: vec![],
                accept: "",
                growable: false,
                asked_when: f
                    .asked_when
                    .as_ref()
                    .and_then(|c| mamori_library::condition::in_browser(&c.value))
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Reads a posted form: the library fields, the comment and which button was pressed.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pairs: Vec<(String, String)>,
}

impl Posted {
    /// Wraps posted pairs.
    pub(super) fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    pub(super) fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn data(&self, fields: &[Field]) -> Data {
        form::from_pairs(fields, &self.pairs)
    }

    /// How many rows of group `id` were sent, blank ones included.
    fn rows_sent(&self, id: &str) -> usize {
        let prefix = format!("{id}.");
        self.pairs
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split_once('.')?.0.parse().ok())
            .collect::<std::collections::BTreeSet<usize>>()
            .len()
    }
}

/// A row added to a group, or taken from it, by a submit button rather than the script
/// (`_do=add_row:<group>`, `_do=remove_row:<group>:<row>`): the form comes back with what
/// was typed and as many rows as were sent, one more or one fewer. Nothing is saved by it.
struct Reshape {
    group: String,
    rows: usize,
}

impl Reshape {
    /// Reads the button pressed; a removed row's inputs are dropped from `posted` at once.
    fn take(posted: &mut Posted) -> Option<Self> {
        let pressed = posted.get("_do").to_owned();
        if let Some(id) = pressed.strip_prefix("add_row:") {
            let rows = posted.rows_sent(id) + 1;
            return Some(Reshape {
                group: id.to_owned(),
                rows,
            });
        }
        let (id, row) = pressed.strip_prefix("remove_row:")?.rsplit_once(':')?;
        let prefix = format!("{id}.{}.", row.parse::<usize>().ok()?);
        posted.pairs.retain(|(k, _)| !k.starts_with(&prefix));
        Some(Reshape {
            group: id.to_owned(),
            rows: posted.rows_sent(id).max(1),
        })
    }

    /// Gives the group's view the rows asked for. The rows cut are blank ones: those
    /// filled come first, and there are never more of them than rows sent.
    fn fit(
        &self,
        tr: Tr,
        lib: &mamori_library::Library,
        fields: &[Field],
        views: &mut [FieldView],
    ) {
        let Some((f, view)) = fields
            .iter()
            .zip(views.iter_mut())
            .find(|(f, _)| f.id() == self.group && f.kind == FieldType::Group)
        else {
            return;
        };
        let want = self.rows.min(f.max_rows.unwrap_or(50));
        view.rows.truncate(want);
        while view.rows.len() < want {
            let mut row = group_row(tr, f, view.rows.len(), &Data::new());
            suggest(&mut row, &f.fields, lib);
            view.rows.push(row);
        }
    }
}

/// Marks the views of a case's own form: a group's rows may be added and removed, and an
/// attachment field takes its file right there, saying so instead of pointing elsewhere.
fn case_form(tr: Tr, fields: &[Field], views: &mut [FieldView]) {
    for (f, view) in fields.iter().zip(views.iter_mut()) {
        match f.kind {
            FieldType::Group => view.growable = true,
            FieldType::Attachment => {
                view.accept = mamori_domain::attachment::ACCEPTED;
                view.help = f
                    .help
                    .as_ref()
                    .map(|h| tr.text(h).to_owned())
                    .into_iter()
                    .chain([tr.t("casepage-attachment-help")])
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- procedures --

#[derive(Template)]
#[template(path = "cases/procedures.html")]
struct ProceduresPage {
    l: Layout,
    /// What the reader may start, first.
    items: Vec<ProcedureItem>,
    /// The rest, folded away, each with why the reader cannot start it.
    others: Vec<ProcedureItem>,
}

struct ProcedureItem {
    key: String,
    title: String,
    library: String,
    description: String,
    notes: Vec<(String, String)>,
    organisations: Vec<(Uuid, String)>,
    /// Why the reader cannot start it (empty when they can).
    reason: String,
}

fn procedure_item(tr: Tr, s: &Startable, today: &str) -> ProcedureItem {
    let lib = &s.library;
    let p = &lib.procedures[&s.procedure];
    ProcedureItem {
        key: format!("{}/{}", lib.id(), s.procedure),
        title: tr.text(&p.title).to_owned(),
        library: format!(
            "{}（{} {}）",
            tr.text(&lib.manifest.title),
            lib.id(),
            lib.version()
        ),
        description: p
            .description
            .as_ref()
            .or(lib.manifest.description.as_ref())
            .map(|d| tr.text(d).to_owned())
            .unwrap_or_default(),
        notes: lib
            .manifest
            .notes
            .iter()
            .map(|n| {
                let until = n
                    .until
                    .as_ref()
                    .map(|u| u.value.clone())
                    .unwrap_or_default();
                let expired = !until.is_empty() && until.as_str() < today;
                let mark = if expired {
                    tr.t("note-expired")
                } else {
                    String::new()
                };
                (tr.text(&n.text).to_owned(), mark)
            })
            .collect(),
        organisations: s.organisations.clone(),
        reason: String::new(),
    }
}

/// Why a procedure the reader may start nowhere is not theirs to start: the roles that
/// start it and where they must be held, and whether the reader holds any of them (a
/// contact whose organisation has no contract yet holds the role but has nobody to start
/// it for).
fn not_startable_reason(tr: Tr, s: &Startable, held: &[&str]) -> String {
    use mamori_library::model::Relation;
    let p = &s.library.procedures[&s.procedure];
    let parties = p
        .start
        .iter()
        .map(|party| {
            let role = s.library.role(&party.role.value).map_or_else(
                || tr.role(&party.role.value),
                |r| tr.text(&r.name).to_owned(),
            );
            let key = match party.of {
                Relation::OwnOrganisation => "procedure-party-own",
                Relation::ParentChain => "procedure-party-parent-chain",
                Relation::ContractingOrganisation => "procedure-party-contracting",
                Relation::PrimeContractor => "procedure-party-prime",
                Relation::ServiceContractor => "procedure-party-service",
                Relation::Children => "procedure-party-children",
                Relation::Descendants => "procedure-party-descendants",
                Relation::Siblings => "procedure-party-siblings",
                Relation::Tree => "procedure-party-tree",
                Relation::LastResort | Relation::RelayedTo => "procedure-party-other",
            };
            tr.t1(key, "role", role)
        })
        .collect::<Vec<_>>()
        .join(tr.t("procedure-party-separator").as_str());
    let holds_one = p
        .start
        .iter()
        .any(|party| held.contains(&party.role.value.as_str()));
    tr.t1(
        if holds_one {
            "procedure-held-but-nowhere"
        } else {
            "procedure-not-held"
        },
        "parties",
        parties,
    )
}

/// `GET /procedures`: what the reader may start, and for which organisation, first; the
/// procedures they may not start folded away below, each saying why.
pub async fn procedures(
    State(state): State<AppState>,
    PageSession(s): PageSession,
) -> Result<Response, Failure> {
    let l = Layout::new(&s, "procedures-title", "procedures");
    let today = state.app.today().0.to_string();
    let held: Vec<&str> = s
        .caller
        .actor
        .grants
        .iter()
        .map(|g| g.role.as_str())
        .collect();
    let (mut items, mut others) = (Vec::new(), Vec::new());
    for st in state.app.startable(&s.caller).await? {
        let mut item = procedure_item(l.tr, &st, &today);
        if st.organisations.is_empty() {
            item.reason = not_startable_reason(l.tr, &st, &held);
            others.push(item);
        } else {
            items.push(item);
        }
    }
    Ok(render(&ProceduresPage { l, items, others }))
}

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

pub(super) fn errors_for(tr: Tr, failure: &Failure) -> FormErrors {
    let mut errors = FormErrors::new(tr, &failure.fields());
    errors.extend(
        failure
            .form_fields()
            .iter()
            .map(|p| (p.field.clone(), tr.form_error(p))),
    );
    errors
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
    let mut posted = Posted { pairs };
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

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    l: Layout,
    id: Uuid,
    /// The case's number, read aloud on the phone.
    number: String,
    title: String,
    state_name: String,
    closed: bool,
    organisation_name: String,
    organisation_id: Uuid,
    applicant: String,
    /// What the procedure calls who opened it.
    applicant_label: String,
    opened: String,
    library: String,
    /// Its classification or handling mark, as printed, and whether only those who need
    /// to know may read it.
    mark: Option<(String, bool)>,
    /// The deadline running in the present state, and whether it has passed.
    due: Option<(String, bool, Option<String>)>,
    /// Documents: (file name, title).
    documents: Vec<(String, String)>,
    attachments: Vec<AttachmentLine>,
    may_attach: bool,
    /// The form's attachment fields a file may be attached for: (id, label).
    attach_fields: Vec<(String, String)>,
    /// File extensions the upload accepts.
    accept: &'static str,
    /// The size limit, as shown.
    attachment_limit: String,
    form_title: String,
    /// Editable draft: the form; otherwise the data as read.
    edit: Option<Vec<FieldView>>,
    first_action: Option<(String, String)>,
    rows: Vec<(String, String, String)>,
    /// The actions the reader may take, the expected ones first.
    actions: Vec<ActionBox>,
    /// Those that end the case undecided, shown apart behind a second step.
    closing: Vec<ActionBox>,
    /// One of those was just tried and refused: shown open, with the reason.
    open_closing: bool,
    /// The draft's form has a file input: it is posted as multipart.
    takes_files: bool,
    history: Vec<HistoryLine>,
    errors: FormErrors,
    summary: Option<String>,
    /// Whom to telephone before the form is sent, for procedures that call first.
    calls: Option<CallsPanel>,
    /// For a case whose deadlines count from one of its date-times (an incident's
    /// detection): that field's label, its value and how long ago it was.
    elapsed: Option<(String, String, String)>,
    /// A site joining the gateway: its schedule.
    schedule: Option<SchedulePanel>,
    /// What the case waits on now, whoever may do it (a finished case may still owe a
    /// report): the actions' names.
    awaited: Vec<String>,
    /// Who was told about the case and whether they have opened it since: (name, read).
    told: Vec<(String, bool)>,
    /// Actions taken in an emergency that wait on ratification.
    emergencies: Vec<EmergencyLine>,
    /// Secrets handed over in it.
    secrets: Vec<super::secrets::SecretLine>,
    /// The desks it waits on, with who holds them.
    waiting_on: Vec<String>,
}

/// A joining site's schedule on its case page: the chart, and the same as a table.
struct SchedulePanel {
    svg: String,
    late: bool,
    lines: Vec<ScheduleRow>,
}

/// One step of the schedule as the table shows it.
struct ScheduleRow {
    step: String,
    actor: String,
    attend: bool,
    planned: String,
    now: String,
    done: String,
    reason: String,
    late: bool,
}

fn schedule_panel(state: &AppState, v: &CaseView) -> Option<SchedulePanel> {
    let s = state.app.schedule_for(v)?;
    let range = |p: &mamori_domain::dsg::Planned| format!("{} 〜 {}", p.starts, p.ends);
    Some(SchedulePanel {
        svg: crate::gantt::svg(&s),
        late: s.late(),
        lines: s
            .lines
            .iter()
            .map(|l| {
                let (actor, attend) = l.step.actor(s.router);
                ScheduleRow {
                    step: l.step.title(),
                    actor: actor.to_owned(),
                    attend,
                    planned: range(&l.baseline),
                    now: range(&l.current),
                    done: l.done_on.map(|d| d.to_string()).unwrap_or_default(),
                    reason: l.reason.clone().unwrap_or_default(),
                    late: l.late,
                }
            })
            .collect(),
    })
}

/// The numbers to call, shown large above the form (see [`mamori_app::CallPlan`]).
struct CallsPanel {
    /// Prime contractors a subcontractor calls first: (name, its desk if it keeps one).
    primes: Vec<(String, Option<PrimeLine>)>,
    /// The subcontractor whose report the prime holds now.
    forwarded_from: Option<String>,
    /// (organisation and desk, number, `tel:` link, last resort).
    calls: Vec<(String, String, String, bool)>,
    office_hours: bool,
    /// Organisations named that the directory does not list.
    unmatched: Vec<String>,
    /// Whom to call when the desks above cannot be reached.
    last_resort: Option<LastResortLine>,
}

/// A prime contractor's desk with the number to call now and its `tel:` link.
struct PrimeLine {
    desk: String,
    number: String,
    tel: String,
}

/// The last-resort desk with its numbers, each with its `tel:` link.
struct LastResortLine {
    desk: String,
    phone: String,
    tel: String,
    /// The night and holiday number and its link.
    night: Option<(String, String)>,
}

impl CallsPanel {
    fn new(plan: mamori_app::CallPlan) -> Self {
        CallsPanel {
            primes: plan
                .primes
                .into_iter()
                .map(|p| {
                    let desk = p.desk.zip(p.number).map(|(d, number)| PrimeLine {
                        desk: d.desk,
                        tel: tel_link(&number),
                        number,
                    });
                    (p.organisation, desk)
                })
                .collect(),
            forwarded_from: plan.forwarded_from,
            calls: plan
                .calls
                .into_iter()
                .map(|c| {
                    (
                        format!("{} {}", c.contact.organisation, c.contact.desk),
                        c.number.clone(),
                        tel_link(&c.number),
                        c.fallback,
                    )
                })
                .collect(),
            office_hours: plan.office_hours,
            unmatched: plan.unmatched,
            last_resort: plan.last_resort.map(|c| LastResortLine {
                tel: tel_link(&c.phone),
                night: c.night_phone.map(|n| (n.clone(), tel_link(&n))),
                desk: c.desk,
                phone: c.phone,
            }),
        }
    }
}

/// A `tel:` link for a number as the directory writes it: the digits before any note of
/// extensions ("03-3268-3111 (内線21040、21043)" → `tel:0332683111`).
fn tel_link(number: &str) -> String {
    let main = number.split(['(', '（']).next().unwrap_or(number);
    let digits: String = main
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

/// How long ago the date-time a case's deadlines count from was, while the case is open:
/// the clock a person reporting an incident watches.
fn elapsed(tr: Tr, v: &CaseView, now: &jiff::Zoned) -> Option<(String, String, String)> {
    if v.row.closed_at.is_some() {
        return None;
    }
    let procedure = v.procedure();
    let from = procedure.clock_field()?;
    let field = procedure.field(v.library.form_of(procedure), from)?;
    let value = v.data.get(from)?;
    let at: jiff::civil::DateTime = value.as_str()?.parse().ok()?;
    let minutes = (now.datetime() - at)
        .total(jiff::Unit::Minute)
        .ok()?
        .floor() as i64;
    let shown = if minutes < 0 {
        tr.t("case-elapsed-future")
    } else {
        let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
        let key = match (d, h) {
            (0, 0) => "case-elapsed-m",
            (0, _) => "case-elapsed-hm",
            _ => "case-elapsed-dhm",
        };
        tr.tn(
            key,
            &[
                ("days", d.to_string()),
                ("hours", h.to_string()),
                ("minutes", m.to_string()),
            ],
        )
    };
    Some((
        tr.text(&field.label).to_owned(),
        form::display(field, value, tr.code()),
        shown,
    ))
}

/// The names of the actions the case waits on now, whoever may take them.
fn awaited(tr: Tr, v: &CaseView) -> Vec<String> {
    v.awaited
        .iter()
        .map(|t| tr.text(&t.name).to_owned())
        .collect()
}

/// Whom the case waits on, a line per desk: 「防衛装備庁 緊急窓口（装備 窓口）」.
async fn waiting_lines(state: &AppState, tr: Tr, v: &CaseView) -> Result<Vec<String>, Failure> {
    Ok(state
        .app
        .waiting_on(v)
        .await?
        .into_iter()
        .map(|w| {
            let desk = format!("{} {}", w.organisation_name, tr.text(&w.role_name));
            if w.people.is_empty() {
                desk
            } else {
                format!("{desk}（{}）", w.people.join("、"))
            }
        })
        .collect())
}

/// What an action did, said after it: the state the case is in now and whom it waits on.
fn moved_notice(tr: Tr, v: &CaseView, waiting: &[String]) -> String {
    let state = v
        .procedure()
        .state(&v.row.state)
        .map_or(v.row.state.clone(), |s| tr.text(&s.name).to_owned());
    if waiting.is_empty() {
        tr.t1("notice-case-moved-end", "state", state)
    } else {
        tr.tn(
            "notice-case-moved",
            &[("state", state), ("who", waiting.join("、"))],
        )
    }
}

/// The calls panel of a case whose procedure calls first, while the reader may still act.
async fn calls_panel(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    v: &CaseView,
) -> Result<Option<CallsPanel>, Failure> {
    if v.row.closed_at.is_some() || v.actions.is_empty() {
        return Ok(None);
    }
    Ok(state.app.plan_for(&s.caller, v).await?.map(CallsPanel::new))
}

/// An action taken in an emergency, as its case page lists it.
struct EmergencyLine {
    seq: i64,
    text: String,
    /// When it must be ratified by, whether that has passed, and where the figure comes
    /// from.
    due: Option<(String, bool, Option<String>)>,
    may_ratify: bool,
}

struct ActionBox {
    action: String,
    name: String,
    fields: Vec<FieldView>,
    comment: Option<bool>,
    comment_value: String,
    unmet: Vec<String>,
    /// The reader is excluded from it but may take it in the unavoidable case: a reason is
    /// asked for.
    unavoidable: bool,
    /// The reason as typed.
    unavoidable_value: String,
    /// For an action several people take: how far it has got.
    tally: Option<String>,
    /// Its requirements do not hold yet but it may be taken now in an emergency: a reason
    /// is asked for.
    emergency: bool,
    /// The emergency's reason as typed.
    emergency_value: String,
    /// The case waits on it (someone is expected to take it).
    expected: bool,
    /// The one that moves the case along: its button is the page's main one.
    primary: bool,
    /// It ends the case without a decision (withdrawing): set apart, behind a second step.
    closes: bool,
}

/// Whether `t` ends a case without it being decided: nobody waits on it, yet every way it
/// goes is a terminal state. The library marks no action as a withdrawal by name; this is
/// what one is.
fn ends_undecided(p: &Procedure, t: &Transition) -> bool {
    !t.waits
        && !t.stay
        && !t.to.is_empty()
        && t.to
            .iter()
            .all(|b| p.state(&b.state.value).is_some_and(|st| st.terminal))
}

/// Orders the action boxes as the page shows them: what the case expects first, its
/// first one that can be taken as the main button (unless the draft's own form has it),
/// then the rest; those that end the case undecided go apart.
fn arrange(boxes: Vec<ActionBox>, form_has_main: bool) -> (Vec<ActionBox>, Vec<ActionBox>) {
    let (closing, mut boxes): (Vec<_>, Vec<_>) = boxes.into_iter().partition(|b| b.closes);
    boxes.sort_by_key(|b| !b.expected);
    let main = boxes
        .iter()
        .position(|b| b.expected && b.unmet.is_empty())
        .or_else(|| boxes.iter().position(|b| b.expected));
    if let Some(i) = main.filter(|_| !form_has_main) {
        let mut b = boxes.remove(i);
        b.primary = true;
        boxes.insert(0, b);
    }
    (boxes, closing)
}

struct AttachmentLine {
    href: String,
    id: Uuid,
    file_name: String,
    size: String,
    added_by: String,
    added_at: String,
    /// The label of the form field it was attached for, or "".
    field: String,
    /// The reader attached it and may still withdraw it.
    withdrawable: bool,
}

/// A size as people read it: bytes, KB or MB.
fn size_label(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

struct HistoryLine {
    at: String,
    actor: String,
    action: String,
    to_state: String,
    comment: String,
    details: Vec<(String, String)>,
}

fn show_page(
    limit: usize,
    s: &mamori_app::SessionInfo,
    v: &CaseView,
    posted: Option<&Posted>,
    errors: FormErrors,
    summary: Option<String>,
    notice: Option<&str>,
) -> ShowPage {
    let tr = Tr::of(s);
    let procedure = v.procedure();
    let l = Layout::new(s, "case-title", "cases")
        .with_notice(notice)
        .titled(v.row.title.clone());
    let state_name = |id: &str| {
        procedure
            .state(id)
            .map(|st| tr.text(&st.name).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let fields = v.fields();
    let form_data = match posted {
        Some(p) if v.may_edit => p.data(fields),
        _ => v.data.clone(),
    };
    let initial = &procedure.initial_state().id.value;
    let first_action = v
        .actions
        .iter()
        .find(|a| {
            v.may_edit
                && a.transition.from.iter().any(|f| f.value == *initial)
                && a.transition.waits
        })
        .map(|a| {
            (
                a.transition.action.value.clone(),
                tr.text(&a.transition.name).to_owned(),
            )
        });
    let rows = fields
        .iter()
        .map(|f| {
            (
                f.number.clone().unwrap_or_default(),
                tr.text(&f.label).to_owned(),
                v.data
                    .get(f.id())
                    .map(|x| form::display(f, x, tr.code()))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let all_fields: Vec<&Field> = fields
        .iter()
        .chain(procedure.transitions.iter().flat_map(|t| t.fields.iter()))
        .collect();
    let actions = v
        .actions
        .iter()
        .filter(|a| Some(&a.transition.action.value) != first_action.as_ref().map(|(id, _)| id))
        .map(|a| {
            let t = &a.transition;
            // A table recorded by an action (connection tests per terminal) is recorded
            // again as a whole: it opens as it stands, to be added to or corrected. A field
            // read from a register row opens with what the register holds.
            let tables = || -> (Data, String) {
                let data = t
                    .fields
                    .iter()
                    .filter(|f| {
                        f.kind == FieldType::Group
                            || procedure
                                .prefill
                                .iter()
                                .any(|p| p.is_keyed() && p.field.value == f.id())
                    })
                    .filter_map(|f| Some((f.id().to_owned(), v.data.get(f.id())?.clone())))
                    .collect();
                (data, String::new())
            };
            let typed = posted
                .filter(|p| p.get("_action") == t.action.value)
                .map(|p| (p.data(&t.fields), p.get("comment").to_owned()))
                .unwrap_or_else(tables);
            ActionBox {
                action: t.action.value.clone(),
                name: tr.text(&t.name).to_owned(),
                fields: {
                    let mut views = field_views(tr, &t.fields, &typed.0);
                    // The organisation relayed to is chosen from the reader's own tree.
                    if let Some(target) = &t.relays_to
                        && let Some(view) = views.iter_mut().find(|f| f.id == target.value)
                    {
                        view.widget = "select";
                        view.options = v
                            .relay_targets
                            .iter()
                            .map(|(id, name)| (id.to_string(), name.clone()))
                            .collect();
                    }
                    let names: Vec<&str> =
                        v.attachments.iter().map(|a| a.file_name.as_str()).collect();
                    choose_attached(&mut views, &t.fields, &names);
                    views
                        .iter_mut()
                        .for_each(|f| f.growable = f.widget == "group");
                    views
                },
                comment: t.comment.map(|c| c == CommentRule::Required),
                comment_value: typed.1,
                unmet: a.unmet.iter().map(|m| tr.text(m).to_owned()).collect(),
                unavoidable: a.unavoidable,
                emergency: a.emergency,
                emergency_value: posted
                    .filter(|p| p.get("_action") == t.action.value)
                    .map(|p| p.get("emergency").to_owned())
                    .unwrap_or_default(),
                unavoidable_value: posted
                    .filter(|p| p.get("_action") == t.action.value)
                    .map(|p| p.get("unavoidable").to_owned())
                    .unwrap_or_default(),
                tally: a
                    .tally
                    .map(|(given, needed)| {
                        tr.tn(
                            "casepage-tally",
                            &[("given", given.to_string()), ("needed", needed.to_string())],
                        )
                    })
                    .or_else(|| a.votes.map(|t| super::secrets::votes_line(tr, &t))),
                expected: t.waits,
                primary: false,
                closes: ends_undecided(procedure, t),
            }
        })
        .collect();
    let (actions, closing) = arrange(actions, first_action.is_some());
    let history = v
        .events
        .iter()
        .map(|e| {
            let data: Data = serde_json::from_str(&e.data).unwrap_or_default();
            let details = if e.action == "open" || e.action == "save" {
                vec![]
            } else {
                data.iter()
                    .filter_map(|(k, val)| {
                        let f = all_fields.iter().find(|f| f.id() == k)?;
                        Some((
                            tr.text(&f.label).to_owned(),
                            form::display(f, val, tr.code()),
                        ))
                    })
                    .collect()
            };
            HistoryLine {
                at: tr.datetime(e.occurred_at),
                actor: e
                    .actor_name
                    .clone()
                    .unwrap_or_else(|| tr.t("case-actor-system")),
                action: history::sentence(procedure, e, tr.code(), tr.dates()),
                to_state: e.to_state.as_deref().map(state_name).unwrap_or_default(),
                comment: history::comment(e).to_owned(),
                details,
            }
        })
        .collect();
    ShowPage {
        secrets: v
            .secrets
            .iter()
            .map(|s| super::secrets::SecretLine::new(tr, s))
            .collect(),
        id: v.row.id,
        told: v
            .told
            .iter()
            .map(|t| (t.name.clone(), t.unread == 0))
            .collect(),
        emergencies: v
            .emergencies
            .iter()
            .map(|e| EmergencyLine {
                seq: e.seq,
                text: tr.tn(
                    "casepage-emergency",
                    &[
                        ("action", tr.text(&e.action).to_owned()),
                        ("who", e.actor.clone().unwrap_or_default()),
                        ("reason", e.reason.clone()),
                    ],
                ),
                due: e.due.as_ref().map(|d| {
                    let note = d.note.as_ref().map(|n| tr.text(n).to_owned());
                    (d.label.clone(), d.overdue, note)
                }),
                may_ratify: e.may_ratify,
            })
            .collect(),
        number: v.row.number.clone(),
        title: v.row.title.clone(),
        state_name: state_name(&v.row.state),
        closed: v.row.closed_at.is_some(),
        organisation_name: v.row.organisation_name.clone(),
        organisation_id: v.row.organisation_id,
        applicant: v.row.created_by_name.clone(),
        applicant_label: procedure
            .applicant
            .as_ref()
            .map_or_else(|| tr.t("case-applicant"), |t| tr.text(t).to_owned()),
        opened: tr.datetime(v.row.created_at),
        library: format!("{} {}", v.row.library_id, v.row.library_version),
        mark: v
            .library
            .mark_of(&v.data)
            .map(|m| (tr.text(&m.label).to_owned(), m.need_to_know)),
        due: v.due.as_ref().map(|d| {
            (
                d.label.clone(),
                d.overdue,
                d.note.as_ref().map(|n| tr.text(n).to_owned()),
            )
        }),
        documents: procedure
            .documents
            .iter()
            .map(|d| {
                (
                    format!("{}.{}", d.id.value, d.format.extension()),
                    tr.text(&d.title).to_owned(),
                )
            })
            .collect(),
        attachments: v
            .attachments
            .iter()
            .map(|a| AttachmentLine {
                href: format!("/api/v1/cases/{}/attachments/{}", v.row.id, a.id),
                id: a.id,
                file_name: a.file_name.clone(),
                size: size_label(a.size),
                added_by: a.added_by_name.clone(),
                added_at: tr.datetime(a.added_at),
                field: a
                    .field
                    .as_deref()
                    .and_then(|f| fields.iter().find(|x| x.id() == f))
                    .map(|f| tr.text(&f.label).to_owned())
                    .unwrap_or_default(),
                withdrawable: v.may_attach && a.added_by == s.caller.actor.person,
            })
            .collect(),
        may_attach: v.may_attach,
        attach_fields: fields
            .iter()
            .filter(|f| f.kind == FieldType::Attachment)
            .map(|f| (f.id().to_owned(), tr.text(&f.label).to_owned()))
            .collect(),
        accept: mamori_domain::attachment::ACCEPTED,
        attachment_limit: size_label(i64::try_from(limit).unwrap_or(i64::MAX)),
        form_title: tr.text(&v.library.form_of(procedure).title).to_owned(),
        edit: v.may_edit.then(|| {
            let mut views = field_views(tr, fields, &form_data);
            suggest(&mut views, fields, &v.library);
            case_form(tr, fields, &mut views);
            views
        }),
        first_action,
        rows,
        actions,
        open_closing: posted.is_some_and(|p| closing.iter().any(|b| b.action == p.get("_action"))),
        closing,
        takes_files: v.may_edit && fields.iter().any(|f| f.kind == FieldType::Attachment),
        history,
        errors,
        summary,
        calls: None,
        elapsed: None,
        schedule: None,
        awaited: vec![],
        waiting_on: vec![],
        l,
    }
}

/// The case with the tables its actions start from a register (a checklist's items) put
/// in where nothing is recorded yet, for the action boxes to open with; the form's own
/// items are shown from what is stored.
async fn with_action_tables(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    mut v: CaseView,
) -> Result<CaseView, Failure> {
    for (k, value) in state.app.action_prefill(&s.caller, &v).await? {
        v.data.entry(k).or_insert(value);
    }
    Ok(v)
}

/// The case page with everything around its form (what it waits on, whom to call, the
/// schedule), showing `posted` again where given.
async fn case_page(
    state: &AppState,
    s: &mamori_app::SessionInfo,
    id: Uuid,
    posted: Option<&Posted>,
    errors: FormErrors,
    notice: Option<&str>,
) -> Result<(ShowPage, CaseView), Failure> {
    let tr = Tr::of(s);
    let v = state.app.case(&s.caller, id).await?;
    // Worked out from what is stored, before the action boxes' starting values go in.
    let awaited = awaited(tr, &v);
    let waiting_on = waiting_lines(state, tr, &v).await?;
    let v = with_action_tables(state, s, v).await?;
    let page = ShowPage {
        awaited,
        waiting_on,
        calls: calls_panel(state, s, &v).await?,
        elapsed: elapsed(tr, &v, &state.app.local_now()),
        schedule: schedule_panel(state, &v),
        ..show_page(
            state.app.attachment_limit(),
            s,
            &v,
            posted,
            errors,
            None,
            notice,
        )
    };
    Ok((page, v))
}

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
    let mut posted = Posted { pairs };
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
    let mut posted = Posted { pairs };
    posted.pairs.push(("_action".into(), action.clone()));
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
    let posted = Posted { pairs };
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

// -------------------------------------------------------------------- list --

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<CaseLine>,
    total: i64,
    q: String,
    open: String,
    /// The procedure chosen (`library/procedure`), and those to choose from.
    procedure: String,
    procedures: Vec<(String, String)>,
    overdue: bool,
}

/// A case in a list.
pub struct CaseLine {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Procedure title.
    pub procedure: String,
    /// State name.
    pub state: String,
    /// Organisation.
    pub organisation: String,
    /// Last change.
    pub updated: String,
    /// Closed.
    pub closed: bool,
    /// The deadline running now, and whether it has passed.
    pub due: Option<(String, bool)>,
    /// Its classification or handling mark, as printed.
    pub mark: Option<String>,
    /// Its number in the installation (2026-0012).
    pub number: String,
}

/// Turns stored cases into list lines, naming procedures and states from their library.
pub fn case_lines(state: &AppState, tr: Tr, rows: Vec<CaseRow>) -> Vec<CaseLine> {
    rows.into_iter()
        .map(|r| {
            let libraries = state.app.libraries();
            // A version another server built from a form variant names its procedure and
            // states as the shipped one does.
            let lib = libraries
                .version(&r.library_id, &r.library_version)
                .or_else(|| libraries.latest(&r.library_id).cloned());
            let lib = lib.as_ref();
            let p = lib.and_then(|l| l.procedures.get(&r.procedure_id));
            let due = state.app.due(&r).map(|d| (d.label, d.overdue));
            let mark = r
                .mark
                .as_deref()
                .and_then(|m| lib.and_then(|l| l.mark(m)))
                .map(|m| tr.text(&m.label).to_owned());
            CaseLine {
                due,
                mark,
                id: r.id,
                procedure: p.map_or(r.procedure_id.clone(), |p| tr.text(&p.title).to_owned()),
                state: p
                    .and_then(|p| p.state(&r.state))
                    .map_or(r.state.clone(), |s| tr.text(&s.name).to_owned()),
                title: r.title,
                number: r.number,
                organisation: r.organisation_name,
                updated: tr.datetime(r.updated_at),
                closed: r.closed_at.is_some(),
            }
        })
        .collect()
}

/// `?q=…&open=…`.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    open: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    overdue: String,
    offset: Option<i64>,
}

/// `GET /cases`.
pub async fn list(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let filter = CaseFilter {
        open: match q.open.as_str() {
            "open" => Some(true),
            "closed" => Some(false),
            _ => None,
        },
        q: Some(q.q.trim().to_owned()).filter(|x| !x.is_empty()),
        procedure: state
            .app
            .libraries()
            .procedure(&q.procedure)
            .map(|(lib, id)| (lib.id().to_owned(), id)),
        overdue_at: (!q.overdue.is_empty()).then(|| state.app.now()),
        ..CaseFilter::default()
    };
    let page = state
        .app
        .cases(&s.caller, &filter, PageRequest::new(Some(100), q.offset))
        .await?;
    let l = Layout::new(&s, "cases-title", "cases");
    let procedures = state
        .app
        .libraries()
        .current()
        .flat_map(|lib| {
            lib.procedures
                .iter()
                .map(|(id, p)| (format!("{}/{id}", lib.id()), l.tr.text(&p.title).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(render(&ListPage {
        rows: case_lines(&state, l.tr, page.items),
        total: page.total,
        q: q.q,
        open: q.open,
        procedure: q.procedure,
        procedures,
        overdue: !q.overdue.is_empty(),
        l,
    }))
}

/// `POST /cases/{id}/emergencies/{seq}`: ratifies (`_do=ratify`) or rejects an action taken
/// in an emergency.
pub async fn ratify(
    State(state): State<AppState>,
    PageSession(s): PageSession,
    Path((id, seq)): Path<(Uuid, i64)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let posted = Posted { pairs };
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
