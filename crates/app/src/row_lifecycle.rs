//! Register rows over time: the dates a row carries (a take-out's return day, an
//! exception's expiry), reminded of before and marked once passed; legal holds; and the
//! deletion of rows whose retention has run out, of which the audit trail keeps that they
//! existed — their id and a digest — but not what they held.

use jiff::ToSpan;
use jiff::civil::Date;
use mamori_domain::audit::Outcome;
use mamori_domain::deadline::{end_of, remind_at};
use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_library::Text;
use mamori_library::form::Data;
use mamori_library::model::{Participant, Register, RowDateMeaning, reminder_span};
use mamori_storage::organisations as orgs;
use mamori_storage::row_lifecycle::{self, DateNotice, DueDate, NewRowDate};
use mamori_storage::types::Day;
use mamori_storage::{Ts, Tx, notifications, registers};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event, RowView};

/// How many notices and deletions one tick does at most; the rest wait for the next.
const BATCH: i64 = 200;

/// A date a row carries, as a reader sees it.
#[derive(Debug, Clone)]
pub struct RowDateView {
    /// The column.
    pub column: String,
    /// Its label.
    pub label: Text,
    pub day: Date,
    pub means: RowDateMeaning,
    /// The day has ended.
    pub passed: bool,
    /// Its `settled_by` column is filled: nothing is owed any more.
    pub settled: bool,
}

impl RowDateView {
    /// Whether the row needs attention: overdue, or lapsed.
    pub fn late(&self) -> bool {
        self.passed && !self.settled
    }
}

impl App {
    /// The dates a row carries, and where each stands now.
    pub fn row_dates(&self, register: &Register, data: &Data) -> Vec<RowDateView> {
        let now = self.now().0;
        let zone = &self.settings.zone;
        register
            .dates
            .iter()
            .filter_map(|d| {
                let day = d.day(data)?;
                Some(RowDateView {
                    column: d.column.value.clone(),
                    label: register.column(&d.column.value).map_or_else(
                        || Text {
                            ja: d.column.value.clone(),
                            en: None,
                        },
                        |c| c.label.clone(),
                    ),
                    day,
                    means: d.means,
                    passed: end_of(day, zone) <= now,
                    settled: d.settled(data),
                })
            })
            .collect()
    }

    /// Sets the dates of a row just written: those its columns hold and nothing settles.
    pub(crate) async fn set_row_dates(
        &self,
        tx: &mut Tx,
        register: &Register,
        row: Uuid,
        data: &Data,
    ) -> Result<(), AppError> {
        if register.dates.is_empty() {
            return Ok(());
        }
        let zone = &self.settings.zone;
        let dates: Vec<NewRowDate<'_>> = register
            .dates
            .iter()
            .filter(|d| !d.settled(data))
            .filter_map(|d| {
                let day = d.day(data)?;
                let passes_at = end_of(day, zone);
                Some(NewRowDate {
                    column: &d.column.value,
                    means: means(d.means),
                    on_day: Day(day),
                    remind_at: d
                        .remind
                        .as_ref()
                        .and_then(|r| reminder_span(&r.value).ok())
                        .map(|span| Ts(remind_at(passes_at, span, zone))),
                    passes_at: Ts(passes_at),
                })
            })
            .collect();
        row_lifecycle::set_dates(tx, row, &dates).await?;
        Ok(())
    }

    /// Sends the reminders and the notices of passed days of register rows; returns how
    /// many it sent.
    pub async fn send_row_notices(&self) -> Result<usize, AppError> {
        let mut sent = 0;
        for notice in [DateNotice::Remind, DateNotice::Passed] {
            for due in row_lifecycle::due(&self.db, notice, self.now(), BATCH).await? {
                if self.send_row_notice(&due, notice).await? {
                    sent += 1;
                }
            }
        }
        Ok(sent)
    }

