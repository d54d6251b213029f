//! Reading and verifying the audit trail.

use mamori_domain::audit::ChainError;
use mamori_domain::policy::{self, Permission};
use mamori_storage::audit::{self, AuditFilter, AuditRow};

use crate::{App, AppError, Caller};

/// A page of the trail, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Filters.
    pub filter: AuditFilter,
    /// Rows per page (clamped to 1..=1000).
    pub limit: i64,
}

impl App {
    /// Events the caller may read (their administered or audited subtrees).
    pub async fn audit_events(
        &self,
        caller: &Caller,
        query: &AuditQuery,
    ) -> Result<Vec<AuditRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewAudit, &[]);
        if scope.is_empty() {
            return self
                .deny(
                    caller,
                    "audit.read",
                    Some(caller.actor.organisation),
                    "audit",
                    None,
                )
                .await;
        }
        Ok(audit::list(&self.db, &scope, &query.filter, query.limit.clamp(1, 1000)).await?)
    }

    /// Re-walks the whole chain (system administrators; the command line needs no login).
    pub async fn verify_audit_chain(
        &self,
        caller: &Caller,
    ) -> Result<Result<i64, ChainError>, AppError> {
        if !caller.actor.is_system_admin() {
            return self.deny(caller, "audit.verify", None, "audit", None).await;
        }
        Ok(audit::verify(&self.db).await?)
    }
}
