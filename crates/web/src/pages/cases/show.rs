//! The case page: the case with its form or record, the actions the reader may take in boxes,
//! its files, history, deadline, what it waits on, and each rulebook's panel.

use askama::Template;
use mamori_app::history;
use mamori_app::{CasePage, CaseView, Waiting};
use mamori_library::form::{self, Data};
use mamori_library::model::{CommentRule, Field, FieldType, Procedure, Transition};
use uuid::Uuid;

use crate::AppState;
use crate::error::Failure;
use crate::i18n::Tr;
use crate::pages::{FormErrors, Layout};

use crate::pages::form_widgets::{
    FieldView, Posted, case_form, choose_attached, field_views, suggest,
};
use crate::pages::reports::CallsPanel;
use crate::rulebooks::dsg::pages::{SchedulePanel, schedule_panel};

#[derive(Template)]
#[template(path = "cases/show.html")]
pub(super) struct ShowPage {
    pub(super) l: Layout,
    pub(super) id: Uuid,
    /// (since, reason) while a legal hold keeps the case.
    pub(super) hold: Option<(String, String)>,
    /// The reader may place or release a hold, and what they typed as its reason.
    pub(super) may_hold: bool,
    pub(super) hold_reason: String,
    /// The case's number, read aloud on the phone.
    pub(super) number: String,
    pub(super) title: String,
    pub(super) state_name: String,
    pub(super) closed: bool,
    pub(super) organisation_name: String,
    pub(super) organisation_id: Uuid,
    pub(super) applicant: String,
    /// What the procedure calls who opened it.
    pub(super) applicant_label: String,
    pub(super) opened: String,
    pub(super) library: String,
    /// The matrix row the procedure carries out: link and words.
    pub(super) matrix: Option<(String, String)>,
    /// Its classification or handling mark, as printed, and whether only those who need
    /// to know may read it.
    pub(super) mark: Option<(String, bool)>,
    /// The deadline running in the present state, and whether it has passed.
    pub(super) due: Option<(String, bool, Option<String>)>,
    /// Documents: (file name, title).
    pub(super) documents: Vec<(String, String)>,
    pub(super) attachments: Vec<AttachmentLine>,
    pub(super) may_attach: bool,
    /// The form's attachment fields a file may be attached for: (id, label).
    pub(super) attach_fields: Vec<(String, String)>,
    /// File extensions the upload accepts.
    pub(super) accept: &'static str,
    /// The size limit, as shown.
    pub(super) attachment_limit: String,
    pub(super) form_title: String,
    /// Editable draft: the form; otherwise the data as read.
    pub(super) edit: Option<Vec<FieldView>>,
    pub(super) first_action: Option<(String, String)>,
    pub(super) rows: Vec<(String, String, String)>,
    /// The actions the reader may take, the expected ones first.
    pub(super) actions: Vec<ActionBox>,
    /// Those that end the case undecided, shown apart behind a second step.
    pub(super) closing: Vec<ActionBox>,
    /// One of those was just tried and refused: shown open, with the reason.
    pub(super) open_closing: bool,
    /// The draft's form has a file input: it is posted as multipart.
    pub(super) takes_files: bool,
    pub(super) history: Vec<HistoryLine>,
    pub(super) errors: FormErrors,
    pub(super) summary: Option<String>,
    /// Whom to telephone before the form is sent, for procedures that call first.
    pub(super) calls: Option<CallsPanel>,
    /// For a case whose deadlines count from one of its date-times (an incident's
    /// detection): that field's label, its value and how long ago it was.
    pub(super) elapsed: Option<(String, String, String)>,
    /// A site joining the gateway: its schedule.
    pub(super) schedule: Option<SchedulePanel>,
    /// What the case waits on now, whoever may do it (a finished case may still owe a
    /// report): the actions' names.
    pub(super) awaited: Vec<String>,
    /// Who was told about the case and whether they have opened it since: (name, read).
    pub(super) told: Vec<(String, bool)>,
    /// Actions taken in an emergency that wait on ratification.
    pub(super) emergencies: Vec<EmergencyLine>,
    /// Secrets handed over in it.
    pub(super) secrets: Vec<crate::pages::secrets::SecretLine>,
    /// The desks it waits on, with who holds them.
    pub(super) waiting_on: Vec<String>,
}