    async fn send_row_notice(&self, due: &DueDate, notice: DateNotice) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !row_lifecycle::claim(&mut tx, due, notice, now).await? {
            return Ok(false);
        }
        let Some(lib) = self.libraries.latest(&due.library_id).cloned() else {
            tx.commit().await?;
            return Ok(false);
        };
        let Some(register) = lib.registers.get(&due.register_id) else {
            tx.commit().await?;
            return Ok(false);
        };
        let row = registers::get(&mut tx, lib.id(), &due.register_id, due.row_id).await?;
        let data: Data = serde_json::from_str(&row.data).unwrap_or_default();
        let name = crate::rounds::row_name(
            &row.data,
            &register
                .key
                .iter()
                .map(|k| k.value.as_str())
                .collect::<Vec<_>>(),
        );
        let label = register.column(&due.column_id).map_or_else(
            || Text {
                ja: due.column_id.clone(),
                en: None,
            },
            |c| c.label.clone(),
        );
        let day = due.on_day.0;
        let (ja, en) = match (notice, due.means.as_str()) {
            (DateNotice::Remind, _) => (
                format!(
                    "{}「{name}」: {}（{day}）が近づいています",
                    register.title.ja, label.ja
                ),
                format!(
                    "{} \"{name}\": {} ({day}) is near",
                    register.title.get("en"),
                    label.get("en")
                ),
            ),
            (DateNotice::Passed, "expires") => (
                format!(
                    "{}「{name}」: {}（{day}）を過ぎ、期限が切れました",
                    register.title.ja, label.ja
                ),
                format!(
                    "{} \"{name}\": lapsed after {} ({day})",
                    register.title.get("en"),
                    label.get("en")
                ),
            ),
            (DateNotice::Passed, _) => (
                format!(
                    "{}「{name}」: {}（{day}）を過ぎました",
                    register.title.ja, label.ja
                ),
                format!(
                    "{} \"{name}\": {} ({day}) has passed",
                    register.title.get("en"),
                    label.get("en")
                ),
            ),
        };
        // Those who keep the register in the row's organisation are told, and whoever the
        // date names besides (the borrower of a take-out), with the case that wrote the row.
        let writer = row_lifecycle::writing_case(&mut tx, row.id).await?;
        let mut people = Vec::new();
        if register
            .dates
            .iter()
            .find(|d| d.column.value == due.column_id)
            .is_some_and(|d| d.notify.contains(&Participant::Applicant))
            && let Some((_, applicant)) = writer
        {
            people.push(applicant);
        }
        for editor in &register.editors {
            people.extend(
                notifications::holders_of(
                    &mut tx,
                    &editor.value,
                    &[row.organisation_id],
                    self.today(),
                )
                .await?,
            );
        }
        self.tell(&mut tx, people, writer.map(|(case, _)| case), &ja, &en, now)
            .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "register.date",
                organisation: Some(row.organisation_id),
                target_kind: "register_row",
                target_id: Some(row.id.to_string()),
                outcome: Outcome::Success,
                detail: json!({
                    "register": due.register_id,
                    "column": due.column_id,
                    "day": day.to_string(),
                    "notice": if notice == DateNotice::Remind { "remind" } else { "passed" },
                    "settled": register.dates.iter().any(|d| d.column.value == due.column_id && d.settled(&data)),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the rows whose retention has run out and no hold keeps; returns how many.
    pub async fn purge_expired_rows(&self) -> Result<usize, AppError> {
        let today = self.today().0;
        let mut purged = 0;
        let libraries: Vec<_> = self.libraries.current().cloned().collect();
        for lib in &libraries {
            for (id, register) in &lib.registers {
                let years = register.retention_years.unwrap_or(0);
                let (cutoff, rule) = match &register.retention_from {
                    // The day is in the row's columns: every row is read, page by page.
                    Some(from) => (
                        None,
                        format!("retention_from: {}, retention_years: {years}", from.value),
                    ),
                    None if register.retention_years.is_some() => {
                        let Some(cutoff) = self.retention_cutoff(years) else {
                            continue;
                        };
                        (Some(cutoff), format!("retention_years: {years}"))
                    }
                    None => continue,
                };
                let mut after = Uuid::nil();
                loop {
                    let rows =
                        row_lifecycle::purgeable(&self.db, lib.id(), id, cutoff, after).await?;
                    let Some(last) = rows.last() else { break };
                    after = last.id;
                    for row in &rows {
                        let due = register.retention_from.as_ref().is_none_or(|from| {
                            let data: Data = serde_json::from_str(&row.data).unwrap_or_default();
                            data.get(&from.value)
                                .and_then(Value::as_str)
                                .and_then(|d| d.parse::<Date>().ok())
                                .and_then(|d| d.checked_add((years as i32).years()).ok())
                                .is_some_and(|last| last < today)
                        });
                        if due && self.purge_row(lib.id(), id, row, &rule).await? {
                            purged += 1;
                        }
                    }
                }
            }
        }
        Ok(purged)
    }

    /// The start of today `years` ago: what was retired or closed before it has been kept
    /// `years` full years.
    pub(crate) fn retention_cutoff(&self, years: u32) -> Option<Ts> {
        self.today()
            .0
            .checked_sub((years as i32).years())
            .ok()
            .and_then(|d| d.to_zoned(self.settings.zone.clone()).ok())
            .map(|z| Ts(z.timestamp()))
    }

    async fn purge_row(
        &self,
        library: &str,
        register: &str,
        row: &mamori_storage::registers::RowRecord,
        rule: &str,
    ) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        let Some(parts) = row_lifecycle::purge(&mut tx, row.id).await? else {
            // Held, or deleted by another server meanwhile.
            return Ok(false);
        };
        let digest = digest(&parts);
        // The events that recorded the row's columns lose them, keeping their digests.
        let redacted = mamori_storage::audit::redact(
            &mut tx,
            ("register_row", &row.id.to_string()),
            Some("register."),
            self.now(),
        )
        .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "register.purge",
                organisation: Some(row.organisation_id),
                target_kind: "register_row",
                target_id: Some(row.id.to_string()),
                outcome: Outcome::Success,
                detail: json!({
                    "library": library,
                    "register": register,
                    "retired_at": row.retired_at.map(|t| t.0.to_string()),
                    "sha256": digest,
                    "changes": parts.len() - 2,
                    "redacted": redacted,
                    "rule": rule,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Places a legal hold on a row (or changes its reason): it is kept past its retention
    /// until released. Administrators and auditors over the row's organisation decide it.
    pub async fn hold_register_row(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
        reason: &str,
    ) -> Result<RowView, AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(
                mamori_domain::FieldError {
                    field: "reason",
                    code: "required",
                    limit: None,
                }
                .into(),
            ));
        }
        let org = self.may_hold(caller, register, id).await?;
        let mut tx = self.db.begin().await?;
        if !row_lifecycle::hold(&mut tx, id, caller.actor.person, reason, self.now()).await? {
            return Err(AppError::NotFound);
        }
        self.record_done(
            &mut tx,
            caller,
            "register.hold",
            org,
            ("register_row", id.to_string()),
            json!({ "register": register, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        self.register_row(caller, register, id).await
    }

    /// Releases a row's legal hold: its retention runs again.
    pub async fn release_register_row(
        &self,
        caller: &Caller,
        register: &str,
        id: Uuid,
    ) -> Result<RowView, AppError> {
        let org = self.may_hold(caller, register, id).await?;
        let mut tx = self.db.begin().await?;
        if !row_lifecycle::release(&mut tx, id).await? {
            return Err(AppError::Rule { code: "not-held" });
        }
        self.record_done(
            &mut tx,
            caller,
            "register.release",
            org,
            ("register_row", id.to_string()),
            json!({ "register": register }),
        )
        .await?;
        tx.commit().await?;
        self.register_row(caller, register, id).await
    }

    /// The row's organisation, once the caller may hold rows there (an administrator or an
    /// auditor over it); a refusal otherwise, recorded.
    async fn may_hold(&self, caller: &Caller, register: &str, id: Uuid) -> Result<Uuid, AppError> {
        let lib = self
            .libraries
            .register(register)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let row = registers::get(&self.db, lib.id(), register, id).await?;
        let facts = OrgFacts {
            ancestors: orgs::ancestors(&self.db, row.organisation_id).await?,
            related: vec![],
        };
        if !policy::allows(&caller.actor, Permission::ViewAudit, &facts) {
            return self
                .deny(
                    caller,
                    "register.hold",
                    Some(row.organisation_id),
                    "register_row",
                    Some(id.to_string()),
                )
                .await;
        }
        Ok(row.organisation_id)
    }
}

fn means(m: RowDateMeaning) -> &'static str {
    match m {
        RowDateMeaning::Due => "due",
        RowDateMeaning::Expires => "expires",
    }
}

/// The SHA-256 (hex) of what a deletion removed, each part length-prefixed, for the audit
/// trail to keep in place of the content.
pub(crate) fn digest(parts: &[String]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
