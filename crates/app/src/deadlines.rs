//! Deadlines of cases: set when a case enters a state, fired by the scheduler as reminders
//! and overdue notices, dropped when the case moves on.

use jiff::Timestamp;
use mamori_domain::audit::Outcome;
use mamori_library::form::Data;
use mamori_library::model::Procedure;
use mamori_storage::cases::{self, CaseRow, NewCaseEvent};
use mamori_storage::notifications;
use mamori_storage::timers::{self, NewTimer, TimerKind, TimerRow};
use mamori_storage::{Ts, Tx};
use uuid::Uuid;

use crate::cases::{Due, party_holders};
use crate::plan;
use crate::routing::{CaseAt, Routing};
use crate::{App, AppError, Event};

/// How many due timers one tick fires at most; the rest wait for the next tick.
const BATCH: i64 = 100;

impl App {
    /// Sets the deadlines of the state a case is in now (dropping those of the state it
    /// left) and records the earliest one on the case for the inbox.
    pub(crate) async fn set_deadlines(
        &self,
        tx: &mut Tx,
        procedure: &Procedure,
        case: Uuid,
        state: &str,
        data: &Data,
    ) -> Result<(), AppError> {
        // A case's procedure never changes: one without deadlines never has timers.
        if procedure.deadlines.is_empty() {
            return Ok(());
        }
        let set: Vec<NewTimer> = plan::timers(procedure, state, data, &self.local_now())
            .into_iter()
            .map(|t| NewTimer {
                deadline: t.deadline as i64,
                kind: if t.remind {
                    TimerKind::Remind
                } else {
                    TimerKind::Due
                },
                fire_at: Ts(t.at),
            })
            .collect();
        let earliest = set
            .iter()
            .filter(|t| t.kind == TimerKind::Due)
            .map(|t| t.fire_at)
            .min();
        timers::replace(tx, case, state, &set).await?;
        cases::set_due(tx, case, earliest).await?;
        Ok(())
    }

    /// Fires the reminders and deadlines whose time has come; returns how many fired.
    /// Safe to call from every server at once: each timer is claimed in the transaction
    /// that writes its notices.
    pub async fn fire_due_timers(&self) -> Result<usize, AppError> {
        let due = timers::due(&self.db, self.now(), BATCH).await?;
        let mut fired = 0;
        for timer in due {
            if self.fire(&timer).await? {
                fired += 1;
            }
        }
        Ok(fired)
    }

