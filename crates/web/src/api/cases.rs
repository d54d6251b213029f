//! `/api/v1/libraries`, `/api/v1/cases` and `/api/v1/inbox`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_app::history;
use mamori_app::read::PageRequest;
use mamori_app::read::{CaseFilter, CaseRow};
use mamori_app::{ActInput, App, CaseView, OpenCase};
use mamori_domain::calendar::DateStyle;
use mamori_library::Library;
use mamori_library::form::Data;
use mamori_library::model::{CommentRule, DocumentFormat, Field, Transition};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::attachments::AttachmentDto;
use super::dto::ErrorBody;
use super::{ApiResult, created};
use crate::AppState;
use crate::error::Failure;
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery};

/// A text in Japanese and, where the library gives it, English: `{"ja": …, "en": …}`.
pub(super) type TextDto = mamori_library::Text;

/// A procedure library in use.
#[derive(Serialize, ToSchema)]
pub struct LibraryDto {
    id: String,
    version: String,
    #[schema(value_type = Object)]
    title: TextDto,
    procedures: Vec<NamedDto>,
    registers: Vec<NamedDto>,
    roles: Vec<NamedDto>,
}

/// Something a library names.
#[derive(Serialize, ToSchema)]
pub struct NamedDto {
    pub(super) id: String,
    #[schema(value_type = Object)]
    pub(super) name: TextDto,
}

impl LibraryDto {
    fn new(lib: &Library) -> Self {
        Self {
            id: lib.id().to_owned(),
            version: lib.version().to_owned(),
            title: lib.manifest.title.clone(),
            procedures: lib
                .procedures
                .values()
                .map(|p| NamedDto {
                    id: p.id().to_owned(),
                    name: p.title.clone(),
                })
                .collect(),
            registers: lib
                .registers
                .values()
                .map(|r| NamedDto {
                    id: r.id.value.clone(),
                    name: r.title.clone(),
                })
                .collect(),
            roles: lib
                .manifest
                .roles
                .iter()
                .map(|r| NamedDto {
                    id: r.id.value.clone(),
                    name: r.name.clone(),
                })
                .collect(),
        }
    }
}

/// The procedure libraries in use, at the versions new cases open under.
#[utoipa::path(get, path = "/libraries", tag = "cases",
    responses((status = 200, body = Vec<LibraryDto>), (status = 401, body = ErrorBody)))]
pub async fn list_libraries(
    State(state): State<AppState>,
    ApiCaller(_s): ApiCaller,
) -> ApiResult<axum::Json<Vec<LibraryDto>>> {
    Ok(axum::Json(
        state
            .app
            .libraries()
            .current()
            .map(|l| LibraryDto::new(l))
            .collect(),
    ))
}

/// Open a case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseCreate {
    /// The procedure: `approval`, or `mod-external-service/approval` when ids repeat.
    procedure: String,
    /// The organisation the case is for.
    organisation: Uuid,
    /// The form's fields typed so far, by field id.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Data,
}

/// Save a draft.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    /// The form's fields, by field id; replaces what was saved.
    #[schema(value_type = Object)]
    data: Data,
}

/// Take an action.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The action's own fields, by field id.
    #[serde(default)]
    #[schema(value_type = Object)]
    fields: Data,
    /// A comment (required by some actions).
    #[serde(default)]
    comment: String,
    /// The reason for taking, in the unavoidable case (やむを得ない場合), an action that
    /// excludes the caller (an applicant approving their own application); accepted only
    /// where the library allows the exception, and listed for whoever oversees it.
    #[serde(default)]
    unavoidable: Option<String>,
    /// The reason for taking the action now, in an emergency, before its requirements hold
    /// (緊急時の例外措置): accepted only where the library gives the action an emergency
    /// path; it then waits on ratification.
    #[serde(default)]
    emergency: Option<String>,
}

/// A field of a form.
#[derive(Serialize, ToSchema)]
pub struct FieldDto {
    id: String,
    number: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[schema(value_type = Object)]
    label: TextDto,
    required: bool,
    options: Vec<NamedDto>,
    /// A `group`'s columns; a `contact` is an object with `name`, `section`, `phone` and
    /// `email`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    fields: Vec<FieldDto>,
}

