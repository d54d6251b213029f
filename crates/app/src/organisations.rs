//! Organisation use cases: the tree and its relations.

use mamori_domain::FieldErrors;
use mamori_domain::audit::Outcome;
use mamori_domain::organisation::{Desk, OrgKind, OrgName, RelationKind, reparent_makes_cycle};
use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_storage::organisations::{
    self as orgs, DeskRow, NewOrganisation, OrganisationFilter, OrganisationRow, RelationRow,
};
use mamori_storage::{Page, PageRequest, StorageError};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event};

/// What a form or API call sends to create or change an organisation.
#[derive(Debug, Clone, Default)]
pub struct OrganisationInput {
    pub name: String,
    /// Kind id.
    pub kind: String,
    /// Parent (creation only).
    pub parent: Option<Uuid>,
    /// Whether members must use a second factor (update only).
    pub require_totp: bool,
}

/// The desk an organisation keeps, as typed on its page; all three empty removes it.
#[derive(Debug, Clone, Default)]
pub struct DeskInput {
    /// Who answers.
    pub name: String,
    /// The number in working hours.
    pub phone: String,
    /// The number for nights and holidays.
    pub night_phone: String,
}

/// Children an organisation's page lists; the list of organisations has the rest.
pub const CHILDREN_SHOWN: i64 = 50;

/// An organisation with what its page shows and what the viewer may do.
#[derive(Debug, Clone)]
pub struct OrganisationView {
    /// The record.
    pub organisation: OrganisationRow,
    /// Root first, ending with the organisation itself; only visible ancestors.
    pub path: Vec<OrganisationRow>,
    /// Direct children, the first [`CHILDREN_SHOWN`] by name.
    pub children: Vec<OrganisationRow>,
    /// There are more children than those (the list of organisations shows them all).
    pub more_children: bool,
    /// Relations in either direction.
    pub relations: Vec<RelationRow>,
    /// The desk it keeps for urgent calls, if any.
    pub desk: Option<DeskRow>,
    /// Viewer may manage the organisation.
    pub can_manage: bool,
    /// Viewer may see its people.
    pub can_view_people: bool,
    /// Viewer may manage its people.
    pub can_manage_people: bool,
    /// Viewer may read its audit trail.
    pub can_view_audit: bool,
}

