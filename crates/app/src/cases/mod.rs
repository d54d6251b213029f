//! Cases: opening one from a procedure, saving its draft, acting through its transitions,
//! reading it with its history, and the inbox of what waits on a person.
//!
//! Who may act is decided by [`policy::acting_as`] from the procedure's parties; who may
//! read by [`Permission::ViewCases`] or by being one of its parties. Every command is one
//! transaction with its case history entry, register writes and audit event.
//!
//! The use cases are in files by what they do (`opening`, `reading`, `acting`, `lists`);
//! here are the shapes a case is handed out in and how a stored case is loaded with the
//! organisations around it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mamori_domain::organisation::RelationKind;
use mamori_domain::policy::{self, CaseFacts, OrgFacts, Permission};
use mamori_library::class::Class;
use mamori_library::condition::{self, Key, key_text};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::model::{Field, FieldType, Party, Procedure, Relation, Transition};
use mamori_library::{Library, Text};
use mamori_storage::attachments::{self, AttachmentRow};
use mamori_storage::cases::{
    self, CaseEventRow, CaseFilter, CaseRow, CaseUpdate, NewCase, NewCaseEvent,
};
use mamori_storage::organisations as orgs;
use mamori_storage::registers::{self, RowWrite};
use mamori_storage::{Page, PageRequest, Src, Tx};
use mamori_storage::{designations, notifications, persons};
use serde_json::Value;
use uuid::Uuid;

use crate::appointments::Origin;
use crate::error::FormProblem;
use crate::plan::{self, Detail, Plan, Refusal, Request, RowChange, Rows, Standing, Taken, Tally};
use crate::routing::{CaseAt, Routing};
use crate::secrets::Holder;
use crate::{App, AppError, Caller};

mod acting;
mod lists;
mod opening;
mod reading;

/// A request to open a case.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// The procedure: `library/procedure`, or an id only one library has.
    pub procedure: String,
    /// The organisation it is for.
    pub organisation: Uuid,
    /// Form data typed so far.
    pub data: Data,
}

/// A request to take an action.
#[derive(Debug, Clone, Default)]
pub struct ActInput {
    /// The action's own fields.
    pub fields: Data,
    /// The case form, when acting from the draft page (saved first).
    pub form: Option<Data>,
    /// The comment.
    pub comment: String,
    /// The reason for taking, in the unavoidable case (やむを得ない場合), an action the
    /// library excludes the actor from.
    pub unavoidable: Option<String>,
    /// The reason for taking the action now, in an emergency, before its requirements
    /// hold (緊急時の例外措置); it is reported for ratification afterwards.
    pub emergency: Option<String>,
}

/// An action the reader may take now.
#[derive(Debug, Clone)]
pub struct ActionView {
    /// The transition.
    pub transition: Transition,
    /// Requirements not met yet (the action is shown but refused).
    pub unmet: Vec<Text>,
    /// The reader is excluded from it (the applicant approving) but may take it in the
    /// unavoidable case, giving the reason.
    pub unavoidable: bool,
    /// For an action several people take: the decisions given so far and how many it
    /// needs.
    pub tally: Option<(usize, usize)>,
    /// Its requirements do not hold yet, but the reader may take it now in an emergency,
    /// giving the reason, and report afterwards.
    pub emergency: bool,
    /// For a body's resolution: the votes of the round so far.
    pub votes: Option<Tally>,
}

/// An action taken in an emergency that waits on ratification.
#[derive(Debug, Clone)]
pub struct PendingEmergency {
    /// Its place in the case's history.
    pub seq: i64,
    /// The action's name.
    pub action: Text,
    /// Who took it.
    pub actor: Option<String>,
    /// The reason they gave.
    pub reason: String,
    /// When it must be ratified by, as people read it, and whether that has passed.
    pub due: Option<Due>,
    /// Whether the reader may ratify or reject it.
    pub may_ratify: bool,
}

