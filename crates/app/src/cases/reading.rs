//! Reading a case: who may, and the case as its reader sees it — the actions they may take
//! now, what it waits on, its deadline, files, notices and secrets.

use super::*;
use mamori_storage::row_designations;

impl App {
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
    pub(super) async fn involved(&self, caller: &Caller, row: &CaseRow) -> Result<bool, AppError> {
        if !row.need_to_know {
            return Ok(false);
        }
        if cases::acted_in(&self.db, row.id, caller.actor.person).await? {
            return Ok(true);
        }
        let waits = cases::waits(&self.db, row.id).await?;
        for (role, _, about) in &waits {
            if let Some(about) = about {
                let holders = row_designations::holders(&self.db, *about, self.today()).await?;
                if holders.contains(&(role.clone(), caller.actor.person)) {
                    return Ok(true);
                }
            }
        }
        Ok(caller.actor.grants.iter().any(|g| {
            waits.iter().any(|(role, org, about)| {
                about.is_none() && g.role == *role && g.organisation == Some(*org)
            })
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
}