    async fn fire(&self, timer: &TimerRow) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !timers::claim(&mut tx, timer.id, now).await? {
            return Ok(false);
        }
        let row = cases::get(&mut tx, timer.case_id).await?;
        let lib = self.definition(&mut tx, &row).await?;
        let procedure = &lib.procedures[&row.procedure_id];
        let deadline = usize::try_from(timer.deadline)
            .ok()
            .and_then(|i| procedure.deadlines.get(i));
        let (Some(deadline), true) = (deadline, row.state == timer.state) else {
            // The case moved on in the same instant; the claim alone is recorded.
            tx.commit().await?;
            return Ok(false);
        };
        let mut people = cases::waiting_people(&mut tx, row.id, self.today()).await?;
        if timer.kind() == TimerKind::Due {
            // Escalating to the last resort routes the case there: its desk now takes part.
            let mut routing = Routing::parse(&row.routing);
            if !routing.last_resort
                && deadline
                    .escalate
                    .iter()
                    .any(|p| p.of == mamori_library::model::Relation::LastResort)
            {
                routing.last_resort = true;
                cases::set_routing(&mut tx, row.id, &routing.text()).await?;
            }
            let row = cases::get(&mut tx, row.id).await?;
            let facts = self.facts_of_row(&mut tx, &lib, &row).await?;
            if routing.last_resort {
                let data = serde_json::from_str(&row.data).unwrap_or_default();
                let done: Vec<String> = serde_json::from_str(&row.done).unwrap_or_default();
                let at = CaseAt {
                    organisation: row.organisation_id,
                    state: &row.state,
                    data: &data,
                    routing: &routing,
                };
                let history = self.history_if_read(&mut tx, procedure, row.id).await?;
                self.update_waits(
                    &mut tx,
                    &lib,
                    procedure,
                    row.id,
                    &at,
                    (&done, &history),
                    &facts,
                )
                .await?;
            }
            for p in &deadline.escalate {
                people.extend(party_holders(&mut tx, p, &facts, self.today()).await?);
            }
        }
        let what = |lang: &str| match &deadline.name {
            Some(name) => name.get(lang).to_owned(),
            None => procedure
                .state(&row.state)
                .map_or(row.state.clone(), |s| s.name.get(lang).to_owned()),
        };
        let due = row.due_at.map_or(timer.fire_at.0, |d| d.0);
        let when = self.due_label(due);
        let (ja, en, action) = match timer.kind() {
            TimerKind::Remind => (
                format!(
                    "{}: {}の期限が近づいています（{when}まで）",
                    row.title,
                    what("ja")
                ),
                format!("{}: {} is due soon (by {when})", row.title, what("en")),
                "deadline.remind",
            ),
            TimerKind::Due => (
                format!("{}: {}の期限（{when}）を過ぎました", row.title, what("ja")),
                format!("{}: {} is overdue (was due {when})", row.title, what("en")),
                "deadline.due",
            ),
        };
        self.tell(&mut tx, people, Some(row.id), &ja, &en, now)
            .await?;
        cases::append_event(
            &mut tx,
            row.id,
            &NewCaseEvent {
                actor: None,
                action,
                from_state: Some(&row.state),
                to_state: Some(&row.state),
                comment: "",
                data: &serde_json::json!({ "deadline": timer.deadline, "due": when }).to_string(),
                detail: "{}",
                now,
            },
        )
        .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "case.deadline",
                organisation: Some(row.organisation_id),
                target_kind: "case",
                target_id: Some(row.id.to_string()),
                outcome: Outcome::Success,
                detail: serde_json::json!({ "kind": timer.kind, "state": row.state, "due": when }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The deadline of a case still open: when, and whether it has passed.
    pub fn due(&self, row: &CaseRow) -> Option<Due> {
        let due = row.due_at.filter(|_| row.closed_at.is_none())?;
        Some(Due {
            label: self.due_label(due.0),
            overdue: due <= self.now(),
            note: None,
        })
    }

    /// A deadline as people say it, in the installation's zone: a deadline at midnight
    /// (the end of a day) is that day, any other is the day and time.
    pub fn due_label(&self, due: Timestamp) -> String {
        let local = due.to_zoned(self.settings.zone.clone());
        if local.time() == jiff::civil::Time::midnight() {
            local
                .date()
                .yesterday()
                .map_or_else(|_| local.date().to_string(), |d| d.to_string())
        } else {
            local.strftime("%Y-%m-%d %H:%M").to_string()
        }
    }

    /// Writes a notice to each person, in the app and, when e-mail is on, in the outbox, in
    /// the transaction of what it announces.
    pub(crate) async fn tell(
        &self,
        tx: &mut Tx,
        mut people: Vec<Uuid>,
        case: Option<Uuid>,
        subject_ja: &str,
        subject_en: &str,
        now: Ts,
    ) -> Result<(), AppError> {
        people.sort();
        people.dedup();
        let channels: &[notifications::Channel] = if self.settings.email {
            &[notifications::Channel::InApp, notifications::Channel::Email]
        } else {
            &[notifications::Channel::InApp]
        };
        for person in people {
            for channel in channels {
                notifications::insert(
                    tx,
                    &notifications::NewNotification {
                        channel: *channel,
                        person,
                        case,
                        subject_ja,
                        subject_en,
                        now,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}