impl FieldDto {
    pub(super) fn new(f: &Field) -> Self {
        Self {
            id: f.id().to_owned(),
            number: f.number.clone(),
            kind: f.kind.as_str().to_owned(),
            label: f.label.clone(),
            required: f.required,
            options: f
                .options
                .iter()
                .map(|o| NamedDto {
                    id: o.id.value.clone(),
                    name: o.label.clone(),
                })
                .collect(),
            fields: f.fields.iter().map(FieldDto::new).collect(),
        }
    }
}

/// An action the caller may take now.
#[derive(Serialize, ToSchema)]
pub struct ActionDto {
    action: String,
    #[schema(value_type = Object)]
    name: TextDto,
    fields: Vec<FieldDto>,
    /// `optional`, `required` or absent.
    comment: Option<&'static str>,
    /// Why it would be refused now, if it would.
    #[schema(value_type = Vec<Object>)]
    unmet: Vec<TextDto>,
    /// What its fields start with, by field id: what a register holds on the case's
    /// subject (the advice already received on a service, say), to check and send back.
    #[schema(value_type = Object)]
    prefill: Data,
    /// The action excludes the caller (separation of duties), but the library allows it in
    /// the unavoidable case: send `unavoidable` with the reason.
    unavoidable: bool,
    /// For an action several people take (`persons`, `jointly`): the decisions given so
    /// far and how many it needs, as `[given, needed]`.
    tally: Option<(usize, usize)>,
    /// Its requirements do not hold yet, but it may be taken now in an emergency: send
    /// `emergency` with the reason; it is then reported for ratification.
    emergency: bool,
    /// For a body's resolution: the votes of the round so far.
    votes: Option<VotesDto>,
}

/// The votes of a round of a committee's ballot.
#[derive(Serialize, ToSchema)]
pub struct VotesDto {
    #[serde(rename = "for")]
    yes: usize,
    against: usize,
    abstain: usize,
    /// Who may vote.
    members: usize,
    /// How many must vote for the body to resolve.
    quorum: usize,
    /// Whether the votes so far would carry it.
    carried: bool,
}

/// A secret handed over in the case; never its value.
#[derive(Serialize, ToSchema)]
pub struct SecretDto {
    /// The history entry that handed it over.
    seq: i64,
    /// The field: reveal it at `POST /api/v1/cases/{id}/secrets/{seq}/{field}/reveal`.
    field: String,
    #[schema(value_type = Object)]
    label: TextDto,
    /// The caller may be shown it now.
    may_reveal: bool,
    /// The caller was shown it and has not confirmed receiving it.
    may_confirm: bool,
    /// Who was shown it.
    shown_to: Option<String>,
    /// When (RFC 3339).
    shown_at: Option<String>,
    /// When they confirmed receiving it.
    received_at: Option<String>,
}

/// An action the case waits on now, whoever may take it.
#[derive(Serialize, ToSchema)]
pub struct AwaitedDto {
    action: String,
    #[schema(value_type = Object)]
    name: TextDto,
}

/// A desk the case waits on now: a role in an organisation, and who holds it today.
#[derive(Serialize, ToSchema)]
pub struct WaitingDto {
    role: String,
    #[schema(value_type = Object)]
    role_name: TextDto,
    organisation: Uuid,
    organisation_name: String,
    people: Vec<String>,
}

/// One entry of a case's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryDto {
    seq: i64,
    at: String,
    actor: Option<String>,
    action: String,
    /// The entry as a sentence people read, in both languages.
    #[schema(value_type = Object)]
    sentence: TextDto,
    from_state: Option<String>,
    to_state: Option<String>,
    comment: String,
    #[schema(value_type = Object)]
    data: Value,
    /// What the entry says beyond its action: `party` (the place in the action's `by` a
    /// joint decision was given as), `decided` and `completes` (one person's decision in
    /// an action several people take, and the one that made it count), `unavoidable`
    /// (the reason given for an exception to a separation of duties).
    #[schema(value_type = Object)]
    detail: Value,
}

/// A case in a list.
#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    id: Uuid,
    /// The case's number in the installation: the year it was opened and a sequence that
    /// starts again each year (`2026-0012`).
    number: String,
    library: String,
    procedure: String,
    organisation: Uuid,
    organisation_name: String,
    title: String,
    state: String,
    created_by: String,
    updated_at: String,
    closed: bool,
    /// The deadline running in the present state (RFC 3339), if any.
    due_at: Option<String>,
    /// That deadline has passed.
    overdue: bool,
    /// Its classification or handling mark.
    mark: Option<MarkDto>,
}

