//! People use cases: persons and their accounts, posts, designations.

use mamori_domain::audit::Outcome;
use mamori_domain::period::Period;
use mamori_domain::person::{Email, NewPassword, PersonName};
use mamori_domain::policy::{self, Holding, OrgFacts, Permission, role};
use mamori_domain::validation::clean_text;
use mamori_domain::{FieldError, FieldErrors};
use mamori_storage::designations::{self, DesignationFilter, DesignationRow, NewDesignation};
use mamori_storage::persons::{self, NewPerson, PersonFilter, PersonRow};
use mamori_storage::posts::{self, HolderRow, PostRow};
use mamori_storage::{
    Day, Page, PageRequest, Src, StorageError, Tx, organisations as orgs, sessions,
};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event};

/// A new person with an initial password they must change at first login.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Organisation.
    pub organisation: Option<Uuid>,
    /// Initial password, handed over out of band.
    pub initial_password: String,
}

/// Changes to a person.
#[derive(Debug, Clone, Default)]
pub struct PersonUpdate {
    pub name: String,
    /// Organisation (moving a person between organisations).
    pub organisation: Uuid,
    /// Whether the account may log in.
    pub active: bool,
}

/// A designation to make.
#[derive(Debug, Clone, Default)]
pub struct DesignationInput {
    /// Role id.
    pub role: String,
    /// Organisation (absent only for the system administrator role).
    pub organisation: Option<Uuid>,
    /// The person (exactly one of person and post).
    pub person: Option<Uuid>,
    /// The post.
    pub post: Option<Uuid>,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD or blank).
    pub ends_on: String,
    /// Free text.
    pub note: String,
    /// The person belongs to another organisation, and that is meant: a role held where
    /// one does not work (a subcontractor's employee made a Ministry desk) reads what that
    /// organisation reads, so it is never given without saying so.
    pub from_elsewhere: bool,
}

fn field_not_found(field: &'static str) -> impl FnOnce(StorageError) -> AppError {
    move |e| match e {
        StorageError::NotFound => AppError::Invalid(
            FieldError {
                field,
                code: "not-found",
                limit: None,
            }
            .into(),
        ),
        other => other.into(),
    }
}

/// The facts of an organisation for a decision to manage: its ancestry.
async fn ancestry_of(src: &mut Src<'_>, org: Uuid) -> Result<OrgFacts, StorageError> {
    let ancestors = orgs::ancestors(src.reborrow(), org).await?;
    if ancestors.is_empty() {
        return Err(StorageError::NotFound);
    }
    Ok(OrgFacts {
        ancestors,
        related: vec![],
    })
}

/// What roles weigh, with the facts of where each is held.
async fn weigh(
    src: &mut Src<'_>,
    held: Vec<(String, Option<Uuid>)>,
) -> Result<Vec<Holding>, StorageError> {
    let mut holdings = Vec::with_capacity(held.len());
    for (role, org) in held {
        let organisation = match org {
            Some(org) => Some(ancestry_of(src, org).await?),
            None => None,
        };
        holdings.push(Holding { role, organisation });
    }
    Ok(holdings)
}

impl App {
    /// Whether the caller may manage `person` of organisation `home`, weighing every role the
    /// person holds or will hold (one's own account excepted: nobody outranks themselves).
    async fn may_manage(
        &self,
        mut src: Src<'_>,
        caller: &Caller,
        person: Uuid,
        home: Uuid,
    ) -> Result<bool, AppError> {
        let home = ancestry_of(&mut src, home).await?;
        let holdings = if person == caller.actor.person {
            vec![]
        } else {
            let held =
                designations::holdings_of_person(src.reborrow(), person, self.today()).await?;
            weigh(&mut src, held).await?
        };
        Ok(policy::may_manage_holder(&caller.actor, &home, &holdings))
    }

    async fn allowed(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        p: Permission,
        org: Uuid,
    ) -> Result<bool, AppError> {
        Ok(policy::allows(
            &caller.actor,
            p,
            &orgs::ancestry(tx, org).await?,
        ))
    }