fn parse(input: &OrganisationInput) -> Result<(OrgName, OrgKind), AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.take(OrgName::parse(&input.name));
    let kind = errors.take(OrgKind::parse(&input.kind));
    match (name, kind) {
        (Some(n), Some(k)) => Ok((n, k)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// A missing organisation named in a field is a field error, not a missing page.
fn field_not_found(field: &'static str) -> impl FnOnce(StorageError) -> AppError {
    move |e| match e {
        StorageError::NotFound => AppError::Invalid(
            mamori_domain::FieldError {
                field,
                code: "not-found",
                limit: None,
            }
            .into(),
        ),
        other => other.into(),
    }
}

impl App {
    /// Creates an organisation under a parent the caller manages (roots: system administrators).
    pub async fn create_organisation(
        &self,
        caller: &Caller,
        input: &OrganisationInput,
    ) -> Result<Uuid, AppError> {
        let (name, kind) = parse(input)?;
        // Decided on the parent as committed, before the writer is taken: the writer is
        // held for the two inserts alone.
        let allowed = match input.parent {
            Some(parent) => {
                let facts = orgs::ancestry(&self.db, parent)
                    .await
                    .map_err(field_not_found("parent"))?;
                policy::allows(&caller.actor, Permission::ManageOrganisation, &facts)
            }
            None => caller.actor.is_system_admin(),
        };
        if !allowed {
            return self
                .deny(
                    caller,
                    "organisation.create",
                    input.parent,
                    "organisation",
                    None,
                )
                .await;
        }
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        orgs::insert(
            &mut tx,
            &NewOrganisation {
                id,
                name: name.as_ref(),
                kind: kind.as_str(),
                parent: input.parent,
                now: self.now(),
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.create",
                organisation: Some(id),
                target_kind: "organisation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "name": name.as_ref(), "kind": kind.as_str(), "parent": input.parent }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reads an organisation with its neighbourhood.
    /// The organisation and every one below it, for whoever may manage it (the parents an
    /// edit may offer are those outside it).
    pub async fn organisation_subtree(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Vec<Uuid>, AppError> {
        let facts = orgs::facts_db(&self.db, id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            return self
                .deny(
                    caller,
                    "organisation.update",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        Ok(orgs::subtree(&self.db, id).await?)
    }

    pub async fn organisation(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<OrganisationView, AppError> {
        let facts = orgs::facts_db(&self.db, id).await?;
        let may = |p| policy::allows(&caller.actor, p, &facts);
        if !may(Permission::ViewOrganisation) {
            return self
                .deny(
                    caller,
                    "organisation.read",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        let organisation = orgs::get(&self.db, id).await?;
        let path = orgs::path(&self.db, id).await?;
        // Show only the ancestors the viewer could open themselves. An ancestor's own
        // ancestry is the tail of this organisation's, so no query per ancestor is needed
        // (its relations are not consulted: a breadcrumb is no way in).
        let visible = path
            .into_iter()
            .filter(|row| {
                let at = facts
                    .ancestors
                    .iter()
                    .position(|a| *a == row.id)
                    .unwrap_or(0);
                let ancestry = OrgFacts {
                    ancestors: facts.ancestors[at..].to_vec(),
                    related: vec![],
                };
                row.id == id
                    || policy::allows(&caller.actor, Permission::ViewOrganisation, &ancestry)
            })
            .collect();
        let view_people = may(Permission::ViewPeople);
        let mut children = if view_people {
            orgs::first_children(&self.db, id, CHILDREN_SHOWN + 1).await?
        } else {
            vec![]
        };
        let more_children = children.len() as i64 > CHILDREN_SHOWN;
        children.truncate(CHILDREN_SHOWN as usize);
        Ok(OrganisationView {
            children,
            more_children,
            relations: {
                let all = orgs::relations(&self.db, id).await?;
                if view_people {
                    all
                } else {
                    // Seen through a relation: only that relation, not the others' partners.
                    let own = caller.actor.organisation;
                    all.into_iter()
                        .filter(|r| r.accepted_at.is_some() && (r.from_id == own || r.to_id == own))
                        .collect()
                }
            },
            desk: orgs::desks(&self.db, &[id]).await?.pop(),
            organisation,
            path: visible,
            can_manage: may(Permission::ManageOrganisation),
            can_view_people: view_people,
            can_manage_people: may(Permission::ManagePeople),
            can_view_audit: may(Permission::ViewAudit),
        })
    }

    /// Lists the organisations the caller may see.
    pub async fn organisations(
        &self,
        caller: &Caller,
        filter: &OrganisationFilter,
        page: PageRequest,
    ) -> Result<Page<OrganisationRow>, AppError> {
        let related = orgs::related(&self.db, caller.actor.organisation).await?;
        let scope = policy::scope(&caller.actor, Permission::ViewOrganisation, &related);
        Ok(orgs::list(&self.db, &scope, filter, page).await?)
    }

    /// Keeps the desk an organisation answers urgent calls at (a company's incident desk,
    /// which its subcontractors call first), or removes it when every part is empty.
    pub async fn set_desk(
        &self,
        caller: &Caller,
        id: Uuid,
        input: &DeskInput,
    ) -> Result<(), AppError> {
        let cleared = [&input.name, &input.phone, &input.night_phone]
            .iter()
            .all(|s| s.trim().is_empty());
        let desk = if cleared {
            None
        } else {
            Some(
                Desk::parse(&input.name, &input.phone, &input.night_phone)
                    .map_err(AppError::Invalid)?,
            )
        };
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.desk",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        let before = orgs::desks(&mut tx, &[id]).await?.pop();
        let now = self.now();
        match &desk {
            Some(d) => {
                let row = DeskRow {
                    organisation_id: id,
                    name: d.name.clone(),
                    phone: d.phone.clone(),
                    night_phone: d.night_phone.clone(),
                };
                orgs::set_desk(&mut tx, &row, caller.actor.person, now).await?;
            }
            None => orgs::clear_desk(&mut tx, id).await?,
        }
        let shown = |d: Option<(&str, &str, Option<&str>)>| {
            d.map(|(name, phone, night)| serde_json::json!({"name": name, "phone": phone, "night_phone": night}))
        };
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.desk",
                organisation: Some(id),
                target_kind: "organisation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "before": shown(before.as_ref().map(|d| (d.name.as_str(), d.phone.as_str(), d.night_phone.as_deref()))),
                    "after": shown(desk.as_ref().map(|d| (d.name.as_str(), d.phone.as_str(), d.night_phone.as_deref()))),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Renames, re-kinds, and sets the second-factor rule of an organisation.
    pub async fn update_organisation(
        &self,
        caller: &Caller,
        id: Uuid,
        input: &OrganisationInput,
    ) -> Result<(), AppError> {
        let (name, kind) = parse(input)?;
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.update",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        let before = orgs::get(&mut tx, id).await?;
        orgs::update(
            &mut tx,
            id,
            name.as_ref(),
            kind.as_str(),
            input.require_totp,
            self.now(),
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.update",
                organisation: Some(id),
                target_kind: "organisation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({
                    "before": { "name": before.name, "kind": before.kind, "require_totp": before.require_totp },
                    "after": { "name": name.as_ref(), "kind": kind.as_str(), "require_totp": input.require_totp },
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an organisation (and its subtree) under another parent.
    pub async fn move_organisation(
        &self,
        caller: &Caller,
        id: Uuid,
        parent: Option<Uuid>,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, id).await?;
        let target_ok = match parent {
            Some(p) => {
                let pf = orgs::ancestry(&mut tx, p)
                    .await
                    .map_err(field_not_found("parent"))?;
                if reparent_makes_cycle(id, &pf.ancestors) {
                    return Err(AppError::Rule { code: "cycle" });
                }
                policy::allows(&caller.actor, Permission::ManageOrganisation, &pf)
            }
            None => caller.actor.is_system_admin(),
        };
        if !target_ok || !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.move",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        let before = orgs::get(&mut tx, id).await?;
        orgs::reparent(&mut tx, id, parent, self.now()).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.move",
                organisation: Some(id),
                target_kind: "organisation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "from": before.parent_id, "to": parent }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an organisation that has nothing left in it.
    pub async fn delete_organisation(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.delete",
                    Some(id),
                    "organisation",
                    Some(id.to_string()),
                )
                .await;
        }
        if orgs::dependants(&mut tx, id).await?.is_some() {
            return Err(AppError::Rule { code: "not-empty" });
        }
        let before = orgs::get(&mut tx, id).await?;
        orgs::delete(&mut tx, id).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.delete",
                // The event stays readable by the parent's administrators.
                organisation: before.parent_id,
                target_kind: "organisation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "name": before.name, "kind": before.kind }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// States that `from` contracts with, or subcontracts for, `to`.
    ///
    /// The relation gives `to`'s side nothing and `from`'s side nothing of `to` until `to`'s
    /// administrator accepts it; made by someone who administers both, it holds at once.
    pub async fn add_relation(
        &self,
        caller: &Caller,
        from: Uuid,
        kind: &str,
        to: Uuid,
    ) -> Result<Uuid, AppError> {
        let kind = RelationKind::parse(kind)?;
        if from == to {
            return Err(AppError::Rule {
                code: "self-relation",
            });
        }
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, from).await?;
        orgs::get(&mut tx, to)
            .await
            .map_err(field_not_found("other"))?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.relate",
                    Some(from),
                    "organisation",
                    Some(from.to_string()),
                )
                .await;
        }
        let to_facts = orgs::ancestry(&mut tx, to).await?;
        let accepted = policy::allows(&caller.actor, Permission::ManageOrganisation, &to_facts);
        let id = Uuid::now_v7();
        orgs::insert_relation(
            &mut tx,
            id,
            kind.as_str(),
            from,
            to,
            accepted,
            caller.actor.person,
            self.now(),
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.relate",
                organisation: Some(from),
                target_kind: "relation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "kind": kind.as_str(), "from": from, "to": to,
                    "accepted": accepted }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Accepts a relation another organisation stated towards one the caller administers.
    pub async fn accept_relation(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let rel = orgs::get_relation(&mut tx, id).await?;
        let to = orgs::ancestry(&mut tx, rel.to_id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &to) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.accept_relation",
                    Some(rel.to_id),
                    "relation",
                    Some(id.to_string()),
                )
                .await;
        }
        if rel.accepted_at.is_some() {
            return Err(AppError::Rule {
                code: "relation-already-accepted",
            });
        }
        orgs::accept_relation(&mut tx, id, caller.actor.person, self.now()).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.accept_relation",
                organisation: Some(rel.to_id),
                target_kind: "relation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "kind": rel.kind, "from": rel.from_id, "to": rel.to_id }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a relation (an administrator of either side may).
    pub async fn remove_relation(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let rel = orgs::get_relation(&mut tx, id).await?;
        let from = orgs::ancestry(&mut tx, rel.from_id).await?;
        let to = orgs::ancestry(&mut tx, rel.to_id).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &from)
            && !policy::allows(&caller.actor, Permission::ManageOrganisation, &to)
        {
            drop(tx);
            return self
                .deny(
                    caller,
                    "organisation.unrelate",
                    Some(rel.from_id),
                    "relation",
                    Some(id.to_string()),
                )
                .await;
        }
        orgs::delete_relation(&mut tx, id).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "organisation.unrelate",
                organisation: Some(rel.from_id),
                target_kind: "relation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "kind": rel.kind, "from": rel.from_id, "to": rel.to_id }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