/// A classification or handling mark: its levels as stored (`caution`, or
/// `confidentiality=c2;integrity=i1` on several axes) and as printed.
#[derive(Serialize, ToSchema)]
pub struct MarkDto {
    id: String,
    #[schema(value_type = Object)]
    label: TextDto,
    /// Only those who need to know may read the case.
    need_to_know: bool,
}

impl CaseSummary {
    fn new(app: &App, r: CaseRow) -> Self {
        let due = app.due(&r);
        let mark = r.mark.as_deref().and_then(|m| {
            let lib = app.libraries().version(&r.library_id, &r.library_version)?;
            let (label, need_to_know) = lib.printed_class(Some(m))?;
            Some(MarkDto {
                id: m.to_owned(),
                label,
                need_to_know,
            })
        });
        Self {
            mark,
            due_at: due.as_ref().and(r.due_at).map(|d| d.0.to_string()),
            overdue: due.is_some_and(|d| d.overdue),
            id: r.id,
            number: r.number,
            library: r.library_id,
            procedure: r.procedure_id,
            organisation: r.organisation_id,
            organisation_name: r.organisation_name,
            title: r.title,
            state: r.state,
            created_by: r.created_by_name,
            updated_at: r.updated_at.0.to_string(),
            closed: r.closed_at.is_some(),
        }
    }
}

/// A document a case renders to.
#[derive(Serialize, ToSchema)]
pub struct DocumentDto {
    id: String,
    #[schema(value_type = Object)]
    title: TextDto,
    format: &'static str,
}

impl DocumentDto {
    pub(crate) fn new(d: &mamori_library::model::Document) -> Self {
        DocumentDto {
            id: d.id.value.clone(),
            title: d.title.clone(),
            format: match d.format {
                DocumentFormat::Text => "text",
                DocumentFormat::Pdf => "pdf",
                DocumentFormat::Xlsx => "xlsx",
            },
        }
    }
}

/// A case with its data, history and the caller's possible actions.
#[derive(Serialize, ToSchema)]
pub struct CaseDto {
    #[serde(flatten)]
    summary: CaseSummary,
    library_version: String,
    #[schema(value_type = Object)]
    state_name: TextDto,
    #[schema(value_type = Object)]
    data: Data,
    fields: Vec<FieldDto>,
    history: Vec<HistoryDto>,
    actions: Vec<ActionDto>,
    /// What the case waits on now, whoever may do it: a finished case may still owe
    /// something (a report due whatever the outcome).
    awaited: Vec<AwaitedDto>,
    /// Whom it waits on now: desks and the people holding them.
    waiting_on: Vec<WaitingDto>,
    may_edit: bool,
    /// Documents the case renders to: `GET /cases/{id}/documents/{id}`.
    documents: Vec<DocumentDto>,
    /// Files attached to it.
    attachments: Vec<AttachmentDto>,
    /// Whether the caller may attach files now.
    may_attach: bool,
    /// Who was told about the case in mamori and whether they have opened it since (an
    /// announcement's readers), by name.
    told: Vec<ToldDto>,
    /// Actions taken in an emergency that wait on ratification.
    emergencies: Vec<EmergencyDto>,
    /// Secrets handed over in it.
    secrets: Vec<SecretDto>,
}

/// An action taken in an emergency, waiting on ratification.
#[derive(Serialize, ToSchema)]
pub struct EmergencyDto {
    /// Its place in the history: ratify or reject it at
    /// `POST /api/v1/cases/{id}/emergencies/{seq}`.
    seq: i64,
    #[schema(value_type = Object)]
    action: TextDto,
    actor: Option<String>,
    reason: String,
    /// When it must be ratified by, in the installation's zone.
    due: Option<String>,
    overdue: bool,
    /// Where that figure comes from.
    #[schema(value_type = Option<Object>)]
    due_note: Option<TextDto>,
    /// Whether the caller may ratify or reject it.
    may_ratify: bool,
}

/// Someone told about a case.
#[derive(Serialize, ToSchema)]
pub struct ToldDto {
    name: String,
    /// When they were last told.
    told_at: String,
    /// They have opened the case since.
    read: bool,
    /// When they last opened it.
    read_at: Option<String>,
}