    /// Adds a person to an organisation the caller manages.
    pub async fn create_person(
        &self,
        caller: &Caller,
        input: &PersonInput,
    ) -> Result<Uuid, AppError> {
        let mut errors = FieldErrors::default();
        let name = errors.take(PersonName::parse(&input.name));
        let email = errors.take(Email::parse(&input.email));
        let password = errors.take(NewPassword::parse(
            "initial_password",
            &input.initial_password,
            email.as_ref().map(AsRef::as_ref),
        ));
        if input.organisation.is_none() {
            errors.push("organisation", "required");
        }
        let (Some(name), Some(email), Some(password), Some(org)) =
            (name, email, password, input.organisation)
        else {
            return Err(AppError::Invalid(errors));
        };
        // Authorise before spending a password hash on the request.
        let facts = orgs::facts_db(&self.db, org)
            .await
            .map_err(field_not_found("organisation"))?;
        if !policy::allows(&caller.actor, Permission::ManagePeople, &facts) {
            return self
                .deny(caller, "person.create", Some(org), "person", None)
                .await;
        }
        let hash = self.hash_password(password.expose().to_owned()).await?;
        let mut tx = self.db.begin().await?;
        if !self
            .allowed(&mut tx, caller, Permission::ManagePeople, org)
            .await?
        {
            drop(tx);
            return self
                .deny(caller, "person.create", Some(org), "person", None)
                .await;
        }
        let id = Uuid::now_v7();
        persons::insert(
            &mut tx,
            &NewPerson {
                id,
                organisation: org,
                name: name.as_ref(),
                email: email.as_ref(),
                password_hash: &hash,
                must_change_password: true,
                now: self.now(),
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.create",
                organisation: Some(org),
                target_kind: "person",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "name": name.as_ref(), "email": email.as_ref() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reads a person the caller may see.
    pub async fn person(&self, caller: &Caller, id: Uuid) -> Result<PersonRow, AppError> {
        let person = persons::get(&self.db, id).await?;
        if person.id != caller.actor.person {
            let facts = orgs::facts_db(&self.db, person.organisation_id).await?;
            if !policy::allows(&caller.actor, Permission::ViewPeople, &facts) {
                return self
                    .deny(
                        caller,
                        "person.read",
                        Some(person.organisation_id),
                        "person",
                        Some(id.to_string()),
                    )
                    .await;
            }
        }
        Ok(person)
    }

    /// Whether the caller may manage a person (for showing buttons).
    pub async fn may_manage_person(
        &self,
        caller: &Caller,
        person: &PersonRow,
    ) -> Result<bool, AppError> {
        self.may_manage((&self.db).into(), caller, person.id, person.organisation_id)
            .await
    }

    /// The person's organisation if the caller may list and revoke their credentials (API
    /// tokens, passkeys): their own, or those of a person the policy lets the caller manage,
    /// as for a password reset.
    pub(crate) async fn may_manage_credentials_of(
        &self,
        caller: &Caller,
        person: Uuid,
    ) -> Result<Option<Uuid>, AppError> {
        let row = persons::get(&self.db, person).await?;
        let allowed = person == caller.actor.person
            || self
                .may_manage((&self.db).into(), caller, person, row.organisation_id)
                .await?;
        Ok(allowed.then_some(row.organisation_id))
    }

    /// Lists the people the caller may see.
    pub async fn persons(
        &self,
        caller: &Caller,
        filter: &PersonFilter,
        page: PageRequest,
    ) -> Result<Page<PersonRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewPeople, &[]);
        Ok(persons::list(&self.db, &scope, filter, page).await?)
    }

    /// Changes a person's name, organisation or whether they may log in.
    pub async fn update_person(
        &self,
        caller: &Caller,
        id: Uuid,
        input: &PersonUpdate,
    ) -> Result<(), AppError> {
        let name = PersonName::parse(&input.name)?;
        let mut tx = self.db.begin().await?;
        let before = persons::get(&mut tx, id).await?;
        let from_ok = self
            .may_manage((&mut tx).into(), caller, id, before.organisation_id)
            .await?;
        let to_facts = orgs::ancestry(&mut tx, input.organisation)
            .await
            .map_err(field_not_found("organisation"))?;
        let to_ok = policy::allows(&caller.actor, Permission::ManagePeople, &to_facts);
        if !from_ok || !to_ok {
            drop(tx);
            return self
                .deny(
                    caller,
                    "person.update",
                    Some(before.organisation_id),
                    "person",
                    Some(id.to_string()),
                )
                .await;
        }
        if id == caller.actor.person && !input.active {
            return Err(AppError::Rule {
                code: "cannot-deactivate-self",
            });
        }
        persons::update(
            &mut tx,
            id,
            name.as_ref(),
            input.organisation,
            input.active,
            self.now(),
        )
        .await?;
        let ended = if input.active {
            0
        } else {
            sessions::delete_for_person(&mut tx, id, None).await?
        };
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.update",
                organisation: Some(input.organisation),
                target_kind: "person",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "before": { "name": before.name, "organisation": before.organisation_id, "active": before.active },
                    "after": { "name": name.as_ref(), "organisation": input.organisation, "active": input.active },
                    "sessions_ended": ended,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a temporary password that the person must change at their next login, and
    /// ends all their sessions.
    pub async fn reset_password(
        &self,
        caller: &Caller,
        id: Uuid,
        temporary: &str,
    ) -> Result<(), AppError> {
        let person = persons::get(&self.db, id).await?;
        let password = NewPassword::parse("password", temporary, Some(&person.email))?;
        if !self
            .may_manage((&self.db).into(), caller, id, person.organisation_id)
            .await?
        {
            return self
                .deny(
                    caller,
                    "person.reset_password",
                    Some(person.organisation_id),
                    "person",
                    Some(id.to_string()),
                )
                .await;
        }
        let hash = self.hash_password(password.expose().to_owned()).await?;
        let mut tx = self.db.begin().await?;
        persons::set_password(&mut tx, id, &hash, true, self.now()).await?;
        let ended = sessions::delete_for_person(&mut tx, id, None).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.reset_password",
                organisation: Some(person.organisation_id),
                target_kind: "person",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "sessions_ended": ended }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a person's second factor (lost phone); they enrol again at next login if
    /// their organisation requires it.
    pub async fn reset_totp(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let person = persons::get(&self.db, id).await?;
        if !self
            .may_manage((&self.db).into(), caller, id, person.organisation_id)
            .await?
        {
            return self
                .deny(
                    caller,
                    "person.reset_totp",
                    Some(person.organisation_id),
                    "person",
                    Some(id.to_string()),
                )
                .await;
        }
        let mut tx = self.db.begin().await?;
        persons::set_totp(&mut tx, id, None, self.now()).await?;
        let ended = sessions::delete_for_person(&mut tx, id, None).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "person.reset_totp",
                organisation: Some(person.organisation_id),
                target_kind: "person",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "sessions_ended": ended }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a post in an organisation the caller manages.
    pub async fn create_post(
        &self,
        caller: &Caller,
        organisation: Uuid,
        name: &str,
    ) -> Result<Uuid, AppError> {
        let name = clean_text("name", name, 100)?;
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, organisation)
            .await
            .map_err(field_not_found("organisation"))?;
        if !policy::allows(&caller.actor, Permission::ManagePeople, &facts) {
            drop(tx);
            return self
                .deny(caller, "post.create", Some(organisation), "post", None)
                .await;
        }
        let id = Uuid::now_v7();
        posts::insert(&mut tx, id, organisation, &name, self.now()).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "post.create",
                organisation: Some(organisation),
                target_kind: "post",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "name": name }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames a post.
    pub async fn rename_post(&self, caller: &Caller, id: Uuid, name: &str) -> Result<(), AppError> {
        let name = clean_text("name", name, 100)?;
        let mut tx = self.db.begin().await?;
        let post = posts::get(&mut tx, id).await?;
        if !self
            .allowed(
                &mut tx,
                caller,
                Permission::ManagePeople,
                post.organisation_id,
            )
            .await?
        {
            drop(tx);
            return self
                .deny(
                    caller,
                    "post.rename",
                    Some(post.organisation_id),
                    "post",
                    Some(id.to_string()),
                )
                .await;
        }
        posts::rename(&mut tx, id, &name).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "post.rename",
                organisation: Some(post.organisation_id),
                target_kind: "post",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "before": post.name, "after": name }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A post and everyone who has held it.
    pub async fn post(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(PostRow, Vec<HolderRow>), AppError> {
        let post = posts::get(&self.db, id).await?;
        let facts = orgs::facts_db(&self.db, post.organisation_id).await?;
        if !policy::allows(&caller.actor, Permission::ViewPeople, &facts) {
            return self
                .deny(
                    caller,
                    "post.read",
                    Some(post.organisation_id),
                    "post",
                    Some(id.to_string()),
                )
                .await;
        }
        let holders = posts::holders(&self.db, id).await?;
        Ok((post, holders))
    }

    /// Posts the caller may see, optionally of one organisation.
    pub async fn posts(
        &self,
        caller: &Caller,
        organisation: Option<Uuid>,
    ) -> Result<Vec<PostRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewPeople, &[]);
        Ok(posts::list(&self.db, &scope, organisation).await?)
    }

