//! Acting in a case: deciding the action against the case as it stands (the planner), then
//! applying what was decided in one transaction with its history, register rows, waits,
//! notices and audit event; and ratifying what was done in an emergency.

use super::*;

/// How many times an action is decided again when others keep acting in the case first.
const DECIDE_ATTEMPTS: usize = 5;

impl App {
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
            subjects: &BTreeMap::new(),
        };
        cases::set_waits(tx, id, &plan::waits(&standing)).await?;
        Ok(())
    }

    /// Takes an action: loads the case, asks the planner, and writes its plan in one
    /// transaction.
    ///
    /// The case is read and the action decided before the writer is taken, so the single
    /// writer is held for the plan's statements alone and not for the reads that decide
    /// them. The plan is written only if nothing was recorded in the case meanwhile (every
    /// change to a case adds to its history); otherwise it is decided again on what is
    /// there now. Sent from the draft page, what was typed is saved first, and then the
    /// whole action runs in one transaction as before.
    pub async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        action: &str,
        mut input: ActInput,
    ) -> Result<String, AppError> {
        let typed = input.form.take();
        let request = ActRequest {
            action,
            fields: &input.fields,
            comment: &input.comment,
            unavoidable: input.unavoidable.as_deref(),
            emergency: input.emergency.as_deref(),
        };
        if let Some(typed) = typed {
            return self.act_saving_draft(caller, id, &request, typed).await;
        }
        for _ in 0..DECIDE_ATTEMPTS {
            let seen = cases::last_event(&self.db, id).await?;
            let case = self.load(&self.db, id, false).await?;
            let now = self.local_now();
            let plan = match self
                .plan_action(&self.db, caller, &case, &request, &now)
                .await?
            {
                Ok(plan) => plan,
                Err(refusal) => return self.refuse_action(caller, &case, action, refusal).await,
            };
            let mut tx = self.db.begin().await?;
            if cases::last_event(&mut tx, id).await? != seen {
                // Someone acted in between: decide again on the case as it is now.
                continue;
            }
            self.apply(&mut tx, caller, &case, action, &plan).await?;
            tx.commit().await?;
            return Ok(plan.to);
        }
        Err(AppError::Conflict { field: "state" })
    }

    /// [`App::act`] from the draft page: saves what was typed, then decides and writes the
    /// action in the same transaction. A refusal after the draft was saved keeps the draft
    /// saved: sending before the call is recorded must not lose what was typed.
    async fn act_saving_draft(
        &self,
        caller: &Caller,
        id: Uuid,
        request: &ActRequest<'_>,
        typed: Data,
    ) -> Result<String, AppError> {
        let action = request.action;
        let mut tx = self.db.begin().await?;
        let mut case = self.load(&mut tx, id, false).await?;
        let now = self.local_now();
        if let Err(refusal) =
            plan::admits(&case.standing(&Rows::new(), &now), &caller.actor, action)
        {
            drop(tx);
            return self.refuse_action(caller, &case, action, refusal).await;
        }
        if case.row.state == case.procedure().initial_state().id.value {
            self.save_typed(&mut tx, caller, &case, typed).await?;
            case = self.load(&mut tx, id, false).await?;
        }
        match self
            .plan_action(&mut tx, caller, &case, request, &now)
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
    pub(super) async fn plan_action<'a>(
        &self,
        src: impl Into<Src<'a>>,
        caller: &Caller,
        case: &Loaded,
        request: &ActRequest<'_>,
        now: &jiff::Zoned,
    ) -> Result<Result<Plan, Refusal>, AppError> {
        let mut src = src.into();
        let no_rows = Rows::new();
        let base = case.standing(&no_rows, now);
        let acting = match plan::admits(&base, &caller.actor, request.action) {
            Ok((_, acting)) => acting,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let relay_targets: Vec<Uuid> = if plan::relays(case.procedure(), request.action) {
            orgs::tree_of(src.reborrow(), acting)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        } else {
            Vec::new()
        };
        let passing_to = if plan::passes_on(&base, request.action, acting, case.row.organisation_id)
        {
            Some(self.case_facts(src.reborrow(), acting).await?)
        } else {
            None
        };
        let files: Vec<String> = case.files.iter().map(|a| a.file_name.clone()).collect();
        // Only a library that lets a role be delegated asks whose the actor's roles are.
        let delegations: Vec<plan::Delegation> =
            if case.lib.manifest.roles.iter().any(|r| r.delegable) {
                designations::delegated_to(src.reborrow(), caller.actor.person, self.today())
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
        // A write recording who decided (`$actor`) needs the actor's name.
        let actor_name = if plan::writes_actor(case.procedure(), request.action) {
            mamori_storage::persons::get(src.reborrow(), caller.actor.person)
                .await?
                .name
        } else {
            String::new()
        };
        let request = Request {
            actor_name: &actor_name,
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
        let rows = self
            .rows(src.reborrow(), &case.lib, &case.facts, wanted)
            .await?;
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
    pub(super) async fn apply(
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
        let files = attachments::for_case(&mut *tx, row.id).await?;
        let (class, need_to_know) = class_columns(lib, &plan.data, &files);
        let update = CaseUpdate {
            title: &row.title,
            state: &plan.to,
            data: &data_text,
            mark: (class.as_deref(), need_to_know),
            done: &done_text,
            now,
            closed_at,
        };
        cases::update(tx, row.id, &row.state, &update).await?;
        // Reported to the bodies the organisation reports to: the roll-up counts it there.
        if procedure.transition(action).is_some_and(|t| t.reports_up) {
            cases::mark_reported_up(tx, row.id, now).await?;
        }
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
        self.keep_schedule(tx, lib, row).await?;
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
        let overseers = pairs_of(&plan.overseers, &facts);
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
    pub(super) async fn write_planned_row(
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
        let id = registers::write(tx, &write).await?;
        if let Some(def) = lib.registers.get(&w.register) {
            let data = parse_data(write.data);
            self.set_row_dates(tx, def, id, &data).await?;
        }
        Ok(())
    }

    /// Answers a refusal of the planner: a denial is an audit event; mistakes in what was
    /// typed name their fields.
    pub(super) async fn refuse_action<T>(
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

    /// Appends a successful case event to the audit trail.
    pub(super) async fn record_case(
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
    pub(super) async fn notify(
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
            people.extend(party_holders(tx, p, facts, self.today()).await?);
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
}
