//! Delegation (委任): the holder of a role a library lets be delegated gives it to another
//! person of the organisation for a period (the CISO to the deputy while away). The
//! delegation is a designation of its own, naming the one it comes from: it shows in the
//! designation history, stands in for the holder without counting towards the role's cap,
//! and what the delegate does under it says so in the case's history.

use mamori_domain::FieldErrors;
use mamori_domain::audit::Outcome;
use mamori_domain::period::Period;
use mamori_domain::validation::clean_text;
use mamori_storage::designations::{self, NewDesignation};
use mamori_storage::organisations as orgs;
use mamori_storage::{Day, persons, posts};
use serde_json::json;
use uuid::Uuid;

use crate::{App, AppError, Caller, Event};

/// A delegation as asked.
#[derive(Debug, Clone, Default)]
pub struct DelegationInput {
    /// To whom.
    pub person: Option<Uuid>,
    /// From (YYYY-MM-DD).
    pub starts_on: String,
    /// Until (YYYY-MM-DD): a delegation always ends.
    pub ends_on: String,
    /// Why (absence, business trip).
    pub note: String,
}

impl App {
    /// Delegates the designation `id`, held by the caller, to another person for a period
    /// within it.
    pub async fn delegate(
        &self,
        caller: &Caller,
        id: Uuid,
        input: &DelegationInput,
    ) -> Result<Uuid, AppError> {
        let mut errors = FieldErrors::default();
        if input.person.is_none() {
            errors.push("person", "required");
        }
        if input.ends_on.trim().is_empty() {
            errors.push("ends_on", "required");
        }
        let period = Period::parse(&input.starts_on, &input.ends_on, &mut errors);
        let note = match input.note.trim() {
            "" => Some(String::new()),
            n => errors.take(clean_text("note", n, 500)),
        };
        errors.clone().into_result()?;
        let (Some(period), Some(note), Some(person)) = (period, note, input.person) else {
            return Err(AppError::Invalid(errors));
        };
        let mut tx = self.db.begin().await?;
        let d = designations::get(&mut tx, id).await?;
        let today = self.today();
        // Only whoever holds it, in their own right, today or later, may delegate it.
        let holds = match (d.person_id, d.post_id) {
            (Some(p), _) => p == caller.actor.person,
            (None, Some(post)) => posts::holders(&mut tx, post).await?.iter().any(|h| {
                h.person_id == caller.actor.person && h.ends_on.is_none_or(|e| e >= today)
            }),
            _ => false,
        };
        // A role the library does not let be delegated is nobody's to delegate.
        let Some(organisation) = d
            .organisation_id
            .filter(|_| holds && d.delegated_from.is_none() && self.libraries.delegable(&d.role))
        else {
            drop(tx);
            return self
                .deny(
                    caller,
                    "designation.delegate",
                    d.organisation_id,
                    "designation",
                    Some(id.to_string()),
                )
                .await;
        };
        let (starts_on, ends_on) = (Day(period.starts_on()), period.ends_on().map(Day));
        if starts_on < d.starts_on.max(today) {
            return Err(AppError::on_field("starts_on", "delegation-outside"));
        }
        if let (Some(end), Some(held_until)) = (ends_on, d.ends_on)
            && end > held_until
        {
            return Err(AppError::on_field("ends_on", "delegation-outside"));
        }
        if person == caller.actor.person {
            return Err(AppError::on_field("person", "delegation-to-self"));
        }
        // A delegate is one of the organisation's own people: a delegation gives nothing
        // of it to another organisation.
        let delegate = persons::get(&mut tx, person)
            .await
            .map_err(|_| AppError::on_field("person", "not-found"))?;
        if !orgs::ancestors(&mut tx, delegate.organisation_id)
            .await?
            .contains(&organisation)
        {
            return Err(AppError::on_field("person", "from-another-organisation"));
        }
        let new = Uuid::now_v7();
        designations::insert(
            &mut tx,
            &NewDesignation {
                id: new,
                role: &d.role,
                organisation: Some(organisation),
                person: Some(person),
                post: None,
                starts_on,
                ends_on,
                note: &note,
                by: Some(caller.actor.person),
                now: self.now(),
                delegated_from: Some(id),
            },
        )
        .await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "designation.delegate",
                organisation: Some(organisation),
                target_kind: "designation",
                target_id: Some(new.to_string()),
                outcome: Outcome::Success,
                detail: json!({
                    "role": d.role, "from": id, "person": person,
                    "starts_on": period.starts_on().to_string(),
                    "ends_on": period.ends_on().map(|d| d.to_string()), "note": note,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(new)
    }
}
