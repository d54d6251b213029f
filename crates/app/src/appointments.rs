//! Designations made and ended by a case's steps (指定・解除): the planner reads who and
//! when from the case's fields; here the person, post and organisation named are found,
//! the library's cap is kept and the designations are written with the action, so that
//! "who held role R on day D" answers the same whether a page or a step designated.

use mamori_domain::audit::Outcome;
use mamori_library::form::FieldProblem;
use mamori_storage::designations::{self, NewDesignation};
use mamori_storage::organisations as orgs;
use mamori_storage::{Day, Tx, persons, posts};
use serde_json::json;
use uuid::Uuid;

use crate::plan::Appointing;
use crate::{App, AppError, Caller, Event};

/// Where an action's designations are made: the case they come from.
pub(crate) struct Origin {
    /// The case.
    pub case: Uuid,
    /// Its organisation.
    pub organisation: Uuid,
    /// Its number, for the designation's note.
    pub number: String,
}

fn problem(field: &str, code: &'static str) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        code,
        limit: None,
    }
}

impl App {
    /// Makes and ends the designations of a plan; what cannot be done is a problem of the
    /// field that named it, and the caller's transaction then writes nothing.
    pub(crate) async fn appoint(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        origin: &Origin,
        list: &[Appointing],
    ) -> Result<Vec<FieldProblem>, AppError> {
        let mut found = Vec::new();
        for a in list {
            let (organisation, person, post) = match self.holder_of(tx, origin, a).await? {
                Ok(named) => named,
                Err(p) => {
                    found.push(p);
                    continue;
                }
            };
            let blame = a
                .person
                .as_ref()
                .or(a.post.as_ref())
                .map(|(_, f)| f.as_str());
            let blame = blame.unwrap_or_default();
            if a.release {
                let ends_on = Day(a.ends_on.unwrap_or(a.starts_on));
                let held =
                    designations::held_by(tx, &a.role, organisation, (person, post), ends_on)
                        .await?;
                if held.is_empty() {
                    found.push(problem(blame, "not_designated"));
                }
                for d in held {
                    let at_once = ends_on <= self.today();
                    let now = self.now();
                    designations::end(tx, d.id, ends_on, at_once, caller.actor.person, now).await?;
                    self.record_appointment(tx, caller, origin, "designation.end", d.id, a)
                        .await?;
                }
                continue;
            }
            let (starts_on, ends_on) = (Day(a.starts_on), a.ends_on.map(Day));
            if self
                .role_full(tx, &a.role, organisation, starts_on, ends_on)
                .await?
            {
                found.push(problem(blame, "role_full"));
                continue;
            }
            let id = Uuid::now_v7();
            let note = format!("案件 {} により指定", origin.number);
            designations::insert(
                tx,
                &NewDesignation {
                    id,
                    role: &a.role,
                    organisation: Some(organisation),
                    person,
                    post,
                    starts_on,
                    ends_on,
                    note: &note,
                    by: Some(caller.actor.person),
                    now: self.now(),
                    delegated_from: None,
                },
            )
            .await?;
            self.record_appointment(tx, caller, origin, "designation.create", id, a)
                .await?;
        }
        Ok(found)
    }

    /// Whether designating `role` in `organisation` for those days would exceed the cap
    /// its library sets (副CISO: one), whether a page or a step designates.
    pub(crate) async fn role_full(
        &self,
        tx: &mut Tx,
        role: &str,
        organisation: Uuid,
        starts_on: Day,
        ends_on: Option<Day>,
    ) -> Result<bool, AppError> {
        let Some(cap) = self.libraries.role_cap(role) else {
            return Ok(false);
        };
        let held = designations::overlapping(tx, role, organisation, starts_on, ends_on).await?;
        Ok(held >= i64::from(cap))
    }

    /// The organisation, person and post an appointment names, or the problem of the
    /// field that named one wrongly. Only the case's organisation and those below it are
    /// reached, and only their own people: a step gives nothing of another organisation.
    async fn holder_of(
        &self,
        tx: &mut Tx,
        origin: &Origin,
        a: &Appointing,
    ) -> Result<Result<(Uuid, Option<Uuid>, Option<Uuid>), FieldProblem>, AppError> {
        let organisation = match &a.within {
            None => origin.organisation,
            Some((text, field)) => match orgs::named_in(tx, origin.organisation, text)
                .await?
                .as_slice()
            {
                [one] => *one,
                [] => return Ok(Err(problem(field, "unknown_organisation"))),
                _ => return Ok(Err(problem(field, "ambiguous_organisation"))),
            },
        };
        let mut person = None;
        if let Some((text, field)) = &a.person {
            let Some(p) = persons::named(tx, text).await? else {
                return Ok(Err(problem(field, "unknown_person")));
            };
            if !orgs::ancestors(&mut *tx, p.organisation_id)
                .await?
                .contains(&organisation)
            {
                return Ok(Err(problem(field, "person_elsewhere")));
            }
            person = Some(p.id);
        }
        let mut post = None;
        if let Some((text, field)) = &a.post {
            let Some(id) = posts::named(tx, organisation, text).await? else {
                return Ok(Err(problem(field, "unknown_post")));
            };
            post = Some(id);
        }
        Ok(Ok((organisation, person, post)))
    }

    async fn record_appointment(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        origin: &Origin,
        action: &'static str,
        id: Uuid,
        a: &Appointing,
    ) -> Result<(), AppError> {
        self.record(
            tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action,
                organisation: Some(origin.organisation),
                target_kind: "designation",
                target_id: Some(id.to_string()),
                outcome: Outcome::Success,
                detail: json!({
                    "role": a.role, "case": origin.case,
                    "starts_on": a.starts_on.to_string(),
                    "ends_on": a.ends_on.map(|d| d.to_string()),
                }),
            },
        )
        .await?;
        Ok(())
    }
}
