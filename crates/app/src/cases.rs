//! Cases: opening one from a procedure, saving its draft, acting through its transitions,
//! reading it with its history, and the inbox of what waits on a person.
//!
//! Who may act is decided by [`policy::acting_as`] from the procedure's parties; who may
//! read by [`Permission::ViewCases`] or by being one of its parties. Every command is one
//! transaction with its case history entry, register writes and audit event.

use std::collections::BTreeMap;
use std::sync::Arc;

use mamori_domain::organisation::RelationKind;
use mamori_domain::policy::{self, CaseFacts, OrgFacts, Permission};
use mamori_library::condition::{self, Key, key_text};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::model::{Field, FieldType, MARK_FIELD, Party, Procedure, Relation, Transition};
use mamori_library::{Library, Text};
use mamori_storage::attachments::{self, AttachmentRow};
use mamori_storage::cases::{
    self, CaseEventRow, CaseFilter, CaseRow, CaseUpdate, NewCase, NewCaseEvent,
};
use mamori_storage::organisations as orgs;
use mamori_storage::registers::{self, RowWrite};
use mamori_storage::{Page, PageRequest, Src, Tx};
use mamori_storage::{designations, notifications};
use serde_json::Value;
use uuid::Uuid;

use crate::appointments::Origin;
use crate::error::FormProblem;
use crate::plan::{self, Detail, Plan, Refusal, Request, RowChange, Rows, Standing, Taken, Tally};
use crate::routing::{CaseAt, Routing};
use crate::secrets::Holder;
use crate::{App, AppError, Caller};

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
    /// The procedure.
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

pub(crate) use crate::plan::relation;

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