/// How long ago the date-time a case's deadlines count from was, while the case is open:
/// the clock a person reporting an incident watches.
pub(super) fn elapsed(tr: Tr, v: &CaseView, now: &jiff::Zoned) -> Option<(String, String, String)> {
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
pub(super) fn awaited(tr: Tr, v: &CaseView) -> Vec<String> {
    v.awaited
        .iter()
        .map(|t| tr.text(&t.name).to_owned())
        .collect()
}

/// A desk the case waits on, as a line: 「防衛装備庁 緊急窓口（装備 窓口）」.
pub(super) fn waiting_line(tr: Tr, w: &Waiting) -> String {
    let desk = format!("{} {}", w.organisation_name, tr.text(&w.role_name));
    if w.people.is_empty() {
        desk
    } else {
        format!("{desk}（{}）", w.people.join("、"))
    }
}

/// What an action did, said after it: the state the case is in now and whom it waits on.
pub(super) fn moved_notice(tr: Tr, v: &CaseView, waiting: &[String]) -> String {
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
pub(super) struct EmergencyLine {
    pub(super) seq: i64,
    pub(super) text: String,
    /// When it must be ratified by, whether that has passed, and where the figure comes
    /// from.
    pub(super) due: Option<(String, bool, Option<String>)>,
    pub(super) may_ratify: bool,
}

pub(super) struct ActionBox {
    pub(super) action: String,
    pub(super) name: String,
    pub(super) fields: Vec<FieldView>,
    pub(super) comment: Option<bool>,
    pub(super) comment_value: String,
    pub(super) unmet: Vec<String>,
    /// The reader is excluded from it but may take it in the unavoidable case: a reason is
    /// asked for.
    pub(super) unavoidable: bool,
    /// The reason as typed.
    pub(super) unavoidable_value: String,
    /// For an action several people take: how far it has got.
    pub(super) tally: Option<String>,
    /// Its requirements do not hold yet but it may be taken now in an emergency: a reason
    /// is asked for.
    pub(super) emergency: bool,
    /// The emergency's reason as typed.
    pub(super) emergency_value: String,
    /// The case waits on it (someone is expected to take it).
    pub(super) expected: bool,
    /// The one that moves the case along: its button is the page's main one.
    pub(super) primary: bool,
    /// It ends the case without a decision (withdrawing): set apart, behind a second step.
    pub(super) closes: bool,
}

/// Whether `t` ends a case without it being decided: nobody waits on it, yet every way it
/// goes is a terminal state. The library marks no action as a withdrawal by name; this is
/// what one is.
pub(super) fn ends_undecided(p: &Procedure, t: &Transition) -> bool {
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
pub(super) fn arrange(
    boxes: Vec<ActionBox>,
    form_has_main: bool,
) -> (Vec<ActionBox>, Vec<ActionBox>) {
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

pub(super) struct AttachmentLine {
    pub(super) href: String,
    pub(super) id: Uuid,
    pub(super) file_name: String,
    pub(super) size: String,
    pub(super) added_by: String,
    pub(super) added_at: String,
    /// The label of the form field it was attached for, or "".
    pub(super) field: String,
    /// The reader attached it and may still withdraw it.
    pub(super) withdrawable: bool,
}

/// A size as people read it: bytes, KB or MB.
pub(super) fn size_label(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

pub(super) struct HistoryLine {
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) to_state: String,
    pub(super) comment: String,
    pub(super) details: Vec<(String, String)>,
}

pub(super) fn show_page(
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
                    .or_else(|| a.votes.map(|t| crate::pages::secrets::votes_line(tr, &t))),
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
        hold: v.row.held_at.map(|t| {
            (
                tr.datetime(t),
                v.row.hold_reason.clone().unwrap_or_default(),
            )
        }),
        may_hold: v.may_hold(&s.caller),
        hold_reason: posted
            .map(|p| p.get("hold_reason").to_owned())
            .unwrap_or_default(),
        secrets: v
            .secrets
            .iter()
            .map(|s| crate::pages::secrets::SecretLine::new(tr, s))
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
        matrix: crate::pages::matrices::procedure_link(
            tr,
            &v.library,
            procedure,
            Some(v.row.organisation_id),
        ),
        mark: v
            .library
            .printed_class(v.row.mark.as_deref())
            .map(|(label, need_to_know)| (tr.text(&label).to_owned(), need_to_know)),
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
pub(super) async fn case_page(
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
