//! Cases: opening one from a procedure, saving its draft, acting through its transitions,
//! reading it with its history, and the inbox of what waits on a person.
//!
//! Who may act is decided by [`policy::acting_as`] from the procedure's parties; who may
//! read by [`Permission::ViewCases`] or by being one of its parties. Every command is one
//! transaction with its case history entry, register writes and audit event.

use std::collections::BTreeMap;
use std::sync::Arc;

use mamori_domain::policy::{self, CaseFacts, CaseRelation, OrgFacts, Permission};
use mamori_library::condition::{self, Facts, Key, key_text};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::model::{
    CommentRule, Field, FieldType, Keeper, MARK_FIELD, Participant, Party, Procedure, Relation,
    Transition,
};
use mamori_library::{Library, Text};
use mamori_storage::attachments::{self, AttachmentRow};
use mamori_storage::cases::{
    self, CaseEventRow, CaseFilter, CaseRow, CaseUpdate, NewCase, NewCaseEvent,
};
use mamori_storage::notifications;
use mamori_storage::organisations as orgs;
use mamori_storage::registers::{self, RowWrite};
use mamori_storage::{Page, PageRequest, Src, Tx};
use serde_json::Value;
use uuid::Uuid;

use crate::error::FormProblem;
use crate::routing::{CaseAt, Routing};
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
}