impl CaseDto {
    /// The case `id` as the caller reads it, with what its action boxes start with and
    /// what it waits on.
    pub(super) async fn read(
        state: &AppState,
        s: &mamori_app::SessionInfo,
        id: Uuid,
    ) -> ApiResult<Self> {
        let page = state.app.case_page(&s.caller, id, false).await?;
        let awaited = page.view.awaited.clone();
        Ok(Self::new(
            &state.app,
            page.view,
            &page.prefill,
            &awaited,
            page.waiting,
        ))
    }

    fn new(
        app: &App,
        v: CaseView,
        prefill: &Data,
        awaited: &[Transition],
        waiting: Vec<mamori_app::Waiting>,
    ) -> Self {
        let procedure = v.procedure();
        let state_name = procedure
            .state(&v.row.state)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| TextDto {
                ja: v.row.state.clone(),
                en: None,
            });
        let fields = v.fields().iter().map(FieldDto::new).collect();
        let actions = v
            .actions
            .iter()
            .map(|a| ActionDto {
                action: a.transition.action.value.clone(),
                name: a.transition.name.clone(),
                fields: a.transition.fields.iter().map(FieldDto::new).collect(),
                comment: a.transition.comment.map(|c| match c {
                    CommentRule::Optional => "optional",
                    CommentRule::Required => "required",
                }),
                unmet: a.unmet.clone(),
                unavoidable: a.unavoidable,
                tally: a.tally,
                emergency: a.emergency,
                votes: a.votes.map(|t| VotesDto {
                    yes: t.yes,
                    against: t.against,
                    abstain: t.abstain,
                    members: t.members,
                    quorum: t.quorum,
                    carried: t.carried,
                }),
                prefill: a
                    .transition
                    .fields
                    .iter()
                    .filter_map(|f| Some((f.id().to_owned(), prefill.get(f.id())?.clone())))
                    .collect(),
            })
            .collect();
        let awaited = awaited
            .iter()
            .map(|t| AwaitedDto {
                action: t.action.value.clone(),
                name: t.name.clone(),
            })
            .collect();
        let history = v
            .events
            .iter()
            .map(|e| HistoryDto {
                seq: e.seq,
                at: e.occurred_at.0.to_string(),
                actor: e.actor_name.clone(),
                action: e.action.clone(),
                sentence: TextDto {
                    ja: history::sentence(procedure, e, "ja", DateStyle::Seireki),
                    en: Some(history::sentence(procedure, e, "en", DateStyle::Seireki)),
                },
                from_state: e.from_state.clone(),
                to_state: e.to_state.clone(),
                comment: e.comment.clone(),
                data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
                detail: serde_json::from_str(&e.detail).unwrap_or(Value::Null),
            })
            .collect();
        let documents = procedure.documents.iter().map(DocumentDto::new).collect();
        Self {
            documents,
            attachments: v
                .attachments
                .iter()
                .map(|a| AttachmentDto::new(&v.library, a))
                .collect(),
            may_attach: v.may_attach,
            secrets: v
                .secrets
                .iter()
                .map(|s| SecretDto {
                    seq: s.seq,
                    field: s.field.clone(),
                    label: s.label.clone(),
                    may_reveal: s.may_reveal,
                    may_confirm: s.may_confirm,
                    shown_to: s.shown.as_ref().map(|(who, _)| who.clone()),
                    shown_at: s.shown.as_ref().map(|(_, at)| at.0.to_string()),
                    received_at: s.received_at.map(|at| at.0.to_string()),
                })
                .collect(),
            emergencies: v
                .emergencies
                .iter()
                .map(|e| EmergencyDto {
                    seq: e.seq,
                    action: e.action.clone(),
                    actor: e.actor.clone(),
                    reason: e.reason.clone(),
                    due: e.due.as_ref().map(|d| d.label.clone()),
                    overdue: e.due.as_ref().is_some_and(|d| d.overdue),
                    due_note: e.due.as_ref().and_then(|d| d.note.clone()),
                    may_ratify: e.may_ratify,
                })
                .collect(),
            told: v
                .told
                .iter()
                .map(|t| ToldDto {
                    name: t.name.clone(),
                    told_at: t.told_at.0.to_string(),
                    read: t.unread == 0,
                    read_at: t.read_at.map(|r| r.0.to_string()),
                })
                .collect(),
            library_version: v.row.library_version.clone(),
            state_name,
            fields,
            history,
            actions,
            awaited,
            waiting_on: waiting
                .into_iter()
                .map(|w| WaitingDto {
                    role: w.role,
                    role_name: w.role_name,
                    organisation: w.organisation,
                    organisation_name: w.organisation_name,
                    people: w.people,
                })
                .collect(),
            may_edit: v.may_edit,
            data: v.data,
            summary: CaseSummary::new(app, v.row),
        }
    }
}