/// A case as its reader sees it.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// The stored case.
    pub row: CaseRow,
    /// Its data.
    pub data: Data,
    /// The library version it runs under.
    pub library: Arc<Library>,
    /// Its history.
    pub events: Vec<CaseEventRow>,
    /// What the reader may do now.
    pub actions: Vec<ActionView>,
    /// The actions the case waits on now, whoever may take them (as its inbox entries are
    /// worked out): what is still owed, a finished case's included.
    pub awaited: Vec<Transition>,
    /// Whether the reader may edit the draft.
    pub may_edit: bool,
    /// The deadline running in the present state.
    pub due: Option<Due>,
    /// Files attached and not withdrawn, oldest first.
    pub attachments: Vec<AttachmentRow>,
    /// Whether the reader may attach files now: the case waits on them, or it is their
    /// draft.
    pub may_attach: bool,
    /// The organisations an action of the reader's may relay the case to (`relays_to`):
    /// those in the tree the reader acts from, by name.
    pub relay_targets: Vec<(Uuid, String)>,
    /// Who was told about the case in mamori and whether they have opened it since (an
    /// announcement's readers).
    pub told: Vec<notifications::ToldRow>,
    /// Actions taken in an emergency that wait on ratification.
    pub emergencies: Vec<PendingEmergency>,
    /// Secrets handed over in the case, and whether the reader may be shown each.
    pub secrets: Vec<crate::secrets::SecretView>,
    /// The organisations around it, as routed: read once with the case, for what is worked
    /// out from it afterwards (the action boxes' starting values).
    pub(crate) facts: CaseFacts,
}

/// A stored case with everything deciding on it reads but the register rows, which depend
/// on the question asked.
struct Loaded {
    /// The stored case.
    row: CaseRow,
    /// The library version it runs under.
    lib: Arc<Library>,
    /// Its data, with the names of the files attached for each field.
    data: Data,
    /// The actions taken in it.
    done: Vec<String>,
    /// Where it was routed.
    routing: Routing,
    /// The organisations around it, as routed.
    facts: CaseFacts,
    /// Its files attached and not withdrawn.
    files: Vec<AttachmentRow>,
    /// Its history.
    events: Vec<CaseEventRow>,
    /// Its history as deciding reads it.
    history: Vec<Taken>,
    /// How many members may vote in each ballot counted in its state.
    members: BTreeMap<String, usize>,
    /// The people its exclusions' `person` fields name.
    subjects: BTreeMap<String, Uuid>,
}

impl Loaded {
    fn procedure(&self) -> &Procedure {
        &self.lib.procedures[&self.row.procedure_id]
    }

    fn standing<'a>(&'a self, rows: &'a Rows, now: &'a jiff::Zoned) -> Standing<'a> {
        Standing {
            lib: &self.lib,
            procedure: self.procedure(),
            opened_by: self.row.created_by,
            history: &self.history,
            state: &self.row.state,
            data: &self.data,
            done: &self.done,
            routing: &self.routing,
            facts: &self.facts,
            rows,
            now,
            members: &self.members,
            subjects: &self.subjects,
        }
    }
}

/// An action as asked, before what the planner needs beyond the case is loaded.
struct ActRequest<'a> {
    action: &'a str,
    fields: &'a Data,
    comment: &'a str,
    unavoidable: Option<&'a str>,
    emergency: Option<&'a str>,
}

/// A deadline as shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// When, in the installation's zone (a day, or a day and a time).
    pub label: String,
    /// It has passed.
    pub overdue: bool,
    /// Where the figure comes from, when the library says (a default of mamori's).
    pub note: Option<Text>,
}

impl CaseView {
    /// The class the case carries, its files' included, as printed on its documents and
    /// exports (「機密性2・完全性1」, 「注意」); `None` when it is unclassified.
    pub fn class_label(&self) -> Option<String> {
        let class = case_class(&self.library, &self.data, &self.attachments);
        self.library.class_label(&class, "ja")
    }

    /// The procedure.
    /// Whether `caller` may place or release a legal hold on the case: an administrator or
    /// an auditor over its organisation, and only where its procedure has a retention (a
    /// case kept for ever needs no hold).
    pub fn may_hold(&self, caller: &Caller) -> bool {
        self.procedure().retention_years.is_some()
            && policy::allows(
                &caller.actor,
                Permission::ViewAudit,
                &OrgFacts {
                    ancestors: self.facts.ancestors.clone(),
                    related: vec![],
                },
            )
    }

    pub fn procedure(&self) -> &Procedure {
        &self.library.procedures[&self.row.procedure_id]
    }

    /// The case form's fields.
    pub fn fields(&self) -> &[Field] {
        &self.library.form_of(self.procedure()).fields
    }
}

/// A procedure someone may start, and where.
#[derive(Debug, Clone)]
pub struct Startable {
    /// The library (current version).
    pub library: Arc<Library>,
    /// The procedure id.
    pub procedure: String,
    /// Organisations the caller may open it for: (id, name).
    pub organisations: Vec<(Uuid, String)>,
}