fn problems(fields: &[Field], found: Vec<form::FieldProblem>) -> AppError {
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
    pub(crate) async fn case_facts<'a>(
        &self,
        src: impl Into<Src<'a>>,
        org: Uuid,
    ) -> Result<CaseFacts, AppError> {
        let mut src = src.into();
        let ancestors = orgs::ancestors(src.reborrow(), org).await?;
        if ancestors.is_empty() {
            return Err(AppError::NotFound);
        }
        let outgoing = orgs::outgoing(src.reborrow(), org).await?;
        let pick = |kind: RelationKind| {
            outgoing
                .iter()
                .filter(|(k, _)| k == kind.as_str())
                .map(|(_, id)| *id)
                .collect::<Vec<_>>()
        };
        let contracting = pick(RelationKind::ContractsWith);
        // Those the contracting organisations engage (`service_contractor`: ATLA's service
        // provider); only the engaging organisation declares it.
        let mut service = Vec::new();
        for org in &contracting {
            for (kind, id) in orgs::outgoing(src.reborrow(), *org).await? {
                if kind == RelationKind::Engages.as_str()
                    && id != ancestors[0]
                    && !service.contains(&id)
                {
                    service.push(id);
                }
            }
        }
        Ok(CaseFacts {
            ancestors,
            contracting,
            primes: pick(RelationKind::SubcontractorOf),
            service,
            ..CaseFacts::default()
        })
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
        let members = self
            .members(src, &lib.procedures[&row.procedure_id], &row.state, &facts)
            .await?;
        Ok(Loaded {
            members,
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

    /// Procedures the caller may start, with the organisations they may start them for.
    pub async fn startable(&self, caller: &Caller) -> Result<Vec<Startable>, AppError> {
        let mut out = Vec::new();
        for lib in self.libraries.current() {
            for (id, procedure) in &lib.procedures {
                // Roles held where the case is opened: where they are held.
                let mut organisations = self
                    .held_in(
                        caller,
                        procedure
                            .start
                            .iter()
                            .filter(|p| {
                                matches!(p.of, Relation::OwnOrganisation | Relation::ParentChain)
                            })
                            .map(|p| p.role.value.as_str()),
                    )
                    .await?;
                // Roles held across a contract (a Ministry contact entering a company's
                // report): the organisations related to where they are held.
                for p in &procedure.start {
                    let kind = match p.of {
                        Relation::ContractingOrganisation => RelationKind::ContractsWith.as_str(),
                        Relation::PrimeContractor => RelationKind::SubcontractorOf.as_str(),
                        _ => continue,
                    };
                    for (held, _) in self
                        .held_in(caller, std::iter::once(p.role.value.as_str()))
                        .await?
                    {
                        for (org, name) in orgs::incoming(&self.db, held, kind).await? {
                            if !organisations.iter().any(|(o, _)| *o == org) {
                                organisations.push((org, name));
                            }
                        }
                    }
                }
                out.push(Startable {
                    library: lib.clone(),
                    procedure: id.clone(),
                    organisations,
                });
            }
        }
        Ok(out)
    }

    /// Opens a case in its first state with the data typed so far (a draft), under the
    /// organisation's variant of the form if it has one.
    pub async fn open_case(&self, caller: &Caller, input: OpenCase) -> Result<Uuid, AppError> {
        let (shipped, procedure_id) = self
            .libraries
            .procedure(&input.procedure)
            .ok_or(AppError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let facts = match self.case_facts(&mut tx, input.organisation).await {
            Ok(f) => f,
            Err(AppError::NotFound) => {
                drop(tx);
                return Err(AppError::Invalid(
                    mamori_domain::FieldError {
                        field: "organisation",
                        code: "not-found",
                        limit: None,
                    }
                    .into(),
                ));
            }
            Err(e) => return Err(e),
        };
        if acting_org(caller, &shipped.procedures[&procedure_id].start, &facts).is_none() {
            drop(tx);
            return self
                .deny(caller, "case.open", Some(input.organisation), "case", None)
                .await;
        }
        let lib = self
            .library_for(&mut tx, &shipped, &facts.ancestors)
            .await?;
        let procedure = &lib.procedures[&procedure_id];
        let fields = &lib.form_of(procedure).fields;
        // A case not yet opened has no files attached.
        let mut data = input.data;
        form::derive(fields, &mut data, &form::Attached::new());
        let data =
            form::validate(fields, &data, Completeness::Draft).map_err(|p| problems(fields, p))?;
        self.ensure_unique_open(&lib, procedure, input.organisation, &data, None)
            .await?;
        let id = self
            .insert_case(
                &mut tx,
                caller,
                &lib,
                procedure,
                input.organisation,
                data,
                &facts,
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores a new case in its first state with checked data: its opening event, whom it
    /// waits on, its deadlines and its audit event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_case(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        procedure: &Procedure,
        organisation: Uuid,
        data: Data,
        facts: &CaseFacts,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::now_v7();
        let now = self.now();
        let state = procedure.initial_state().id.value.clone();
        let title = title_of(procedure, &lib.form_of(procedure).fields, &data);
        let data_text = Value::Object(data.clone()).to_string();
        cases::insert(
            tx,
            &NewCase {
                id,
                library: lib.id(),
                version: lib.version(),
                procedure: procedure.id(),
                organisation,
                title: &title,
                state: &state,
                data: &data_text,
                mark: mark_columns(lib, &data),
                by: caller.actor.person,
                now,
                year: self.today().0.year(),
            },
        )
        .await?;
        cases::append_event(
            tx,
            id,
            &NewCaseEvent {
                actor: Some(caller.actor.person),
                action: "open",
                from_state: None,
                to_state: Some(&state),
                comment: "",
                data: &data_text,
                detail: "{}",
                now,
            },
        )
        .await?;
        let at = CaseAt {
            organisation,
            state: &state,
            data: &data,
            routing: &Routing::default(),
        };
        self.update_waits(tx, lib, procedure, id, &at, (&[], &[]), facts)
            .await?;
        self.set_deadlines(tx, procedure, id, &state, &data).await?;
        self.record_case(tx, caller, "case.open", organisation, id, serde_json::json!({ "library": lib.id(), "version": lib.version(), "procedure": procedure.id(), "title": title }))
            .await?;
        Ok(id)
    }

    /// The names of the files attached to a case, by the form field they were attached for.
    async fn attached(&self, tx: &mut Tx, case: Uuid) -> Result<form::Attached, AppError> {
        Ok(attached_by_field(&attachments::for_case(tx, case).await?))
    }

    /// Rewrites whom the case waits on as it stands at `at`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn update_waits(
        &self,
        tx: &mut Tx,
        lib: &Library,
        procedure: &Procedure,
        id: Uuid,
        at: &CaseAt<'_>,
        (done, history): (&[String], &[Taken]),
        facts: &CaseFacts,
    ) -> Result<(), AppError> {
        let now = self.local_now();
        let wanted = plan::lookups(procedure, at.state, at.data, &now.date().to_string());
        let rows = self.rows(&mut *tx, lib, facts, wanted).await?;
        let standing = Standing {
            lib,
            procedure,
            // Whom a case waits on depends on its parties, never on who opened it.
            opened_by: Uuid::nil(),
            history,
            state: at.state,
            data: at.data,
            done,
            routing: at.routing,
            facts,
            rows: &rows,
            now: &now,
            members: &BTreeMap::new(),
        };
        cases::set_waits(tx, id, &plan::waits(&standing)).await?;
        Ok(())
    }

    /// Whether the caller may read `row`, given the facts of its organisation (worked out
    /// once for a list of many of its cases). Decides as [`App::case`] does, through
    /// [`may_read`], but records nothing and marks nothing read.
    pub(crate) async fn may_read_row(
        &self,
        caller: &Caller,
        row: &CaseRow,
        lib: &Library,
        facts: &CaseFacts,
    ) -> Result<bool, AppError> {
        let procedure = &lib.procedures[&row.procedure_id];
        let involved = self.involved(caller, row).await?;
        Ok(may_read(caller, row, procedure, facts, involved))
    }

    /// For a case marked need-to-know, whether the caller acted in it or it waits on them
    /// now (the stored waits: an action offered to them, not merely one naming their role).
    /// Other cases are read by office or as a party, which does not ask.
    async fn involved(&self, caller: &Caller, row: &CaseRow) -> Result<bool, AppError> {
        if !row.need_to_know {
            return Ok(false);
        }
        if cases::acted_in(&self.db, row.id, caller.actor.person).await? {
            return Ok(true);
        }
        let waits = cases::waits(&self.db, row.id).await?;
        Ok(caller.actor.grants.iter().any(|g| {
            waits
                .iter()
                .any(|(role, org)| g.role == *role && g.organisation == Some(*org))
        }))
    }

    /// Reads a case with its history, the actions the caller may take now and those it
    /// waits on, whoever takes them.
    pub async fn case(&self, caller: &Caller, id: Uuid) -> Result<CaseView, AppError> {
        let case = self.load(&self.db, id, true).await?;
        let (row, procedure) = (&case.row, case.procedure());
        let involved = self.involved(caller, row).await?;
        // Whoever a notice went to (everyone an announcement reached) may open what it is
        // about, unless the case is need-to-know.
        let told = || async {
            Ok::<_, AppError>(
                !row.need_to_know
                    && notifications::was_told(&self.db, caller.actor.person, id).await?,
            )
        };
        if !may_read(caller, row, procedure, &case.facts, involved) && !told().await? {
            return self
                .deny(
                    caller,
                    "case.read",
                    Some(row.organisation_id),
                    "case",
                    Some(id.to_string()),
                )
                .await;
        }
        let now = self.local_now();
        let wanted = plan::lookups(procedure, &row.state, &case.data, &now.date().to_string());
        let rows = self.rows(&self.db, &case.lib, &case.facts, wanted).await?;
        let standing = case.standing(&rows, &now);
        let actions: Vec<ActionView> = plan::offers(&standing, &caller.actor)
            .into_iter()
            .map(|o| ActionView {
                transition: o.transition.clone(),
                unmet: o.unmet,
                unavoidable: o.unavoidable,
                tally: o.tally,
                emergency: o.emergency,
                votes: o.votes,
            })
            .collect();
        let awaited = plan::awaited(&standing).into_iter().cloned().collect();
        let may_edit = row.state == procedure.initial_state().id.value
            && acting_org(caller, &procedure.start, &case.facts).is_some();
        // Opening the case is reading what was notified about it.
        if notifications::unread_for_case(&self.db, caller.actor.person, id).await? > 0 {
            let mut tx = self.db.begin().await?;
            notifications::mark_case_read(&mut tx, caller.actor.person, id, self.now()).await?;
            tx.commit().await?;
        }
        let told = notifications::told_about(&self.db, id).await?;
        let emergencies = plan::pending_emergencies(procedure, &case.history)
            .into_iter()
            .map(|(e, t)| {
                let due = plan::ratify_by(t, e.at, &self.settings.zone).map(|at| Due {
                    label: self.due_label(at),
                    overdue: at <= self.now().0,
                    note: t.emergency.as_ref().and_then(|x| x.note.clone()),
                });
                PendingEmergency {
                    seq: e.seq,
                    action: t.name.clone(),
                    actor: case
                        .events
                        .iter()
                        .find(|x| x.seq == e.seq)
                        .and_then(|x| x.actor_name.clone()),
                    reason: e.detail.emergency.clone().unwrap_or_default(),
                    due,
                    may_ratify: plan::ratify(&standing, &caller.actor, e.seq, true).is_ok(),
                }
            })
            .collect();
        // Withdrawing is always possible but expects nothing; files come with expected steps.
        let may_attach = may_edit || actions.iter().any(|a| a.transition.waits);
        let mut relay_targets = Vec::new();
        for a in actions.iter().filter(|a| a.transition.relays_to.is_some()) {
            if let Some(org) = acting_org(caller, &a.transition.by, &case.facts) {
                relay_targets = self.tree_of(org).await?;
            }
        }
        let due = self.due(row).map(|due| Due {
            note: procedure
                .deadlines
                .iter()
                .filter(|d| d.state.value == row.state && plan::applies(d, &case.data))
                .find_map(|d| d.note.clone()),
            ..due
        });
        let secrets = self
            .secret_views((&self.db).into(), procedure, row.id, caller.actor.person)
            .await?;
        let Loaded {
            row,
            lib,
            data,
            files,
            events,
            facts,
            ..
        } = case;
        Ok(CaseView {
            facts,
            secrets,
            emergencies,
            told,
            relay_targets,
            due,
            attachments: files,
            may_attach,
            data,
            library: lib,
            events,
            actions,
            awaited,
            may_edit,
            row,
        })
    }

    /// The library version a new case of `organisation` would open under (its variant of
    /// the forms, if any) and the procedure's id, to show and read the form with; says
    /// nothing about whether the caller may open it.
    pub async fn form_for(
        &self,
        procedure: &str,
        organisation: Uuid,
    ) -> Result<(Arc<Library>, String), AppError> {
        let (shipped, procedure) = self
            .libraries
            .procedure(procedure)
            .ok_or(AppError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let ancestors = orgs::ancestors(&mut tx, organisation).await?;
        let lib = self.library_for(&mut tx, &shipped, &ancestors).await?;
        tx.commit().await?;
        Ok((lib, procedure))
    }

    /// The library version and procedure a case runs under, to read a posted form with;
    /// says nothing about whether the caller may see or change the case.
    pub async fn case_definition(&self, id: Uuid) -> Result<(Arc<Library>, String), AppError> {
        let row = cases::get(&self.db, id).await?;
        let lib = self.definition(&self.db, &row).await?;
        Ok((lib, row.procedure_id))
    }

    /// Saves a draft's form data (only in the first state, only by who may open it).
    pub async fn save_draft(&self, caller: &Caller, id: Uuid, data: Data) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let row = cases::get(&mut tx, id).await?;
        let lib = self.definition(&mut tx, &row).await?;
        let procedure = &lib.procedures[&row.procedure_id];
        let facts = self.facts_of_row(&mut tx, &lib, &row).await?;
        if acting_org(caller, &procedure.start, &facts).is_none() {
            drop(tx);
            return self
                .deny(
                    caller,
                    "case.save",
                    Some(row.organisation_id),
                    "case",
                    Some(id.to_string()),
                )
                .await;
        }
        if row.state != procedure.initial_state().id.value {
            return Err(AppError::Rule {
                code: "case-not-draft",
            });
        }
        let fields = &lib.form_of(procedure).fields;
        let mut data = data;
        form::derive(fields, &mut data, &self.attached(&mut tx, id).await?);
        let clean =
            form::validate(fields, &data, Completeness::Draft).map_err(|p| problems(fields, p))?;
        self.store_draft(&mut tx, caller, &lib, procedure, &row, clean, &facts)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_draft(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        procedure: &Procedure,
        row: &CaseRow,
        form_data: Data,
        facts: &CaseFacts,
    ) -> Result<(), AppError> {
        self.ensure_unique_open(
            lib,
            procedure,
            row.organisation_id,
            &form_data,
            Some(row.id),
        )
        .await?;
        let now = self.now();
        let title = title_of(procedure, &lib.form_of(procedure).fields, &form_data);
        // What actions recorded while the case is a draft (a telephone call) stays.
        let mut form_data = form_data;
        let form_fields = &lib.form_of(procedure).fields;
        for (k, v) in parse_data(&row.data) {
            if !form_fields.iter().any(|f| f.id() == k) {
                form_data.entry(k).or_insert(v);
            }
        }
        let text = Value::Object(form_data.clone()).to_string();
        cases::update(
            tx,
            row.id,
            &row.state,
            &CaseUpdate {
                title: &title,
                state: &row.state,
                data: &text,
                mark: mark_columns(lib, &form_data),
                done: &row.done,
                now,
                closed_at: None,
            },
        )
        .await?;
        cases::append_event(
            tx,
            row.id,
            &NewCaseEvent {
                actor: Some(caller.actor.person),
                action: "save",
                from_state: Some(&row.state),
                to_state: Some(&row.state),
                comment: "",
                data: &text,
                detail: "{}",
                now,
            },
        )
        .await?;
        // A deadline counted from a field of the form moves when the field does.
        if procedure
            .deadlines
            .iter()
            .any(|d| d.state.value == row.state && d.from.is_some())
        {
            self.set_deadlines(tx, procedure, row.id, &row.state, &form_data)
                .await?;
        }
        let at = CaseAt {
            organisation: row.organisation_id,
            state: &row.state,
            data: &form_data,
            routing: &Routing::parse(&row.routing),
        };
        let history = self.history_if_read(&mut *tx, procedure, row.id).await?;
        self.update_waits(
            tx,
            lib,
            procedure,
            row.id,
            &at,
            (&parse_done(&row.done), &history),
            facts,
        )
        .await?;
        self.record_case(
            tx,
            caller,
            "case.save",
            row.organisation_id,
            row.id,
            serde_json::json!({ "title": title }),
        )
        .await?;
        Ok(())
    }

    /// Refuses form data that repeats, in the procedure's `unique_open` field, the value of
    /// another open case of the same organisation (a second application for one site),
    /// naming that case; `this` is the case being saved.
    async fn ensure_unique_open(
        &self,
        lib: &Library,
        procedure: &Procedure,
        organisation: Uuid,
        data: &Data,
        this: Option<Uuid>,
    ) -> Result<(), AppError> {
        const PAGE: i64 = 200;
        let Some(field) = &procedure.unique_open else {
            return Ok(());
        };
        let Some(wanted) = data.get(&field.value).and_then(open_key) else {
            return Ok(());
        };
        let filter = CaseFilter {
            procedure: Some((lib.id().to_owned(), procedure.id().to_owned())),
            open: Some(true),
            organisation: Some(organisation),
            ..CaseFilter::default()
        };
        let mut offset = 0;
        loop {
            let page = PageRequest {
                limit: PAGE,
                offset,
            };
            let open = cases::matching(&self.db, &filter, page).await?;
            let taken = open.iter().find(|c| {
                Some(c.id) != this
                    && parse_data(&c.data)
                        .get(&field.value)
                        .and_then(open_key)
                        .is_some_and(|v| v == wanted)
            });
            if let Some(other) = taken {
                let fields = &lib.form_of(procedure).fields;
                let found = form::FieldProblem {
                    field: field.value.clone(),
                    code: "open_elsewhere",
                    limit: Some(other.id.to_string()),
                };
                return Err(problems(fields, vec![found]));
            }
            if (open.len() as i64) < PAGE {
                return Ok(());
            }
            offset += PAGE;
        }
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

    /// Takes an action: loads the case, saves what was typed on the draft page, asks the
    /// planner, and writes its plan in one transaction. A refusal after the draft was
    /// saved keeps the draft saved: sending before the call is recorded must not lose what
    /// was typed.
    pub async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        action: &str,
        input: ActInput,
    ) -> Result<String, AppError> {
        let mut tx = self.db.begin().await?;
        let mut case = self.load(&mut tx, id, false).await?;
        let now = self.local_now();
        if let Err(refusal) =
            plan::admits(&case.standing(&Rows::new(), &now), &caller.actor, action)
        {
            drop(tx);
            return self.refuse_action(caller, &case, action, refusal).await;
        }
        if let Some(typed) = input.form
            && case.row.state == case.procedure().initial_state().id.value
        {
            self.save_typed(&mut tx, caller, &case, typed).await?;
            case = self.load(&mut tx, id, false).await?;
        }
        let request = ActRequest {
            action,
            fields: &input.fields,
            comment: &input.comment,
            unavoidable: input.unavoidable.as_deref(),
            emergency: input.emergency.as_deref(),
        };
        match self
            .plan_action(&mut tx, caller, &case, &request, &now)
            .await?
        {
            Ok(plan) => {
                self.apply(&mut tx, caller, &case, action, &plan).await?;
                tx.commit().await?;
                Ok(plan.to)
            }
            Err(refusal) => {
                tx.commit().await?;
                self.refuse_action(caller, &case, action, refusal).await
            }
        }
    }

    /// Loads what the planner needs beyond the case for `request` and asks it.
    async fn plan_action(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        case: &Loaded,
        request: &ActRequest<'_>,
        now: &jiff::Zoned,
    ) -> Result<Result<Plan, Refusal>, AppError> {
        let no_rows = Rows::new();
        let base = case.standing(&no_rows, now);
        let acting = match plan::admits(&base, &caller.actor, request.action) {
            Ok((_, acting)) => acting,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let relay_targets: Vec<Uuid> = if plan::relays(case.procedure(), request.action) {
            orgs::tree_of(&mut *tx, acting)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        } else {
            Vec::new()
        };
        let passing_to = if plan::passes_on(&base, request.action, acting, case.row.organisation_id)
        {
            Some(self.case_facts(&mut *tx, acting).await?)
        } else {
            None
        };
        let files: Vec<String> = case.files.iter().map(|a| a.file_name.clone()).collect();
        // Only a library that lets a role be delegated asks whose the actor's roles are.
        let delegations: Vec<plan::Delegation> =
            if case.lib.manifest.roles.iter().any(|r| r.delegable) {
                designations::delegated_to(&mut *tx, caller.actor.person, self.today())
                    .await?
                    .into_iter()
                    .map(|(role, organisation, from)| plan::Delegation {
                        role,
                        organisation,
                        from,
                    })
                    .collect()
            } else {
                Vec::new()
            };
        let request = Request {
            delegations: &delegations,
            action: request.action,
            fields: request.fields,
            comment: request.comment,
            files: &files,
            relay_targets: &relay_targets,
            passing_to: passing_to.as_ref(),
            unavoidable: request.unavoidable,
            emergency: request.emergency,
        };
        let wanted = plan::action_lookups(&base, &request);
        let rows = self.rows(&mut *tx, &case.lib, &case.facts, wanted).await?;
        let standing = case.standing(&rows, now);
        Ok(plan::decide(
            &standing,
            case.row.organisation_id,
            &caller.actor,
            &request,
        ))
    }

    /// Writes a plan: the register rows, the case and its history entry, where it is
    /// routed, whom it now waits on, its deadlines, the notices and the audit event.
    async fn apply(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        case: &Loaded,
        action: &str,
        plan: &Plan,
    ) -> Result<(), AppError> {
        let (row, lib, procedure) = (&case.row, &case.lib, case.procedure());
        let now = self.now();
        for w in &plan.writes {
            self.write_planned_row(tx, caller, lib, row.id, w, now)
                .await?;
        }
        let data_text = Value::Object(plan.data.clone()).to_string();
        let done_text = serde_json::to_string(&plan.done).unwrap_or_else(|_| "[]".into());
        // An action taken after the end (a report still owed) keeps the day it ended.
        let closed_at = plan.closes.then(|| row.closed_at.unwrap_or(now));
        let update = CaseUpdate {
            title: &row.title,
            state: &plan.to,
            data: &data_text,
            mark: mark_columns(lib, &plan.data),
            done: &done_text,
            now,
            closed_at,
        };
        cases::update(tx, row.id, &row.state, &update).await?;
        let event = NewCaseEvent {
            actor: Some(caller.actor.person),
            action,
            from_state: Some(&row.state),
            to_state: Some(&plan.to),
            comment: &plan.comment,
            data: &Value::Object(plan.given.clone()).to_string(),
            detail: &plan.detail.text(),
            now,
        };
        let seq = cases::append_event(tx, row.id, &event).await?;
        let transition = procedure
            .transition(action)
            .ok_or_else(|| AppError::Internal("a planned action is missing".into()))?;
        // A designation that cannot be made (a person of another organisation, a second
        // deputy CISO) refuses the whole action: the transaction writes nothing.
        let origin = Origin {
            case: row.id,
            organisation: row.organisation_id,
            number: row.number.clone(),
        };
        let found = self
            .appoint(tx, caller, &origin, &plan.appointments)
            .await?;
        if !found.is_empty() {
            let form = &lib.form_of(procedure).fields;
            return Err(action_problems(form, Some(transition), found));
        }
        if let Some(routing) = &plan.routing {
            cases::set_routing(tx, row.id, &routing.text()).await?;
        }
        // Whom it is addressed to follows its new state, data and routing.
        let at = CaseAt {
            organisation: row.organisation_id,
            state: &plan.to,
            data: &plan.data,
            routing: plan.routing.as_ref().unwrap_or(&case.routing),
        };
        let facts = self.facts_of_case(&mut *tx, lib, procedure, &at).await?;
        let mut history = case.history.clone();
        history.push(Taken {
            seq,
            at: now.0,
            actor: Some(caller.actor.person),
            action: action.to_owned(),
            from: Some(row.state.clone()),
            to: Some(plan.to.clone()),
            detail: plan.detail.clone(),
        });
        self.update_waits(
            tx,
            lib,
            procedure,
            row.id,
            &at,
            (&plan.done, &history),
            &facts,
        )
        .await?;
        let holder = Holder {
            case: row.id,
            opened_by: row.created_by,
            history: &history,
            data: &plan.data,
        };
        self.seal_secrets(tx, &holder, seq, transition, &plan.secrets)
            .await?;
        // An exception to a separation of duties is listed for whoever oversees it.
        let overseers: Vec<(String, Uuid)> = plan
            .overseers
            .iter()
            .flat_map(|p| {
                facts
                    .organisations(relation(p.of))
                    .iter()
                    .map(|org| (p.role.value.clone(), *org))
            })
            .collect();
        cases::add_override(tx, row.id, seq, &overseers).await?;
        // An action taken in an emergency is listed for whoever ratifies it, due by when
        // the library says.
        let ratifiers = pairs_of(&plan.ratifiers, &facts);
        let due = procedure
            .transition(action)
            .and_then(|t| plan::ratify_by(t, now.0, &self.settings.zone));
        cases::add_emergency(tx, row.id, seq, &ratifiers, due.map(mamori_storage::Ts)).await?;
        if plan.to != row.state {
            self.set_deadlines(tx, procedure, row.id, &plan.to, &plan.data)
                .await?;
        }
        self.notify(tx, caller, case, transition, plan, &facts, now)
            .await?;
        let mut detail = serde_json::json!({ "action": action, "from": row.state, "to": plan.to });
        if let Some(reason) = &plan.detail.unavoidable {
            detail["unavoidable"] = Value::String(reason.clone());
        }
        if let Some(reason) = &plan.detail.emergency {
            detail["emergency"] = Value::String(reason.clone());
        }
        if plan.detail.decided {
            detail["counts"] = Value::Bool(plan.detail.completes);
        }
        self.record_case(tx, caller, "case.act", row.organisation_id, row.id, detail)
            .await
    }

    /// Writes one register row a plan names, merged over what the row held.
    async fn write_planned_row(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        case: Uuid,
        w: &RowChange,
        now: mamori_storage::Ts,
    ) -> Result<(), AppError> {
        let existing =
            registers::find(&mut *tx, lib.id(), &w.register, &[w.keeper], &w.key).await?;
        let mut merged = existing.map(|r| parse_data(&r.data)).unwrap_or_default();
        merged.extend(w.change.clone());
        let write = RowWrite {
            library: lib.id(),
            register: &w.register,
            organisation: w.keeper,
            key_text: &w.key,
            data: &Value::Object(merged).to_string(),
            change: &Value::Object(w.change.clone()).to_string(),
            actor: caller.actor.person,
            case: Some(case),
            action: "case",
            comment: "",
            now,
        };
        registers::write(tx, &write).await?;
        Ok(())
    }

    /// Answers a refusal of the planner: a denial is an audit event; mistakes in what was
    /// typed name their fields.
    async fn refuse_action<T>(
        &self,
        caller: &Caller,
        case: &Loaded,
        action: &str,
        refusal: Refusal,
    ) -> Result<T, AppError> {
        match refusal {
            Refusal::UnknownAction => Err(AppError::NotFound),
            Refusal::NotTheirs => {
                self.deny(
                    caller,
                    &format!("case.{action}"),
                    Some(case.row.organisation_id),
                    "case",
                    Some(case.row.id.to_string()),
                )
                .await
            }
            Refusal::StateChanged => Err(AppError::Rule {
                code: "case-state-changed",
            }),
            Refusal::Invalid(found) => Err(action_problems(
                &case.lib.form_of(case.procedure()).fields,
                case.procedure().transition(action),
                found,
            )),
            Refusal::NotOffered => Err(AppError::Rule {
                code: "action-not-offered",
            }),
            Refusal::Unmet(messages) => Err(AppError::Unmet(messages)),
            Refusal::Excluded { unavoidable } => Err(AppError::Rule {
                code: if unavoidable {
                    "excluded-unless-unavoidable"
                } else {
                    "excluded"
                },
            }),
            Refusal::AlreadyDecided => Err(AppError::Rule {
                code: "already-decided",
            }),
            Refusal::NoEmergencyPath => Err(AppError::Rule {
                code: "no-emergency-path",
            }),
            Refusal::NoSuchEmergency => Err(AppError::NotFound),
        }
    }

    /// Saves the form typed on the draft page before acting from it.
    async fn save_typed(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        case: &Loaded,
        typed: Data,
    ) -> Result<(), AppError> {
        let (lib, procedure) = (&case.lib, case.procedure());
        let fields = &lib.form_of(procedure).fields;
        let mut typed = typed;
        form::derive(fields, &mut typed, &attached_by_field(&case.files));
        let clean =
            form::validate(fields, &typed, Completeness::Draft).map_err(|p| problems(fields, p))?;
        self.store_draft(tx, caller, lib, procedure, &case.row, clean, &case.facts)
            .await
    }

    /// Appends a successful case event to the audit trail.
    async fn record_case(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        action: &str,
        organisation: Uuid,
        case: Uuid,
        detail: Value,
    ) -> Result<(), AppError> {
        self.record_done(
            tx,
            caller,
            action,
            organisation,
            ("case", case.to_string()),
            detail,
        )
        .await
    }

    /// Tells the plan's recipients (never the actor) what happened, in the same
    /// transaction as the change.
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        case: &Loaded,
        transition: &Transition,
        plan: &Plan,
        facts: &CaseFacts,
        now: mamori_storage::Ts,
    ) -> Result<(), AppError> {
        let (row, lib, procedure, to) = (&case.row, &case.lib, case.procedure(), &plan.to);
        let mut people: Vec<Uuid> = Vec::new();
        if plan.notices.applicant {
            people.push(row.created_by);
        }
        for p in plan
            .notices
            .roles
            .iter()
            .chain(&plan.overseers)
            .chain(&plan.ratifiers)
        {
            people.extend(
                notifications::holders_of(
                    &mut *tx,
                    &p.role.value,
                    facts.organisations(relation(p.of)),
                    self.today(),
                )
                .await?,
            );
        }
        if plan.notices.waiting {
            // The waits of the new state are already written in this transaction.
            people.extend(cases::waiting_people(&mut *tx, row.id, self.today()).await?);
        }
        people.sort_unstable();
        people.dedup();
        people.retain(|p| *p != caller.actor.person);
        if people.is_empty() {
            return Ok(());
        }
        let state = procedure.state(to);
        // Who acts next: the desks the case now waits on (written in this transaction).
        let next = self.desks_waited_on(tx, lib, row.id).await?;
        let next_in = |lang: &str| -> String {
            next.iter()
                .map(|w| {
                    let role = w.role_name.get(lang);
                    if lang == "en" {
                        format!("{role} of {}", w.organisation_name)
                    } else {
                        format!("{}の{role}", w.organisation_name)
                    }
                })
                .collect::<Vec<_>>()
                .join(if lang == "en" { ", " } else { "、" })
        };
        // A sentence: what was done, where that left the case, and who acts next.
        let subject = |lang: &str| {
            let (action, now_in) = (
                transition.name.get(lang),
                state.map_or(to.as_str(), |s| s.name.get(lang)),
            );
            let docs = sent_documents(procedure, transition, lang);
            let who = next_in(lang);
            if lang == "en" {
                let who = if who.is_empty() {
                    String::new()
                } else {
                    format!(" Next: {who}.")
                };
                format!(
                    "{}: “{action}” was done; it is now “{now_in}”.{who}{docs}",
                    row.title
                )
            } else {
                let who = if who.is_empty() {
                    String::new()
                } else {
                    format!("次は{who}の番です。")
                };
                format!(
                    "{}: 「{action}」が行われ、「{now_in}」になりました。{who}{docs}",
                    row.title
                )
            }
        };
        self.tell(
            tx,
            people,
            Some(row.id),
            &subject("ja"),
            &subject("en"),
            now,
        )
        .await
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

    /// The exceptions to a separation of duties listed for the caller (as overseer of
    /// them), latest first.
    pub async fn overrides(&self, caller: &Caller) -> Result<Vec<cases::OverrideRow>, AppError> {
        Ok(cases::overrides_for(&self.db, caller.actor.person, self.today(), 200).await?)
    }

    /// Ratifies (or rejects) the action taken in an emergency at `seq` of the case's
    /// history: kept in the history with the comment, told to whoever took it, and gone
    /// from the ratifiers' list. The case stays where it is; what a rejection undoes is the
    /// library's next action.
    pub async fn ratify(
        &self,
        caller: &Caller,
        id: Uuid,
        seq: i64,
        accept: bool,
        comment: &str,
    ) -> Result<(), AppError> {
        let comment = comment.trim();
        if comment.chars().count() > plan::COMMENT_MAX {
            let found = vec![form::FieldProblem {
                field: "comment".into(),
                code: "too_long",
                limit: Some(plan::COMMENT_MAX.to_string()),
            }];
            return Err(problems(&[comment_field()], found));
        }
        let mut tx = self.db.begin().await?;
        let case = self.load(&mut tx, id, true).await?;
        let now = self.local_now();
        let rows = Rows::new();
        let standing = case.standing(&rows, &now);
        let detail = match plan::ratify(&standing, &caller.actor, seq, accept) {
            Ok((_, detail)) => detail,
            Err(refusal) => {
                drop(tx);
                return self.refuse_action(caller, &case, "ratify", refusal).await;
            }
        };
        let (row, procedure) = (&case.row, case.procedure());
        let at = self.now();
        let action = if accept {
            "emergency.ratify"
        } else {
            "emergency.reject"
        };
        let event = NewCaseEvent {
            actor: Some(caller.actor.person),
            action,
            from_state: Some(&row.state),
            to_state: Some(&row.state),
            comment,
            data: "{}",
            detail: &detail.text(),
            now: at,
        };
        let new_seq = cases::append_event(&mut tx, id, &event).await?;
        cases::close_emergency(&mut tx, id, seq, at).await?;
        let mut history = case.history.clone();
        history.push(Taken {
            seq: new_seq,
            at: at.0,
            actor: Some(caller.actor.person),
            action: action.to_owned(),
            from: Some(row.state.clone()),
            to: Some(row.state.clone()),
            detail,
        });
        let place = CaseAt {
            organisation: row.organisation_id,
            state: &row.state,
            data: &case.data,
            routing: &case.routing,
        };
        self.update_waits(
            &mut tx,
            &case.lib,
            procedure,
            id,
            &place,
            (&case.done, &history),
            &case.facts,
        )
        .await?;
        // Whoever acted in the emergency learns what became of it.
        if let Some(actor) = case
            .history
            .iter()
            .find(|e| e.seq == seq)
            .and_then(|e| e.actor)
            && actor != caller.actor.person
        {
            let (ja, en) = if accept {
                (
                    format!("{}: 緊急に行った操作が承認（追認）されました。", row.title),
                    format!(
                        "{}: the action taken in an emergency was ratified.",
                        row.title
                    ),
                )
            } else {
                (
                    format!("{}: 緊急に行った操作が認められませんでした。", row.title),
                    format!(
                        "{}: the action taken in an emergency was rejected.",
                        row.title
                    ),
                )
            };
            self.tell(&mut tx, vec![actor], Some(id), &ja, &en, at)
                .await?;
        }
        let detail = serde_json::json!({ "emergency": seq, "ratified": accept });
        self.record_case(
            &mut tx,
            caller,
            "case.ratify",
            row.organisation_id,
            id,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actions taken in an emergency that wait on the caller's ratification, the
    /// earliest due first.
    pub async fn emergencies(&self, caller: &Caller) -> Result<Vec<cases::EmergencyRow>, AppError> {
        Ok(cases::emergencies_for(&self.db, caller.actor.person, self.today(), 200).await?)
    }

    /// The caller's notifications, unread first.
    pub async fn notifications(
        &self,
        caller: &Caller,
        limit: i64,
    ) -> Result<Vec<notifications::NotificationRow>, AppError> {
        Ok(notifications::for_person(&self.db, caller.actor.person, limit.clamp(1, 200)).await?)
    }

    /// What waits on the caller today.
    pub async fn inbox(
        &self,
        caller: &Caller,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRow>, AppError> {
        Ok(cases::inbox(&self.db, caller.actor.person, self.today(), filter, page).await?)
    }

    /// Cases of the organisations the caller may read.
    pub async fn cases(
        &self,
        caller: &Caller,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        // Whatever the caller asked for, need-to-know cases are filtered for them.
        let filter = CaseFilter {
            reader: Some((caller.actor.person, self.today())),
            ..filter.clone()
        };
        Ok(cases::list(&self.db, &scope, &filter, page).await?)
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

/// The mark columns of a case with this data: its mark's id and whether it restricts
/// reading.
fn mark_columns<'d>(lib: &Library, data: &'d Data) -> (Option<&'d str>, bool) {
    let need_to_know = lib.mark_of(data).is_some_and(|m| m.need_to_know);
    let id = data.get(MARK_FIELD).and_then(Value::as_str);
    (id, need_to_know)
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