/// Open a case as a draft with what is known so far.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = CaseCreate,
    responses((status = 201, body = super::dto::Created), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "No such procedure", body = ErrorBody)))]
pub async fn create_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiJson(body): ApiJson<CaseCreate>,
) -> ApiResult<Response> {
    let id = state
        .app
        .open_case(
            &s.caller,
            OpenCase {
                procedure: body.procedure,
                organisation: body.organisation,
                data: body.data,
            },
        )
        .await?;
    Ok(created(format!("/api/v1/cases/{id}"), id))
}

/// List filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// `true`: open cases only; `false`: closed only.
    open: Option<bool>,
    /// Words (separated by spaces) that must all appear in the title or the form's values;
    /// Japanese is matched by any part of a word.
    q: Option<String>,
    /// Only this procedure: `library/procedure`, or a procedure id only one library has.
    procedure: Option<String>,
    /// Only cases in this state (an id of the procedure's states).
    state: Option<String>,
    /// `true`: only cases whose deadline has passed.
    overdue: Option<bool>,
    /// Only cases of this organisation (within those the caller may see).
    organisation: Option<Uuid>,
    /// Rows per page (1–200, default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// A page of cases.
#[derive(Serialize, ToSchema)]
pub struct CasePage {
    items: Vec<CaseSummary>,
    /// Counted up to 1,000; see `total_exact`.
    total: i64,
    /// Whether `total` is exact; if not, at least that many.
    total_exact: bool,
}

impl CaseQuery {
    fn split(self, app: &App) -> Result<(CaseFilter, PageRequest), Failure> {
        let procedure = match self.procedure.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => {
                let (lib, id) = app.libraries().procedure(p).ok_or_else(|| {
                    Failure::bad_request("invalid_query", format!("unknown procedure {p}"))
                })?;
                Some((lib.id().to_owned(), id))
            }
        };
        Ok((
            CaseFilter {
                procedure,
                open: self.open,
                q: self.q.filter(|q| !q.trim().is_empty()),
                state: self.state.filter(|s| !s.is_empty()),
                organisation: self.organisation,
                overdue_at: self.overdue.unwrap_or(false).then(|| app.now()),
                ..CaseFilter::default()
            },
            PageRequest::new(self.limit, self.offset),
        ))
    }
}

impl CasePage {
    fn new(app: &App, p: mamori_app::read::Page<CaseRow>) -> Self {
        Self {
            items: p
                .items
                .into_iter()
                .map(|r| CaseSummary::new(app, r))
                .collect(),
            total: p.total,
            total_exact: p.exact,
        }
    }
}

/// Cases of the organisations the caller may read, latest change first.
#[utoipa::path(get, path = "/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<axum::Json<CasePage>> {
    let (filter, page) = q.split(&state.app)?;
    let p = state.app.cases(&s.caller, &filter, page).await?;
    Ok(axum::Json(CasePage::new(&state.app, p)))
}

/// What waits on the caller: cases whose next step one of their designations may take.
#[utoipa::path(get, path = "/inbox", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody)))]
pub async fn get_inbox(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<axum::Json<CasePage>> {
    let (filter, page) = q.split(&state.app)?;
    let p = state.app.inbox(&s.caller, &filter, page).await?;
    Ok(axum::Json(CasePage::new(&state.app, p)))
}

/// One case, with its history and what the caller may do now.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CaseDto>> {
    Ok(axum::Json(CaseDto::read(&state, &s, id).await?))
}

/// Save a draft's form data (before it is submitted).
#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), request_body = CasePatch,
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "The case is no longer a draft", body = ErrorBody)))]
pub async fn update_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CasePatch>,
) -> ApiResult<axum::Json<CaseDto>> {
    state.app.save_draft(&s.caller, id, body.data).await?;
    Ok(axum::Json(CaseDto::read(&state, &s, id).await?))
}

