//! Procedures and cases as pages: what one may start, the list, a new case, a case with its
//! actions, files and history. Forms are drawn by `form_widgets`; a draft is saved before
//! anything else is checked. A rulebook's own panel (the gateway's schedule, the incident
//! report's numbers to call) lives with that rulebook's pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_app::history;
use mamori_app::{ActInput, CasePage, CaseView, OpenCase, Waiting};
use mamori_library::form::{self, Data};
use mamori_library::model::{CommentRule, Field, FieldType, Procedure, Transition};
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

pub use list::{CaseLine, case_lines, list};
use posted::CaseForm;
pub use procedures::procedures;

use super::form_widgets::{
    FieldView, Posted, Reshape, case_form, choose_attached, errors_for, field_views, suggest,
};
use super::reports::CallsPanel;
use crate::rulebooks::dsg::pages::{SchedulePanel, schedule_panel};

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

/// A desk the case waits on, as a line: 「防衛装備庁 緊急窓口（装備 窓口）」.
fn waiting_line(tr: Tr, w: &Waiting) -> String {
    let desk = format!("{} {}", w.organisation_name, tr.text(&w.role_name));
    if w.people.is_empty() {
        desk
    } else {
        format!("{desk}（{}）", w.people.join("、"))
    }
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
    let CasePage {
        mut view,
        prefill,
        waiting,
        calls,
    } = state.app.case_page(&s.caller, id, true).await?;
    // Worked out from what is stored, before the action boxes' starting values go in.
    let awaited = awaited(tr, &view);
    let waiting_on = waiting.iter().map(|w| waiting_line(tr, w)).collect();
    for (k, value) in prefill {
        view.data.entry(k).or_insert(value);
    }
    let page = ShowPage {
        awaited,
        waiting_on,
        calls: calls.map(CallsPanel::new),
        elapsed: elapsed(tr, &view, &state.app.local_now()),
        schedule: schedule_panel(state, &view),
        ..show_page(
            state.app.attachment_limit(),
            s,
            &view,
            posted,
            errors,
            None,
            notice,
        )
    };
    Ok((page, view))
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
