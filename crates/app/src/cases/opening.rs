//! Opening a case and keeping its draft: what the caller may start, the draft saved as typed,
//! and the one open case a procedure allows per key (`unique_open`).

use super::*;

impl App {
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
                // Roles held anywhere in a tree (`of: tree`): every organisation of it.
                for p in procedure
                    .start
                    .iter()
                    .filter(|p| matches!(p.of, Relation::Tree))
                {
                    for (held, _) in self
                        .held_in(caller, std::iter::once(p.role.value.as_str()))
                        .await?
                    {
                        for (org, name) in orgs::tree_of(&self.db, held).await? {
                            if !organisations.iter().any(|(o, _)| *o == org) {
                                organisations.push((org, name));
                            }
                        }
                    }
                }
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
        // A procedure about a register row is started by whoever holds the role for the
        // row the form names (the manager of that system).
        let mut facts = facts;
        let about = &shipped.procedures[&procedure_id];
        // A start party anywhere in the tree (a system manager reporting another section's
        // violation) is reckoned as the case's routing will reckon it; other procedures
        // open without reading the organisations around.
        if about.start.iter().any(|p| p.of.is_wide()) {
            self.wide_facts(Src::from(&mut tx), input.organisation, &mut facts)
                .await?;
        }
        if about.about.is_some() {
            self.about_row(&mut tx, &shipped, about, &input.data, &mut facts)
                .await?;
        }
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
        Self::within_row_class(&lib, procedure, &data, &facts)?;
        self.ensure_unique_open(&lib, procedure, input.organisation, &data, None)
            .await?;
        let id = self
            .insert_case(
                &mut tx,
                Opener::Caller(caller),
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
        opener: Opener<'_>,
        lib: &Library,
        procedure: &Procedure,
        organisation: Uuid,
        data: Data,
        facts: &CaseFacts,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::now_v7();
        let now = self.now();
        let state = procedure.initial_state().id.value.clone();
        let mut title = title_of(procedure, &lib.form_of(procedure).fields, &data);
        let (by, actor, detail) = match &opener {
            Opener::Caller(caller) => (caller.actor.person, Some(caller.actor.person), None),
            Opener::Round { holder, round } => {
                title = format!("{title} {round}").chars().take(200).collect();
                (*holder, None, Some(serde_json::json!({ "round": round })))
            }
        };
        let data_text = Value::Object(data.clone()).to_string();
        let (class, need_to_know) = class_columns(lib, &data, &[]);
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
                mark: (class.as_deref(), need_to_know),
                by,
                now,
                year: self.today().0.year(),
            },
        )
        .await?;
        let event_detail = detail.as_ref().map_or("{}".to_owned(), Value::to_string);
        cases::append_event(
            tx,
            id,
            &NewCaseEvent {
                actor,
                action: "open",
                from_state: None,
                to_state: Some(&state),
                comment: "",
                data: &data_text,
                detail: &event_detail,
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
        let audit = serde_json::json!({ "library": lib.id(), "version": lib.version(), "procedure": procedure.id(), "title": title, "round": detail.and_then(|d| d.get("round").cloned()) });
        match opener {
            Opener::Caller(caller) => {
                self.record_case(tx, caller, "case.open", organisation, id, audit)
                    .await?;
            }
            // mamori opened it: the trail names no person as its actor.
            Opener::Round { .. } => {
                self.record(
                    tx,
                    None,
                    None,
                    crate::Event {
                        action: "case.open",
                        organisation: Some(organisation),
                        target_kind: "case",
                        target_id: Some(id.to_string()),
                        outcome: mamori_domain::audit::Outcome::Success,
                        detail: audit,
                    },
                )
                .await?;
            }
        }
        Ok(id)
    }

    /// The names of the files attached to a case, by the form field they were attached for.
    pub(super) async fn attached(
        &self,
        tx: &mut Tx,
        case: Uuid,
    ) -> Result<form::Attached, AppError> {
        Ok(attached_by_field(&attachments::for_case(tx, case).await?))
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
            return self.deny_save(caller, &row).await;
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
        // A draft about a register row may now name another: whoever saves it must hold the
        // role for that one too.
        let mut facts = facts;
        if procedure.about.is_some() {
            self.about_row(&mut tx, &lib, procedure, &clean, &mut facts)
                .await?;
            if acting_org(caller, &procedure.start, &facts).is_none() {
                drop(tx);
                return self.deny_save(caller, &row).await;
            }
        }
        self.store_draft(&mut tx, caller, &lib, procedure, &row, clean, &facts)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refuses saving a draft, and records the refusal.
    async fn deny_save(&self, caller: &Caller, row: &CaseRow) -> Result<(), AppError> {
        self.deny(
            caller,
            "case.save",
            Some(row.organisation_id),
            "case",
            Some(row.id.to_string()),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn store_draft(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        lib: &Library,
        procedure: &Procedure,
        row: &CaseRow,
        form_data: Data,
        facts: &CaseFacts,
    ) -> Result<(), AppError> {
        Self::within_row_class(lib, procedure, &form_data, facts)?;
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
        let files = attachments::for_case(&mut *tx, row.id).await?;
        let (class, need_to_know) = class_columns(lib, &form_data, &files);
        cases::update(
            tx,
            row.id,
            &row.state,
            &CaseUpdate {
                title: &title,
                state: &row.state,
                data: &text,
                mark: (class.as_deref(), need_to_know),
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
    pub(super) async fn ensure_unique_open(
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

    /// Saves the form typed on the draft page before acting from it.
    pub(super) async fn save_typed(
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
        // Its facts as the typed form has them: it may name another register row.
        let mut facts = case.facts.clone();
        self.about_row(&mut *tx, lib, procedure, &clean, &mut facts)
            .await?;
        self.store_draft(tx, caller, lib, procedure, &case.row, clean, &facts)
            .await
    }
}