    /// Records that a person holds a post for a period.
    pub async fn assign_post(
        &self,
        caller: &Caller,
        post: Uuid,
        person: Option<Uuid>,
        starts_on: &str,
        ends_on: &str,
    ) -> Result<Uuid, AppError> {
        let mut errors = FieldErrors::default();
        let period = Period::parse(starts_on, ends_on, &mut errors);
        if person.is_none() {
            errors.push("person", "required");
        }
        let (Some(period), Some(person)) = (period, person) else {
            return Err(AppError::Invalid(errors));
        };
        let mut tx = self.db.begin().await?;
        let post_row = posts::get(&mut tx, post).await?;
        let holder = persons::get(&mut tx, person)
            .await
            .map_err(field_not_found("person"))?;
        // Holding a post gives its designations: only someone who could have designated them
        // all may hand it to anyone.
        let may_post = {
            let mut src: Src<'_> = (&mut tx).into();
            let home = ancestry_of(&mut src, post_row.organisation_id).await?;
            let held = designations::holdings_of_post(src.reborrow(), post, self.today()).await?;
            let holdings = weigh(&mut src, held).await?;
            policy::may_manage_holder(&caller.actor, &home, &holdings)
        };
        let may_person = self
            .allowed(
                &mut tx,
                caller,
                Permission::ViewPeople,
                holder.organisation_id,
            )
            .await?;
        if !may_post || !may_person {
            drop(tx);
            return self
                .deny(
                    caller,
                    "post.assign",
                    Some(post_row.organisation_id),
                    "post",
                    Some(post.to_string()),
                )
                .await;
        }
        let id = Uuid::now_v7();
        posts::insert_holder(
            &mut tx,
            &posts::NewHolder {
                id,
                post,
                person,
                starts_on: Day(period.starts_on()),
                ends_on: period.ends_on().map(Day),
                by: caller.actor.person,
                now: self.now(),
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "post.assign",
                organisation: Some(post_row.organisation_id),
                target_kind: "post",
                target_id: Some(post.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "person": person, "starts_on": period.starts_on().to_string(),
                    "ends_on": period.ends_on().map(|d| d.to_string()),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Designates a role to a person or a post within an organisation for a period.
    pub async fn designate(
        &self,
        caller: &Caller,
        input: &DesignationInput,
    ) -> Result<Uuid, AppError> {
        let mut errors = FieldErrors::default();
        if !role::ALL.contains(&input.role.as_str()) && !self.libraries.has_role(&input.role) {
            errors.push("role", "invalid-choice");
        }
        let platform_wide = input.role == role::SYSTEM_ADMIN;
        if !platform_wide && input.organisation.is_none() {
            errors.push("organisation", "required");
        }
        match (input.person, input.post) {
            (Some(_), Some(_)) => errors.push("post", "person-or-post"),
            (None, None) => errors.push("person", "person-or-post"),
            _ => {}
        }
        let period = Period::parse(&input.starts_on, &input.ends_on, &mut errors);
        let note = match input.note.trim() {
            "" => Some(String::new()),
            n => errors.take(clean_text("note", n, 500)),
        };
        errors.clone().into_result()?;
        let (Some(period), Some(note)) = (period, note) else {
            return Err(AppError::Invalid(errors));
        };
        let organisation = if platform_wide {
            None
        } else {
            input.organisation
        };

        let mut tx = self.db.begin().await?;
        let facts = match organisation {
            Some(org) => orgs::ancestry(&mut tx, org)
                .await
                .map_err(field_not_found("organisation"))?,
            None => Default::default(),
        };
        let mut allowed = policy::may_designate(&caller.actor, &input.role, &facts);
        if let Some(person) = input.person {
            let p = persons::get(&mut tx, person)
                .await
                .map_err(field_not_found("person"))?;
            allowed &= self
                .allowed(&mut tx, caller, Permission::ViewPeople, p.organisation_id)
                .await?;
            // Someone of an organisation outside the one designated in (neither it nor one
            // below it) is designated only when the form says so.
            if let Some(org) = organisation
                && !input.from_elsewhere
                && allowed
                && !orgs::ancestors(&mut tx, p.organisation_id)
                    .await?
                    .contains(&org)
            {
                drop(tx);
                let mut errors = FieldErrors::default();
                errors.push("person", "from-another-organisation");
                return Err(AppError::Invalid(errors));
            }
        }
        if let Some(post) = input.post {
            let p = posts::get(&mut tx, post)
                .await
                .map_err(field_not_found("post"))?;
            allowed &= self
                .allowed(&mut tx, caller, Permission::ManagePeople, p.organisation_id)
                .await?;
        }
        if !allowed {
            drop(tx);
            return self
                .deny(
                    caller,
                    "designation.create",
                    organisation,
                    "designation",
                    None,
                )
                .await;
        }
        if let Some(org) = organisation
            && self
                .role_full(
                    &mut tx,
                    &input.role,
                    org,
                    Day(period.starts_on()),
                    period.ends_on().map(Day),
                )
                .await?
        {
            drop(tx);
            let mut errors = FieldErrors::default();
            errors.push("role", "role-full");
            return Err(AppError::Invalid(errors));
        }
        let id = Uuid::now_v7();
        designations::insert(
            &mut tx,
            &NewDesignation {
                id,
                role: &input.role,
                organisation,
                person: input.person,
                post: input.post,
                starts_on: Day(period.starts_on()),
                ends_on: period.ends_on().map(Day),
                note: &note,
                by: Some(caller.actor.person),
                now: self.now(),
                delegated_from: None,
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "designation.create",
                organisation,
                target_kind: "designation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "role": input.role, "person": input.person, "post": input.post,
                    "starts_on": period.starts_on().to_string(), "ends_on": period.ends_on().map(|d| d.to_string()),
                    "note": note,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Ends a designation on a day (inclusive), at once when that day is today or past; the
    /// row and its history stay.
    pub async fn end_designation(
        &self,
        caller: &Caller,
        id: Uuid,
        ends_on: Option<&str>,
    ) -> Result<(), AppError> {
        let ends_on = match ends_on.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Day(mamori_domain::period::parse_day("ends_on", s)?),
            None => self.today(),
        };
        let mut tx = self.db.begin().await?;
        let d = designations::get(&mut tx, id).await?;
        let facts = match d.organisation_id {
            Some(org) => orgs::ancestry(&mut tx, org).await?,
            None => Default::default(),
        };
        let mut allowed = policy::may_designate(&caller.actor, &d.role, &facts);
        // Whoever delegated a role may take the delegation back early: it was theirs.
        let own_delegation =
            d.delegated_from.is_some() && d.designated_by == Some(caller.actor.person);
        if own_delegation {
            allowed = true;
        } else if let (true, Some(person)) = (allowed, d.person_id) {
            let home = persons::get(&mut tx, person).await?.organisation_id;
            allowed = self
                .may_manage((&mut tx).into(), caller, person, home)
                .await?;
        }
        if !allowed {
            drop(tx);
            return self
                .deny(
                    caller,
                    "designation.end",
                    d.organisation_id,
                    "designation",
                    Some(id.to_string()),
                )
                .await;
        }
        if ends_on < d.starts_on {
            return Err(AppError::Invalid(
                FieldError {
                    field: "ends_on",
                    code: "end-before-start",
                    limit: None,
                }
                .into(),
            ));
        }
        if d.role == role::SYSTEM_ADMIN && d.person_id == Some(caller.actor.person) {
            // Ending one's own last system administrator role would lock everyone out.
            let others = designations::list(
                &self.db,
                &policy::scope(&caller.actor, Permission::ViewPeople, &[]),
                &DesignationFilter {
                    active_on: Some(self.today()),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .filter(|o| o.role == role::SYSTEM_ADMIN && o.id != id)
            .count();
            if others == 0 {
                return Err(AppError::Rule {
                    code: "last-system-admin",
                });
            }
        }
        // Ending on today (or without a day) takes effect at once: whoever is relieved of a
        // role must not keep it until midnight.
        let at_once = ends_on <= self.today();
        designations::end(
            &mut tx,
            id,
            ends_on,
            at_once,
            caller.actor.person,
            self.now(),
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "designation.end",
                organisation: d.organisation_id,
                target_kind: "designation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "role": d.role, "ends_on": ends_on.0.to_string(),
                    "at_once": at_once, "was_ends_on": d.ends_on.map(|e| e.0.to_string()) }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Designations the caller may see.
    pub async fn designations(
        &self,
        caller: &Caller,
        filter: &DesignationFilter,
    ) -> Result<Vec<DesignationRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewPeople, &[]);
        Ok(designations::list(&self.db, &scope, filter).await?)
    }

    /// One designation the caller may see.
    pub async fn designation(&self, caller: &Caller, id: Uuid) -> Result<DesignationRow, AppError> {
        let d = designations::get(&self.db, id).await?;
        let visible = match d.organisation_id {
            Some(org) => policy::allows(
                &caller.actor,
                Permission::ViewPeople,
                &orgs::facts_db(&self.db, org).await?,
            ),
            None => caller.actor.is_system_admin() || d.person_id == Some(caller.actor.person),
        };
        if !visible {
            return self
                .deny(
                    caller,
                    "designation.read",
                    d.organisation_id,
                    "designation",
                    Some(id.to_string()),
                )
                .await;
        }
        Ok(d)
    }
}
