//! Roles held for one register row: 情報システム管理者 for one system of the systems register
//! (seed 004 has a system manager per system; seed 003 applies its whole hierarchy to each
//! registered system). A register names such roles (`roles`); an administrator over the
//! organisation keeping a row designates someone of that organisation for it; a procedure
//! whose cases are `about` a row routes to "whoever holds the role for the case's row"
//! (`of: case_row`). Holding a role for a row gives nothing in the organisation at large.

use mamori_domain::FieldErrors;
use mamori_domain::period::Period;
use mamori_domain::policy::{self, CaseFacts, Permission};
use mamori_library::Library;
use mamori_library::condition::{key_text, resolve_key};
use mamori_library::form::Data;
use mamori_library::model::Procedure;
use mamori_storage::organisations as orgs;
use mamori_storage::row_designations::{self, NewRowDesignation, RowDesignationRow};
use mamori_storage::types::Day;
use mamori_storage::{Src, persons, registers};
use serde_json::json;
use uuid::Uuid;

use crate::{App, AppError, Caller};

/// Someone to designate for a row.
#[derive(Debug, Clone, Default)]
pub struct RowRoleInput {
    /// A role the register holds for its rows.
    pub role: String,
    /// The person.
    pub person: Option<Uuid>,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD or blank).
    pub ends_on: String,
}