/// A document of a case (`documents` of the case lists them), rendered now; the rendering
/// is recorded in the audit trail.
#[utoipa::path(get, path = "/cases/{id}/documents/{name}", tag = "cases",
    params(("id" = Uuid, Path), ("name" = String, Path, description = "a document id, with or without its extension")),
    responses((status = 200, description = "The document: text/plain, application/pdf or an .xlsx workbook", content_type = "application/pdf"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case_document(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, name)): ApiPath<(Uuid, String)>,
) -> ApiResult<Response> {
    let name = name
        .strip_suffix(".txt")
        .or_else(|| name.strip_suffix(".pdf"))
        .or_else(|| name.strip_suffix(".xlsx"))
        .unwrap_or(&name);
    let doc = state.app.document(&s.caller, id, name).await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                disposition(&doc.file_name, doc.download_name.as_deref()),
            ),
        ],
        doc.body,
    )
        .into_response())
}

/// Take an action on a case (submit, approve, …): the library says which exist.
#[utoipa::path(post, path = "/cases/{id}/actions/{action}", tag = "cases",
    params(("id" = Uuid, Path), ("action" = String, Path)), request_body = ActionRequest,
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Not possible now; the message says why", body = ErrorBody)))]
pub async fn act_on_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> ApiResult<axum::Json<CaseDto>> {
    state
        .app
        .act(
            &s.caller,
            id,
            &action,
            ActInput {
                fields: body.fields,
                form: None,
                comment: body.comment,
                unavoidable: body.unavoidable,
                emergency: body.emergency,
            },
        )
        .await?;
    Ok(axum::Json(CaseDto::read(&state, &s, id).await?))
}

/// `Content-Disposition` for a document: the ASCII name, and the name people save it
/// under in UTF-8 (RFC 6266, RFC 8187) when there is one.
pub(crate) fn disposition(file_name: &str, download_name: Option<&str>) -> String {
    match download_name {
        None => format!("inline; filename=\"{file_name}\""),
        Some(name) => {
            let encoded: String = name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("inline; filename=\"{file_name}\"; filename*=UTF-8''{encoded}")
        }
    }
}

/// A case's legal hold.
#[derive(Serialize, ToSchema)]
pub struct CaseHoldDto {
    /// Whether a hold keeps the case past its retention.
    held: bool,
    since: Option<String>,
    reason: Option<String>,
}

impl CaseHoldDto {
    fn new(h: Option<(mamori_app::read::Ts, String)>) -> Self {
        Self {
            held: h.is_some(),
            since: h.as_ref().map(|(t, _)| t.0.to_string()),
            reason: h.map(|(_, r)| r),
        }
    }
}

/// Why a case is held.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseHoldRequest {
    /// The reason (a lawsuit, an investigation), kept with the hold and in the trail.
    reason: String,
}

/// Whether a legal hold keeps the case past its procedure's retention.
#[utoipa::path(get, path = "/cases/{id}/hold", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseHoldDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case_hold(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CaseHoldDto>> {
    Ok(axum::Json(CaseHoldDto::new(
        state.app.case_hold(&s.caller, id).await?,
    )))
}

/// Place a legal hold on a case: once closed, it is kept past its retention until
/// released. Administrators and auditors over the case's organisation may.
#[utoipa::path(post, path = "/cases/{id}/hold", tag = "cases", params(("id" = Uuid, Path)),
    request_body = CaseHoldRequest,
    responses((status = 200, body = CaseHoldDto), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hold_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CaseHoldRequest>,
) -> ApiResult<axum::Json<CaseHoldDto>> {
    state.app.hold_case(&s.caller, id, &body.reason).await?;
    Ok(axum::Json(CaseHoldDto::new(
        state.app.case_hold(&s.caller, id).await?,
    )))
}

/// Release a case's legal hold: its retention runs again.
#[utoipa::path(delete, path = "/cases/{id}/hold", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseHoldDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "The case is not held", body = ErrorBody)))]
pub async fn release_case(
    State(state): State<AppState>,
    ApiCaller(s): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CaseHoldDto>> {
    state.app.release_case(&s.caller, id).await?;
    Ok(axum::Json(CaseHoldDto::new(
        state.app.case_hold(&s.caller, id).await?,
    )))
}
