//! Closed cases past their procedure's `retention_years`: deleted by the scheduler unless
//! a legal hold keeps them, the audit trail keeping that they existed — their id, their
//! procedure and a digest — but not what they held.

use mamori_domain::audit::Outcome;
use mamori_domain::policy::{self, Permission};
use mamori_storage::Ts;
use mamori_storage::case_retention::{self, ClosedCase};
use serde_json::json;
use uuid::Uuid;

use crate::row_lifecycle::digest;
use crate::{App, AppError, Caller, Event};

/// How many cases one tick deletes at most per procedure; the rest wait for the next.
const BATCH: i64 = 100;

impl App {
    /// Deletes the closed cases whose retention has run out and no hold keeps; returns how
    /// many.
    pub async fn purge_expired_cases(&self) -> Result<usize, AppError> {
        let mut purged = 0;
        let libraries: Vec<_> = self.libraries.current().cloned().collect();
        for lib in &libraries {
            for (pid, procedure) in &lib.procedures {
                let Some(years) = procedure.retention_years else {
                    continue;
                };
                // Kept for `years` after closing.
                let Some(cutoff) = self.retention_cutoff(years) else {
                    continue;
                };
                for case in
                    case_retention::purgeable(&self.db, lib.id(), pid, cutoff, BATCH).await?
                {
                    let rule = format!("retention_years: {years}");
                    if self.purge_case(lib.id(), pid, &case, &rule).await? {
                        purged += 1;
                    }
                }
            }
        }
        Ok(purged)
    }

    async fn purge_case(
        &self,
        library: &str,
        procedure: &str,
        case: &ClosedCase,
        rule: &str,
    ) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        let Some(parts) = case_retention::purge(&mut tx, case.id).await? else {
            // Held or deleted meanwhile.
            return Ok(false);
        };
        // The events about the case lose what they said, keeping their digests.
        let redacted = mamori_storage::audit::redact(
            &mut tx,
            ("case", &case.id.to_string()),
            None,
            self.now(),
        )
        .await?;
        self.record(
            &mut tx,
            None,
            None,
            Event {
                action: "case.purge",
                organisation: Some(case.organisation_id),
                target_kind: "case",
                target_id: Some(case.id.to_string()),
                outcome: Outcome::Success,
                detail: json!({
                    "library": library,
                    "procedure": procedure,
                    "closed_at": case.closed_at.0.to_string(),
                    "sha256": digest(&parts),
                    "history": parts.len() - 2,
                    "redacted": redacted,
                    "rule": rule,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Places a legal hold on a case (or changes its reason): once closed, it is kept past
    /// its procedure's retention until released. Administrators and auditors over the
    /// case's organisation decide it.
    pub async fn hold_case(&self, caller: &Caller, id: Uuid, reason: &str) -> Result<(), AppError> {
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
        let org = self.may_hold_case(caller, id).await?;
        let mut tx = self.db.begin().await?;
        if !case_retention::hold(&mut tx, id, caller.actor.person, reason, self.now()).await? {
            return Err(AppError::NotFound);
        }
        self.record_done(
            &mut tx,
            caller,
            "case.hold",
            org,
            ("case", id.to_string()),
            json!({ "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Releases a case's legal hold: its retention runs again.
    pub async fn release_case(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let org = self.may_hold_case(caller, id).await?;
        let mut tx = self.db.begin().await?;
        if !case_retention::release(&mut tx, id).await? {
            return Err(AppError::Rule { code: "not-held" });
        }
        self.record_done(
            &mut tx,
            caller,
            "case.release",
            org,
            ("case", id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A case's legal hold, for those who may read it: since when and why.
    pub async fn case_hold(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<(Ts, String)>, AppError> {
        self.case(caller, id).await?;
        Ok(case_retention::held(&self.db, id).await?)
    }

    /// The case's organisation, once the caller may hold it (an administrator or an auditor
    /// over it) — after it proved it may read the case at all; a refusal otherwise, recorded.
    async fn may_hold_case(&self, caller: &Caller, id: Uuid) -> Result<Uuid, AppError> {
        let v = self.case(caller, id).await?;
        let facts = policy::OrgFacts {
            ancestors: mamori_storage::organisations::ancestors(&self.db, v.row.organisation_id)
                .await?,
            related: vec![],
        };
        if !policy::allows(&caller.actor, Permission::ViewAudit, &facts) {
            return self
                .deny(
                    caller,
                    "case.hold",
                    Some(v.row.organisation_id),
                    "case",
                    Some(id.to_string()),
                )
                .await;
        }
        Ok(v.row.organisation_id)
    }
}
