//! The first account: a system administrator, made from the command line or from the
//! first-run page (which only opens while there is none).

use mamori_domain::FieldErrors;
use mamori_domain::audit::Outcome;
use mamori_domain::organisation::{OrgKind, OrgName};
use mamori_domain::person::{Email, NewPassword, PersonName};
use mamori_domain::policy::role;
use mamori_storage::PageRequest;
use mamori_storage::designations::{self, NewDesignation};
use mamori_storage::organisations::{self as orgs, NewOrganisation, OrganisationFilter};
use mamori_storage::persons::{self, NewPerson};
use uuid::Uuid;

use crate::{App, AppError, Event};

/// What the operator types for the first administrator.
#[derive(Debug, Clone, Default)]
pub struct FirstAdmin {
    /// The organisation that runs mamori (reused if a top-level one has this name).
    pub organisation: String,
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The system administrator made, and where.
#[derive(Debug, Clone, Copy)]
pub struct CreatedAdmin {
    /// The person.
    pub person: Uuid,
    /// The organisation they were placed in.
    pub organisation: Uuid,
    /// Whether that organisation already existed (found by its name at the top level), so
    /// that whoever ran the command is told rather than surprised.
    pub joined_existing: bool,
}

impl App {
    /// Whether a system administrator exists (the first-run page closes once one does).
    pub async fn has_system_admin(&self) -> Result<bool, AppError> {
        Ok(designations::system_admin_exists(&self.db, self.today()).await?)
    }

    /// Creates a system administrator. With `only_if_none`, refuses once one exists.
    pub async fn create_system_admin(
        &self,
        input: &FirstAdmin,
        only_if_none: bool,
        via: &str,
    ) -> Result<CreatedAdmin, AppError> {
        let mut errors = FieldErrors::default();
        let org_name = errors.take(OrgName::parse(&input.organisation).map_err(|mut e| {
            e.field = "organisation";
            e
        }));
        let name = errors.take(PersonName::parse(&input.name));
        let email = errors.take(Email::parse(&input.email));
        let password = errors.take(NewPassword::parse(
            "password",
            &input.password,
            email.as_ref().map(AsRef::as_ref),
        ));
        let (Some(org_name), Some(name), Some(email), Some(password)) =
            (org_name, name, email, password)
        else {
            return Err(AppError::Invalid(errors));
        };
        let hash = self.hash_password(password.expose().to_owned()).await?;
        let mut tx = self.db.begin().await?;
        if only_if_none && designations::system_admin_exists(&mut tx, self.today()).await? {
            return Err(AppError::Rule {
                code: "admin-exists",
            });
        }
        let now = self.now();
        // Reuse a top-level organisation of that name, so re-running the command adds a
        // second administrator to the same place.
        let everything = mamori_domain::policy::scope(
            &mamori_domain::policy::Actor {
                person: Uuid::nil(),
                organisation: Uuid::nil(),
                grants: vec![mamori_domain::policy::Grant {
                    role: role::SYSTEM_ADMIN.into(),
                    organisation: None,
                }],
            },
            mamori_domain::policy::Permission::ViewOrganisation,
            &[],
        );
        let existing = orgs::list(
            &self.db,
            &everything,
            &OrganisationFilter {
                roots_only: true,
                ..Default::default()
            },
            PageRequest::new(Some(200), None),
        )
        .await?
        .items
        .into_iter()
        .find(|o| o.name == org_name.as_ref());
        let joined_existing = existing.is_some();
        let org = match existing {
            Some(o) => o.id,
            None => {
                let id = Uuid::now_v7();
                orgs::insert(
                    &mut tx,
                    &NewOrganisation {
                        id,
                        name: org_name.as_ref(),
                        kind: OrgKind::Unit.as_str(),
                        parent: None,
                        now,
                    },
                )
                .await?;
                id
            }
        };
        let person = Uuid::now_v7();
        persons::insert(
            &mut tx,
            &NewPerson {
                id: person,
                organisation: org,
                name: name.as_ref(),
                email: email.as_ref(),
                password_hash: &hash,
                must_change_password: false,
                now,
            },
        )
        .await?;
        designations::insert(
            &mut tx,
            &NewDesignation {
                id: Uuid::now_v7(),
                role: role::SYSTEM_ADMIN,
                organisation: None,
                person: Some(person),
                post: None,
                starts_on: self.today(),
                ends_on: None,
                note: via,
                by: None,
                now,
                delegated_from: None,
            },
        )
        .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "system_admin.create",
                organisation: Some(org),
                target_kind: "person",
                target_id: Some(person.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "name": name.as_ref(), "email": email.as_ref(), "via": via,
                    "joined_existing_organisation": joined_existing }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedAdmin {
            person,
            organisation: org,
            joined_existing,
        })
    }
}