/// Who a new case is opened by.
pub(crate) enum Opener<'a> {
    /// A person, through a page or the API.
    Caller(&'a Caller),
    /// mamori, for a round of a recurring procedure: the case is its holder's, and its title
    /// and history name the round (令和8年度).
    Round { holder: Uuid, round: String },
}

pub(crate) use crate::plan::relation;

/// Who holds a party's role today, relative to a case: for a role held for the row the
/// case is about (`case_row`), that row's holders alone — a designation in the keeping
/// organisation is not one for the row; otherwise the holders in the organisations the
/// party's relation names.
pub(crate) async fn party_holders(
    tx: &mut Tx,
    party: &Party,
    facts: &CaseFacts,
    today: mamori_storage::Day,
) -> Result<Vec<Uuid>, AppError> {
    let of = relation(party.of);
    if of == policy::CaseRelation::CaseRow {
        return Ok(facts
            .row_holders
            .iter()
            .filter(|(role, _)| *role == party.role.value)
            .map(|(_, person)| *person)
            .collect());
    }
    Ok(mamori_storage::notifications::holders_of(
        &mut *tx,
        &party.role.value,
        facts.organisations(of),
        today,
    )
    .await?)
}

/// The organisation the caller acts from as one of `parties`, if any.
pub(crate) fn acting_org(caller: &Caller, parties: &[Party], facts: &CaseFacts) -> Option<Uuid> {
    plan::acting(&caller.actor, parties, facts)
}

/// The problems found with an action's fields, its comment or its reasons, each named by
/// its label.
pub(crate) fn action_problems(
    case_form: &[Field],
    t: Option<&Transition>,
    found: Vec<form::FieldProblem>,
) -> AppError {
    let mut all = case_form.to_vec();
    all.extend(t.iter().flat_map(|t| t.fields.iter().cloned()));
    all.push(comment_field());
    all.push(unavoidable_field());
    all.push(Field::built_in(
        "emergency",
        FieldType::LongText,
        Text {
            ja: "緊急に行う理由".into(),
            en: Some("Why it cannot wait".into()),
        },
    ));
    problems(&all, found)
}

pub(crate) fn problems(fields: &[Field], found: Vec<form::FieldProblem>) -> AppError {
    AppError::FormInvalid(
        found
            .into_iter()
            .map(|p| FormProblem {
                label: form::label_of(fields, &p.field).unwrap_or(Text {
                    ja: p.field.clone(),
                    en: None,
                }),
                field: p.field,
                code: p.code,
                limit: p.limit,
            })
            .collect(),
    )
}

fn parse_data(text: &str) -> Data {
    serde_json::from_str(text).unwrap_or_default()
}