/// An action the reader may take now.
#[derive(Debug, Clone)]
pub struct ActionView {
    /// The transition.
    pub transition: Transition,
    /// Requirements not met yet (the action is shown but refused).
    pub unmet: Vec<Text>,
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

pub(crate) fn relation(r: Relation) -> CaseRelation {
    match r {
        Relation::OwnOrganisation => CaseRelation::OwnOrganisation,
        Relation::ParentChain => CaseRelation::ParentChain,
        Relation::ContractingOrganisation => CaseRelation::ContractingOrganisation,
        Relation::PrimeContractor => CaseRelation::PrimeContractor,
        Relation::ServiceContractor => CaseRelation::ServiceContractor,
        Relation::LastResort => CaseRelation::LastResort,
        Relation::RelayedTo => CaseRelation::RelayedTo,
    }
}

/// The organisation the caller acts from as one of `parties`, if any.
pub(crate) fn acting_org(caller: &Caller, parties: &[Party], facts: &CaseFacts) -> Option<Uuid> {
    parties
        .iter()
        .find_map(|p| policy::acting_as(&caller.actor, &p.role.value, relation(p.of), facts))
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
        let pick = |kind: &str| {
            outgoing
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, id)| *id)
                .collect::<Vec<_>>()
        };
        let contracting = pick("contracts_with");
        // Those the contracting organisations engage (ATLA's service provider).
        let mut service = Vec::new();
        for org in &contracting {
            for (kind, id) in orgs::outgoing(src.reborrow(), *org).await? {
                if kind == "engages" && id != ancestors[0] && !service.contains(&id) {
                    service.push(id);
                }
            }
        }
        Ok(CaseFacts {
            ancestors,
            contracting,
            primes: pick("subcontractor_of"),
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

    /// Register rows the conditions of `transitions` need, kept by the case's organisation
    /// or one above it (or where the register's `read_from` says).
    async fn rows_for<'a>(
        &self,
        src: impl Into<Src<'a>>,
        lib: &Library,
        transitions: &[&Transition],
        data: &Data,
        facts: &CaseFacts,
    ) -> Result<BTreeMap<(String, String), Data>, AppError> {
        let mut src = src.into();
        let today = self.today().0.to_string();
        let mut wanted: Vec<(String, Key)> = Vec::new();
        for t in transitions {
            wanted.extend(condition::transition_lookups(t, data, &today));
        }
        let mut rows = BTreeMap::new();
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

    /// The actions a case waits on now, whoever may take them (as its inbox entries are
    /// worked out): what is still owed, a finished case's included.
    pub async fn awaited(&self, v: &CaseView) -> Result<Vec<Transition>, AppError> {
        let procedure = v.procedure();
        let facts = self.facts_of_row(&self.db, &v.library, &v.row).await?;
        let from: Vec<&Transition> = procedure
            .transitions_from(&v.row.state)
            .filter(|t| t.waits)
            .collect();
        let rows = self
            .rows_for(&self.db, &v.library, &from, &v.data, &facts)
            .await?;
        let local = self.local_now();
        let today = local.date().to_string();
        let done = parse_done(&v.row.done);
        let cf = Facts {
            data: &v.data,
            done: &done,
            rows: &rows,
            today: &today,
            now: Some(&local),
            subcontractor: !facts.primes.is_empty(),
        };
        Ok(from
            .into_iter()
            .filter(|t| condition::offered(t, &cf))
            .cloned()
            .collect())
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
                        Relation::ContractingOrganisation => "contracts_with",
                        Relation::PrimeContractor => "subcontractor_of",
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
                now,
            },
        )
        .await?;
        self.update_waits(tx, lib, procedure, id, &state, &data, &[], facts)
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

    /// Rewrites whom the case waits on in `state`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn update_waits(
        &self,
        tx: &mut Tx,
        lib: &Library,
        procedure: &Procedure,
        id: Uuid,
        state: &str,
        data: &Data,
        done: &[String],
        facts: &CaseFacts,
    ) -> Result<(), AppError> {
        let from: Vec<&Transition> = procedure.transitions_from(state).collect();
        let rows = self.rows_for(&mut *tx, lib, &from, data, facts).await?;
        let local = self.local_now();
        let today = local.date().to_string();
        let cf = Facts {
            data,
            done,
            rows: &rows,
            today: &today,
            now: Some(&local),
            subcontractor: !facts.primes.is_empty(),
        };
        let mut waits = Vec::new();
        for t in from
            .iter()
            .filter(|t| t.waits && condition::offered(t, &cf))
        {
            for p in &t.by {
                for org in facts.organisations(relation(p.of)) {
                    waits.push((p.role.value.clone(), *org));
                }
            }
        }
        waits.sort();
        waits.dedup();
        cases::set_waits(tx, id, &waits).await?;
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

    /// Reads a case with its history and the actions the caller may take now.
    pub async fn case(&self, caller: &Caller, id: Uuid) -> Result<CaseView, AppError> {
        let row = cases::get(&self.db, id).await?;
        let lib = self.definition(&self.db, &row).await?;
        let procedure = &lib.procedures[&row.procedure_id];
        let facts = self.facts_of_row(&self.db, &lib, &row).await?;
        let involved = self.involved(caller, &row).await?;
        if !may_read(caller, &row, procedure, &facts, involved) {
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
        let attachments = attachments::for_case(&self.db, id).await?;
        let mut data = parse_data(&row.data);
        form::derive(
            &lib.form_of(procedure).fields,
            &mut data,
            &attached_by_field(&attachments),
        );
        let done = parse_done(&row.done);
        let from: Vec<&Transition> = procedure.transitions_from(&row.state).collect();
        let rows = self.rows_for(&self.db, &lib, &from, &data, &facts).await?;
        let local = self.local_now();
        let today = local.date().to_string();
        let cf = Facts {
            data: &data,
            done: &done,
            rows: &rows,
            today: &today,
            now: Some(&local),
            subcontractor: !facts.primes.is_empty(),
        };
        let actions: Vec<ActionView> = from
            .iter()
            .filter(|t| condition::offered(t, &cf))
            .filter(|t| acting_org(caller, &t.by, &facts).is_some())
            .map(|t| ActionView {
                transition: (*t).clone(),
                unmet: condition::unmet(t, &cf).into_iter().cloned().collect(),
            })
            .collect();
        let may_edit = row.state == procedure.initial_state().id.value
            && acting_org(caller, &procedure.start, &facts).is_some();
        let events = cases::events(&self.db, id).await?;
        // Opening the case is reading what was notified about it.
        if notifications::unread_for_case(&self.db, caller.actor.person, id).await? > 0 {
            let mut tx = self.db.begin().await?;
            notifications::mark_case_read(&mut tx, caller.actor.person, id, self.now()).await?;
            tx.commit().await?;
        }
        // Withdrawing is always possible but expects nothing; files come with expected steps.
        let may_attach = may_edit || actions.iter().any(|a| a.transition.waits);
        let mut relay_targets = Vec::new();
        for a in actions.iter().filter(|a| a.transition.relays_to.is_some()) {
            if let Some(org) = acting_org(caller, &a.transition.by, &facts) {
                relay_targets = self.tree_of(org).await?;
            }
        }
        Ok(CaseView {
            relay_targets,
            due: self.due(&row).map(|due| Due {
                note: procedure
                    .deadlines
                    .iter()
                    .filter(|d| d.state.value == row.state && crate::deadlines::applies(d, &data))
                    .find_map(|d| d.note.clone()),
                ..due
            }),
            attachments,
            may_attach,
            data,
            library: lib.clone(),
            events,
            actions,
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
        self.update_waits(
            tx,
            lib,
            procedure,
            row.id,
            &row.state,
            &form_data,
            &parse_done(&row.done),
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

    /// Takes an action: checks who, the state, the fields and the requirements, then moves
    /// the case, writes the registers it names and records it all in one transaction.
    pub async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        action: &str,
        input: ActInput,
    ) -> Result<String, AppError> {
        let mut tx = self.db.begin().await?;
        let mut row = cases::get(&mut tx, id).await?;
        let lib = self.definition(&mut tx, &row).await?;
        let procedure = &lib.procedures[&row.procedure_id];
        let Some(transition) = procedure.transition(action) else {
            return Err(AppError::NotFound);
        };
        let facts = self.facts_of_row(&mut tx, &lib, &row).await?;
        let Some(acting) = acting_org(caller, &transition.by, &facts) else {
            drop(tx);
            return self
                .deny(
                    caller,
                    &format!("case.{action}"),
                    Some(row.organisation_id),
                    "case",
                    Some(id.to_string()),
                )
                .await;
        };
        if !transition.from.iter().any(|s| s.value == row.state) {
            return Err(AppError::Rule {
                code: "case-state-changed",
            });
        }
        let initial = procedure.initial_state().id.value.as_str();
        let form_fields = &lib.form_of(procedure).fields;
        // Acting from the draft page saves what was typed first, whatever happens next.
        if let Some(form_data) = input.form
            && row.state == initial
        {
            let mut form_data = form_data;
            form::derive(
                form_fields,
                &mut form_data,
                &self.attached(&mut tx, id).await?,
            );
            let clean = form::validate(form_fields, &form_data, Completeness::Draft)
                .map_err(|p| problems(form_fields, p))?;
            self.store_draft(&mut tx, caller, &lib, procedure, &row, clean, &facts)
                .await?;
            row = cases::get(&mut tx, id).await?;
        }
        let mut data = parse_data(&row.data);
        // The files attached so far go into the data the action records.
        form::derive(form_fields, &mut data, &self.attached(&mut tx, id).await?);
        let mut done = parse_done(&row.done);
        let mut found = Vec::new();
        let given = match form::validate(&transition.fields, &input.fields, Completeness::Complete)
        {
            Ok(d) => d,
            Err(p) => {
                found.extend(p);
                Data::new()
            }
        };
        // Sending the form on (out of the draft, to a state that goes on) needs it
        // complete; an action that keeps the draft (recording a call) or ends it (a
        // withdrawal) does not. Values of actions' fields kept with the draft are not the
        // form's to check.
        if row.state == initial && procedure.sends_on(transition) {
            let form_part: Data = data
                .iter()
                .filter(|(k, _)| form_fields.iter().any(|f| f.id() == k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Err(p) = form::validate(form_fields, &form_part, Completeness::Complete) {
                found.extend(p);
            }
        }
        // Evidence chosen from the case's files must still be one of them.
        let picks_files = transition
            .fields
            .iter()
            .flat_map(|f| std::iter::once(f).chain(&f.fields))
            .any(|f| f.from_attachments);
        if picks_files {
            let names: Vec<String> = attachments::for_case(&mut tx, id)
                .await?
                .into_iter()
                .map(|a| a.file_name)
                .collect();
            found.extend(form::unattached(&transition.fields, &given, &names));
        }
        // Where the action routes the case: on to the organisation acting, to the last
        // resort, or to an organisation it relays the case to.
        let mut routing = Routing::parse(&row.routing);
        if transition.pass_on && routing.holder(row.organisation_id) != acting {
            routing.passed.push(acting);
        }
        routing.last_resort |= transition.reach_last_resort;
        if let Some(field) = &transition.relays_to
            && let Some(text) = given.get(&field.value).and_then(Value::as_str)
        {
            match self.relay_target(&mut tx, acting, text).await? {
                Some(org) if !routing.relayed.contains(&org) => routing.relayed.push(org),
                Some(_) => {}
                None => found.push(form::FieldProblem {
                    field: field.value.clone(),
                    code: "unknown_organisation",
                    limit: None,
                }),
            }
        }
        let comment = input.comment.trim().to_owned();
        if transition.comment == Some(CommentRule::Required) && comment.is_empty() {
            found.push(form::FieldProblem {
                field: "comment".into(),
                code: "required",
                limit: None,
            });
        }
        if comment.chars().count() > 4000 {
            found.push(form::FieldProblem {
                field: "comment".into(),
                code: "too_long",
                limit: Some("4000".into()),
            });
        }
        if !found.is_empty() {
            // What was saved of the draft stays saved: commit it before refusing.
            tx.commit().await?;
            let mut all = form_fields.to_vec();
            all.extend(transition.fields.iter().cloned());
            all.push(comment_field());
            return Err(problems(&all, found));
        }
        // An action's fields say what was recorded when it was last taken: taken again
        // (a second notice after a deficiency), a field left empty this time is empty.
        for f in &transition.fields {
            data.remove(f.id());
        }
        data.extend(given.clone());
        let rows = self
            .rows_for(&mut tx, &lib, &[transition], &data, &facts)
            .await?;
        let local = self.local_now();
        let today = local.date().to_string();
        let cf = Facts {
            data: &data,
            done: &done,
            rows: &rows,
            today: &today,
            now: Some(&local),
            subcontractor: !facts.primes.is_empty(),
        };
        let refusal = if condition::offered(transition, &cf) {
            let unmet: Vec<Text> = condition::unmet(transition, &cf)
                .into_iter()
                .cloned()
                .collect();
            (!unmet.is_empty()).then_some(AppError::Unmet(unmet))
        } else {
            Some(AppError::Rule {
                code: "action-not-offered",
            })
        };
        if let Some(refusal) = refusal {
            // What was saved of the draft stays saved, as when a field is refused: sending
            // before the call is recorded must not lose what was typed.
            tx.commit().await?;
            return Err(refusal);
        }
        let routed = routing != Routing::parse(&row.routing);
        let to = if transition.stay {
            row.state.clone()
        } else if routed {
            // Where it goes next is reckoned from the organisation that now holds it (a
            // forwarding prime that is itself a subcontractor forwards to its own prime).
            let passed = self
                .facts_of_case(
                    &mut tx,
                    &lib,
                    procedure,
                    &CaseAt {
                        organisation: row.organisation_id,
                        state: &row.state,
                        data: &data,
                        routing: &routing,
                    },
                )
                .await?;
            let cf = Facts {
                subcontractor: !passed.primes.is_empty(),
                ..cf
            };
            condition::target(transition, &cf).to_owned()
        } else {
            condition::target(transition, &cf).to_owned()
        };
        let now = self.now();
        for w in &transition.writes {
            if let Some(when) = &w.when
                && !condition::holds(&when.value, &cf)
            {
                continue;
            }
            let keeper = match w.kept_by {
                Keeper::Actor => acting,
                Keeper::Case => row.organisation_id,
            };
            for source in &w.sources(&data) {
                let Some(key) = condition::resolve_key(&w.key, source, &today) else {
                    continue;
                };
                let text = key_text(&key);
                let existing =
                    registers::find(&mut tx, lib.id(), &w.register.value, &[keeper], &text).await?;
                let mut merged = existing.map(|r| parse_data(&r.data)).unwrap_or_default();
                let mut change = Data::new();
                for (col, expr) in w.key.iter().chain(w.set.iter()) {
                    if let Some(v) = condition::resolve(expr, source, &today) {
                        change.insert(col.clone(), v);
                    }
                }
                // A marked case marks the rows it writes, unless the write says otherwise.
                if let Some(mark) = data.get(MARK_FIELD)
                    && lib.registers[&w.register.value]
                        .column(MARK_FIELD)
                        .is_some()
                    && !change.contains_key(MARK_FIELD)
                {
                    change.insert(MARK_FIELD.to_owned(), mark.clone());
                }
                merged.extend(change.clone());
                registers::write(
                    &mut tx,
                    &RowWrite {
                        library: lib.id(),
                        register: &w.register.value,
                        organisation: keeper,
                        key_text: &text,
                        data: &Value::Object(merged).to_string(),
                        change: &Value::Object(change).to_string(),
                        actor: caller.actor.person,
                        case: Some(id),
                        action: "case",
                        comment: "",
                        now,
                    },
                )
                .await?;
            }
        }
        done.push(action.to_owned());
        let data_text = Value::Object(data.clone()).to_string();
        let done_text = serde_json::to_string(&done).unwrap_or_else(|_| "[]".into());
        // An action taken after the end (a report still owed) keeps the day it ended.
        let closed = condition::is_terminal(procedure, &to).then(|| row.closed_at.unwrap_or(now));
        cases::update(
            &mut tx,
            id,
            &row.state,
            &CaseUpdate {
                title: &row.title,
                state: &to,
                data: &data_text,
                mark: mark_columns(&lib, &data),
                done: &done_text,
                now,
                closed_at: closed,
            },
        )
        .await?;
        cases::append_event(
            &mut tx,
            id,
            &NewCaseEvent {
                actor: Some(caller.actor.person),
                action,
                from_state: Some(&row.state),
                to_state: Some(&to),
                comment: &comment,
                data: &Value::Object(given).to_string(),
                now,
            },
        )
        .await?;
        if routed {
            cases::set_routing(&mut tx, id, &routing.text()).await?;
        }
        // Whom it is addressed to follows its new state, data and routing.
        let facts = self
            .facts_of_case(
                &mut tx,
                &lib,
                procedure,
                &CaseAt {
                    organisation: row.organisation_id,
                    state: &to,
                    data: &data,
                    routing: &routing,
                },
            )
            .await?;
        self.update_waits(&mut tx, &lib, procedure, id, &to, &data, &done, &facts)
            .await?;
        if to != row.state {
            self.set_deadlines(&mut tx, procedure, id, &to, &data)
                .await?;
        }
        self.notify(
            &mut tx, caller, &lib, &row, procedure, transition, &to, &facts, now,
        )
        .await?;
        self.record_case(
            &mut tx,
            caller,
            "case.act",
            row.organisation_id,
            id,
            serde_json::json!({ "action": action, "from": row.state, "to": to }),
        )
        .await?;
        tx.commit().await?;
        Ok(to)
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

    /// Tells the transition's recipients (never the actor) what happened, in the same
    /// transaction as the change.
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        row: &CaseRow,
        procedure: &Procedure,
        transition: &Transition,
        to: &str,
        facts: &CaseFacts,
        now: mamori_storage::Ts,
    ) -> Result<(), AppError> {
        let mut people: Vec<Uuid> = Vec::new();
        for participant in &transition.notify {
            match participant {
                Participant::Applicant => people.push(row.created_by),
            }
        }
        for p in &transition.notify_roles {
            people.extend(
                notifications::holders_of(
                    tx,
                    &p.role.value,
                    facts.organisations(relation(p.of)),
                    self.today(),
                )
                .await?,
            );
        }
        if transition.notify_waiting {
            // The waits of the new state are already written in this transaction.
            people.extend(cases::waiting_people(tx, row.id, self.today()).await?);
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
                state.map_or(to, |s| s.name.get(lang)),
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