impl App {
    /// Adds to a case's facts the register row its procedure says it is about, found by
    /// key among the rows of its organisation and those above it, and who holds each of
    /// the register's row roles for it today.
    pub(crate) async fn about_row<'a>(
        &self,
        src: impl Into<Src<'a>>,
        lib: &Library,
        procedure: &Procedure,
        data: &Data,
        facts: &mut CaseFacts,
    ) -> Result<(), AppError> {
        let Some(about) = &procedure.about else {
            return Ok(());
        };
        // Worked out afresh for the data given: a draft may now name another system.
        facts.row = None;
        facts.row_keeper.clear();
        facts.row_holders.clear();
        facts.row_class = None;
        let today = self.today().0.to_string();
        let Some(key) = resolve_key(&about.key, data, &today) else {
            return Ok(());
        };
        let mut src = src.into();
        let register = &about.register.value;
        let found = registers::find(
            src.reborrow(),
            lib.id(),
            register,
            &facts.ancestors,
            &key_text(&key),
        )
        .await?;
        let Some(row) = found else {
            return Ok(());
        };
        facts.row = Some(row.id);
        facts.row_keeper = vec![row.organisation_id];
        if about.ceiling {
            let data: Data = serde_json::from_str(&row.data).unwrap_or_default();
            facts.row_class = lib.class_key(&lib.class_of(&data));
        }
        facts.row_holders = row_designations::holders(src, row.id, self.today()).await?;
        Ok(())
    }

    /// Refuses data classified above the row it is about, where the procedure caps its
    /// cases at their row's class: each axis above it is named on its field, with the
    /// row's level and name.
    pub(crate) fn within_row_class(
        lib: &Library,
        procedure: &Procedure,
        data: &Data,
        facts: &CaseFacts,
    ) -> Result<(), AppError> {
        let Some(cap) = &facts.row_class else {
            return Ok(());
        };
        let about = procedure.about.as_ref().map(|a| a.register.value.as_str());
        let register = about.and_then(|r| lib.registers.get(r));
        let what = register.map_or_else(String::new, |r| r.title.ja.clone());
        let found: Vec<mamori_library::form::FieldProblem> = lib
            .above(&lib.class_of(data), &lib.class_from_key(cap))
            .into_iter()
            .map(|a| mamori_library::form::FieldProblem {
                field: a.axis.id.value.clone(),
                code: "above_ceiling",
                limit: Some(format!("「{}」（{what}の行の格付）", a.ceiling.label.ja)),
            })
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        Err(crate::cases::problems(
            &lib.form_of(procedure).fields,
            found,
        ))
    }

    /// Who holds which role for a row, ended designations too, for those who may read it.
    pub async fn row_roles(
        &self,
        caller: &Caller,
        register: &str,
        row: Uuid,
    ) -> Result<Vec<RowDesignationRow>, AppError> {
        self.register_row(caller, register, row).await?;
        Ok(row_designations::for_row(&self.db, row).await?)
    }

    /// Designates someone of the organisation keeping a row for one of the register's
    /// row roles. Only an administrator over that organisation may.
    pub async fn designate_for_row(
        &self,
        caller: &Caller,
        register: &str,
        row: Uuid,
        input: &RowRoleInput,
    ) -> Result<Uuid, AppError> {
        let (lib, def) = self.register_def(register)?;
        let mut errors = FieldErrors::default();
        if !def.roles.iter().any(|r| r.value == input.role) {
            errors.push("role", "invalid-choice");
        }
        if input.person.is_none() {
            errors.push("person", "required");
        }
        let period = Period::parse(&input.starts_on, &input.ends_on, &mut errors);
        errors.clone().into_result()?;
        let (Some(period), Some(person)) = (period, input.person) else {
            return Err(AppError::Invalid(errors));
        };
        let mut tx = self.db.begin().await?;
        let record = registers::get(&mut tx, lib.id(), register, row).await?;
        let keeper = record.organisation_id;
        let facts = orgs::ancestry(&mut tx, keeper).await?;
        let mut allowed = policy::may_designate(&caller.actor, &input.role, &facts);
        let p = persons::get(&mut tx, person)
            .await
            .map_err(|_| AppError::on_field("person", "not-found"))?;
        allowed &= policy::allows(
            &caller.actor,
            Permission::ViewPeople,
            &orgs::ancestry(&mut tx, p.organisation_id).await?,
        );
        if !allowed || record.retired_at.is_some() {
            drop(tx);
            return self
                .deny(
                    caller,
                    "register.row_role",
                    Some(keeper),
                    "register_row",
                    Some(row.to_string()),
                )
                .await;
        }
        // The manager of a city's system works in the city: a role for a row is held
        // inside the organisation keeping it, never from another.
        if !orgs::ancestors(&mut tx, p.organisation_id)
            .await?
            .contains(&keeper)
        {
            drop(tx);
            return Err(AppError::on_field("person", "from-another-organisation"));
        }
        let id = Uuid::now_v7();
        let (starts_on, ends_on) = (Day(period.starts_on()), period.ends_on().map(Day));
        row_designations::insert(
            &mut tx,
            &NewRowDesignation {
                id,
                row,
                role: &input.role,
                organisation: keeper,
                person,
                starts_on,
                ends_on,
                by: caller.actor.person,
                now: self.now(),
            },
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "register.row_role",
            keeper,
            ("register_row", row.to_string()),
            json!({
                "designation": id, "register": register, "role": input.role, "person": person,
                "row_name": row_label(&def, &record.data),
                "starts_on": starts_on.0.to_string(),
                "ends_on": ends_on.map(|d| d.0.to_string()),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Ends a role held for a row at once.
    pub async fn end_row_role(
        &self,
        caller: &Caller,
        register: &str,
        row: Uuid,
        id: Uuid,
    ) -> Result<(), AppError> {
        let (lib, def) = self.register_def(register)?;
        let mut tx = self.db.begin().await?;
        let record = registers::get(&mut tx, lib.id(), register, row).await?;
        let held = row_designations::for_row(&mut tx, row).await?;
        let Some(d) = held.into_iter().find(|d| d.id == id) else {
            return Err(AppError::NotFound);
        };
        let facts = orgs::ancestry(&mut tx, record.organisation_id).await?;
        if !policy::may_designate(&caller.actor, &d.role, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "register.row_role_end",
                    Some(record.organisation_id),
                    "register_row",
                    Some(row.to_string()),
                )
                .await;
        }
        if !row_designations::end(&mut tx, row, id, caller.actor.person, self.now()).await? {
            // Ended already.
            return Err(AppError::NotFound);
        }
        self.record_done(
            &mut tx,
            caller,
            "register.row_role_end",
            record.organisation_id,
            ("register_row", row.to_string()),
            json!({
                "designation": id, "role": d.role, "person": d.person_id,
                "row_name": row_label(&def, &record.data),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A row as the audit trail names it: its key's values.
fn row_label(def: &mamori_library::model::Register, data: &str) -> String {
    let key_columns: Vec<&str> = def.key.iter().map(|k| k.value.as_str()).collect();
    crate::rounds::row_name(data, &key_columns)
}