fn parse_done(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Longest piece a `title_with` field gives a case's title, in characters.
const TITLE_PART_MAX: usize = 40;

/// The title a case is listed under: its `title_field`, then what each `title_with` field
/// holds (an incident's event and detection time), so that four reports of one company
/// read apart in an inbox.
fn title_of(procedure: &Procedure, fields: &[Field], data: &Data) -> String {
    let mut parts = vec![
        procedure
            .title_field
            .as_ref()
            .and_then(|f| data.get(&f.value))
            .and_then(Value::as_str)
            .unwrap_or(&procedure.title.ja)
            .to_owned(),
    ];
    for id in &procedure.title_with {
        let (Some(field), Some(value)) = (
            fields.iter().find(|f| f.id() == id.value),
            data.get(&id.value),
        ) else {
            continue;
        };
        let shown = form::display(field, value, "ja");
        let shown = shown.trim();
        if shown.is_empty() {
            continue;
        }
        let mut part: String = shown.chars().take(TITLE_PART_MAX).collect();
        if shown.chars().count() > TITLE_PART_MAX {
            part.push('…');
        }
        parts.push(part);
    }
    let title = parts.join(" ／ ");
    title.replace('\n', " ").trim().chars().take(200).collect()
}

impl App {
    /// The facts of a case of `org`, as far as its organisation decides them (its ancestry
    /// and relations); `NotFound` if the organisation is gone.
    pub(crate) async fn case_facts<'a>(
        &self,
        src: impl Into<Src<'a>>,
        org: Uuid,
    ) -> Result<CaseFacts, AppError> {
        self.case_facts_of(src, &[org])
            .await?
            .remove(&org)
            .ok_or(AppError::NotFound)
    }

    /// [`App::case_facts`] of many organisations in three reads, whatever their number (an
    /// overview of a hundred companies' cases); an organisation that is gone is absent.
    pub(crate) async fn case_facts_of<'a>(
        &self,
        src: impl Into<Src<'a>>,
        orgs_wanted: &[Uuid],
    ) -> Result<HashMap<Uuid, CaseFacts>, AppError> {
        let mut src = src.into();
        let mut ancestry = orgs::ancestors_of(src.reborrow(), orgs_wanted).await?;
        let mut outgoing = orgs::outgoing_of(src.reborrow(), orgs_wanted).await?;
        let pick = |outgoing: &[(String, Uuid)], kind: RelationKind| {
            outgoing
                .iter()
                .filter(|(k, _)| k == kind.as_str())
                .map(|(_, id)| *id)
                .collect::<Vec<_>>()
        };
        let mut contracted: Vec<Uuid> = outgoing
            .values()
            .flat_map(|o| pick(o, RelationKind::ContractsWith))
            .collect();
        contracted.sort_unstable();
        contracted.dedup();
        let engaging = orgs::outgoing_of(src.reborrow(), &contracted).await?;
        let mut out = HashMap::with_capacity(orgs_wanted.len());
        for org in orgs_wanted {
            let Some(ancestors) = ancestry.remove(org) else {
                continue;
            };
            let outgoing = outgoing.remove(org).unwrap_or_default();
            let contracting = pick(&outgoing, RelationKind::ContractsWith);
            // Those the contracting organisations engage (`service_contractor`: ATLA's
            // service provider); only the engaging organisation declares it.
            let mut service = Vec::new();
            for (kind, id) in contracting
                .iter()
                .flat_map(|c| engaging.get(c).into_iter().flatten())
            {
                if kind == RelationKind::Engages.as_str()
                    && *id != ancestors[0]
                    && !service.contains(id)
                {
                    service.push(*id);
                }
            }
            out.insert(
                *org,
                CaseFacts {
                    ancestors,
                    contracting,
                    primes: pick(&outgoing, RelationKind::SubcontractorOf),
                    service,
                    ..CaseFacts::default()
                },
            );
        }
        Ok(out)
    }

    /// The facts of a stored case (see [`App::facts_of_case`]).
    pub(crate) async fn facts_of_row<'a>(
        &self,
        src: impl Into<Src<'a>>,
        lib: &Library,
        row: &CaseRow,
    ) -> Result<CaseFacts, AppError> {
        let data = parse_data(&row.data);
        let routing = Routing::parse(&row.routing);
        let at = CaseAt {
            organisation: row.organisation_id,
            state: &row.state,
            data: &data,
            routing: &routing,
        };
        self.facts_of_case(src, lib, &lib.procedures[&row.procedure_id], &at)
            .await
    }

    /// The register rows `wanted`, kept by the case's organisation or one above it (or
    /// where the register's `read_from` says).
    async fn rows<'a>(
        &self,
        src: impl Into<Src<'a>>,
        lib: &Library,
        facts: &CaseFacts,
        wanted: Vec<(String, Key)>,
    ) -> Result<Rows, AppError> {
        let mut src = src.into();
        let mut rows = Rows::new();
        for (register, key) in wanted {
            let text = key_text(&key);
            if rows.contains_key(&(register.clone(), text.clone())) {
                continue;
            }
            let keepers = read_from(lib, &register, facts);
            if let Some(row) =
                registers::find(src.reborrow(), lib.id(), &register, &keepers, &text).await?
            {
                rows.insert((register, text), parse_data(&row.data));
            }
        }
        Ok(rows)
    }

    /// A stored case with everything deciding on it reads but the register rows. Its
    /// history is read when `history` asks or its procedure decides by it (exclusions by
    /// who took an action, several people's decisions, emergencies awaiting ratification).
    async fn load<'a>(
        &self,
        src: impl Into<Src<'a>>,
        id: Uuid,
        history: bool,
    ) -> Result<Loaded, AppError> {
        let mut src = src.into();
        let row = cases::get(src.reborrow(), id).await?;
        let lib = self.definition(src.reborrow(), &row).await?;
        let facts = self.facts_of_row(src.reborrow(), &lib, &row).await?;
        let files = attachments::for_case(src.reborrow(), id).await?;
        let events = if history || plan::reads_history(&lib.procedures[&row.procedure_id]) {
            cases::events(src.reborrow(), id).await?
        } else {
            Vec::new()
        };
        let mut data = parse_data(&row.data);
        form::derive(
            &lib.form_of(&lib.procedures[&row.procedure_id]).fields,
            &mut data,
            &attached_by_field(&files),
        );
        let procedure = &lib.procedures[&row.procedure_id];
        let mut subjects = BTreeMap::new();
        for field in plan::subject_fields(procedure) {
            let Some(text) = data.get(field).and_then(Value::as_str) else {
                continue;
            };
            if let Some(person) = persons::id_named(src.reborrow(), text).await? {
                subjects.insert(field.to_owned(), person);
            }
        }
        let members = self.members(src, procedure, &row.state, &facts).await?;
        Ok(Loaded {
            members,
            subjects,
            history: events.iter().map(taken).collect(),
            events,
            done: parse_done(&row.done),
            routing: Routing::parse(&row.routing),
            row,
            lib,
            data,
            facts,
            files,
        })
    }

    /// How many people may vote in each ballot a resolution in `state` counts: those
    /// holding its parties' roles today.
    async fn members(
        &self,
        mut src: Src<'_>,
        procedure: &Procedure,
        state: &str,
        facts: &CaseFacts,
    ) -> Result<BTreeMap<String, usize>, AppError> {
        let mut out = BTreeMap::new();
        for ballot in plan::ballots(procedure, state) {
            let mut people = Vec::new();
            for p in &ballot.by {
                let orgs = facts.organisations(relation(p.of));
                people.extend(
                    notifications::holders_of(src.reborrow(), &p.role.value, orgs, self.today())
                        .await?,
                );
            }
            people.sort();
            people.dedup();
            out.insert(ballot.action.value.clone(), people.len());
        }
        Ok(out)
    }

    /// The library version a case runs under.
    pub(crate) async fn definition<'a>(
        &self,
        src: impl Into<Src<'a>>,
        row: &CaseRow,
    ) -> Result<Arc<Library>, AppError> {
        let lib = self
            .stored_version(src, &row.library_id, &row.library_version)
            .await?;
        if !lib.procedures.contains_key(&row.procedure_id) {
            return Err(AppError::Internal("the case's procedure is missing".into()));
        }
        Ok(lib)
    }

    /// A case's history as deciding reads it, when its procedure decides by it (see
    /// [`plan::reads_history`]): whom the case waits on depends on it.
    pub(crate) async fn history_if_read<'a>(
        &self,
        src: impl Into<Src<'a>>,
        procedure: &Procedure,
        id: Uuid,
    ) -> Result<Vec<Taken>, AppError> {
        if !plan::reads_history(procedure) {
            return Ok(Vec::new());
        }
        Ok(cases::events(src, id).await?.iter().map(taken).collect())
    }
}

/// A `unique_open` value as two cases are compared on it: text without regard to case and
/// runs of spaces, as register keys; nothing for an empty value.
fn open_key(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(condition::normalise(s)),
        Value::String(_) | Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// What a notice says of the documents its action sends (`sends`), which its readers open
/// on the case: the content stays behind the login, as with every notice.
fn sent_documents(procedure: &Procedure, transition: &Transition, lang: &str) -> String {
    let titles: Vec<&str> = transition
        .sends
        .iter()
        .filter_map(|d| procedure.document(&d.value))
        .map(|d| d.title.get(lang))
        .collect();
    match (titles.is_empty(), lang) {
        (true, _) => String::new(),
        (false, "en") => format!(" Sent: {}.", titles.join(", ")),
        (false, _) => format!("送付: {}。", titles.join("、")),
    }
}

/// The organisations whose rows of `register` a case's conditions read: those in the
/// register's `read_from` relations to the case's organisation (a list its provider keeps,
/// never one the case's organisation writes itself), or else the case's organisation and
/// those above it, nearest first.
pub(crate) fn read_from(lib: &Library, register: &str, facts: &CaseFacts) -> Vec<Uuid> {
    let relations = lib
        .registers
        .get(register)
        .map(|r| r.read_from.as_slice())
        .unwrap_or_default();
    if relations.is_empty() {
        return facts.ancestors.clone();
    }
    let mut out: Vec<Uuid> = Vec::new();
    for org in relations
        .iter()
        .flat_map(|r| facts.organisations(relation(*r)))
    {
        if !out.contains(org) {
            out.push(*org);
        }
    }
    out
}

/// The names of the files attached for each form field.
fn attached_by_field(rows: &[AttachmentRow]) -> form::Attached {
    let mut out = form::Attached::new();
    for row in rows {
        if let Some(field) = &row.field {
            out.entry(field.clone())
                .or_default()
                .push(row.file_name.clone());
        }
    }
    out
}

/// The class columns of a case with this data and these files: the class it carries as a
/// container (the highest level of each axis among its form and its files, seed 004
/// 2(2)⑤(ウ)) as stored, and whether it restricts reading.
fn class_columns(lib: &Library, data: &Data, files: &[AttachmentRow]) -> (Option<String>, bool) {
    let class = case_class(lib, data, files);
    (lib.class_key(&class), lib.need_to_know(&class))
}

/// The class of a case as a container of its files.
pub(crate) fn case_class(lib: &Library, data: &Data, files: &[AttachmentRow]) -> Class {
    let mut class = lib.class_of(data);
    for key in files.iter().filter_map(|f| f.class.as_deref()) {
        class.join(&lib.class_from_key(key));
    }
    class
}

/// Whether the caller may read the case: over its organisation, or as a party. A case
/// marked need-to-know is read only by whoever opened it, acted in it or is waited on now
/// (`involved`); holding an office over its organisation is not enough.
fn may_read(
    caller: &Caller,
    row: &CaseRow,
    procedure: &Procedure,
    facts: &CaseFacts,
    involved: bool,
) -> bool {
    if row.created_by == caller.actor.person {
        return true;
    }
    if row.need_to_know {
        return involved;
    }
    let org_facts = OrgFacts {
        ancestors: facts.ancestors.clone(),
        related: vec![],
    };
    policy::allows(&caller.actor, Permission::ViewCases, &org_facts)
        || procedure
            .transitions
            .iter()
            .any(|t| acting_org(caller, &t.by, facts).is_some())
        || passed_it_on(caller, procedure, facts)
}

/// Whether the caller holds, in an organisation the case was passed on to, a role that
/// passes cases on (the desk of a prime that forwarded it): they keep reading what they
/// sent on, and nobody else there gains anything.
fn passed_it_on(caller: &Caller, procedure: &Procedure, facts: &CaseFacts) -> bool {
    caller.actor.grants.iter().any(|g| {
        g.organisation
            .is_some_and(|o| facts.passed_from.contains(&o))
            && procedure
                .transitions
                .iter()
                .filter(|t| t.pass_on)
                .flat_map(|t| &t.by)
                .any(|p| p.role.value == g.role)
    })
}

/// The (role, organisation) pairs `parties` name around a case.
fn pairs_of(parties: &[Party], facts: &CaseFacts) -> Vec<(String, Uuid)> {
    parties
        .iter()
        .flat_map(|p| {
            facts
                .organisations(relation(p.of))
                .iter()
                .map(|org| (p.role.value.clone(), *org))
        })
        .collect()
}

/// The reason an exception to a separation of duties was taken for, from a history entry's
/// detail (empty when it records none).
pub fn override_reason(detail: &str) -> String {
    Detail::parse(detail).unavoidable.unwrap_or_default()
}

/// The reason an action was taken in an emergency, from a history entry's detail.
pub fn emergency_reason(detail: &str) -> String {
    Detail::parse(detail).emergency.unwrap_or_default()
}

/// The reason for an exception, described like a field so that its problems read like
/// the others'.
fn unavoidable_field() -> Field {
    Field::built_in(
        "unavoidable",
        FieldType::LongText,
        Text {
            ja: "やむを得ない理由".into(),
            en: Some("Why it is unavoidable".into()),
        },
    )
}

/// A history entry as deciding reads it.
fn taken(e: &CaseEventRow) -> Taken {
    Taken {
        seq: e.seq,
        at: e.occurred_at.0,
        actor: e.actor_id,
        action: e.action.clone(),
        from: e.from_state.clone(),
        to: e.to_state.clone(),
        detail: Detail::parse(&e.detail),
    }
}

/// The comment, described like a field so that its problems read like the others'.
fn comment_field() -> Field {
    Field::built_in(
        "comment",
        FieldType::LongText,
        Text {
            ja: "コメント".into(),
            en: Some("Comment".into()),
        },
    )
}
