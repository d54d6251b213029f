//! Reading and verifying the audit trail.

use mamori_domain::audit::ChainError;
use mamori_domain::policy::{self, Permission};
use mamori_storage::audit::{self, AuditFilter, AuditRow};

use crate::audit_sentences::{self, CaseName, DescribedEvent, Names};
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

    /// Tells each of `rows` (events [`App::audit_events`] gave the caller) as a sentence,
    /// naming the people, organisations and cases they mention with one query for all.
    pub async fn describe_audit_events(
        &self,
        rows: Vec<AuditRow>,
    ) -> Result<Vec<DescribedEvent>, AppError> {
        let names = self.audit_names(&rows).await?;
        Ok(rows
            .into_iter()
            .map(|row| DescribedEvent {
                sentence: audit_sentences::sentence(&row, &names),
                row,
            })
            .collect())
    }

    async fn audit_names(&self, rows: &[AuditRow]) -> Result<Names, AppError> {
        let mut names = Names::default();
        for found in audit::names(&self.db, &audit_sentences::wanted(rows)).await? {
            let map = match found.kind.as_str() {
                "person" => &mut names.persons,
                "organisation" => &mut names.organisations,
                "post" => &mut names.posts,
                "assessment" => &mut names.assessments,
                "designation" => {
                    let role = found.a.unwrap_or_default();
                    names.designations.insert(found.id, (found.name, role));
                    continue;
                }
                "case" => {
                    let case = self.case_name(found.name, found.a, found.b, found.c).await;
                    names.cases.insert(found.id, case);
                    continue;
                }
                _ => continue,
            };
            map.insert(found.id, found.name);
        }
        for row in rows {
            let Some(id) = row.target_id.as_deref() else {
                continue;
            };
            match row.target_kind.as_str() {
                "register" => {
                    if let Some(lib) = self.libraries.register(id) {
                        names
                            .registers
                            .insert(id.to_owned(), lib.registers[id].title.clone());
                    }
                }
                "library" => {
                    if let Some(lib) = self.libraries.latest(id) {
                        names
                            .libraries
                            .insert(id.to_owned(), lib.manifest.title.clone());
                    }
                }
                _ => {}
            }
        }
        Ok(names)
    }

    /// A case's title with its procedure's words. A library version that no longer loads
    /// leaves the ids as they were recorded rather than failing the whole page.
    async fn case_name(
        &self,
        title: String,
        library: Option<String>,
        version: Option<String>,
        procedure: Option<String>,
    ) -> CaseName {
        let (Some(library), Some(version), Some(procedure)) = (library, version, procedure) else {
            return CaseName {
                title,
                ..CaseName::default()
            };
        };
        let lib = match self.stored_version(&self.db, &library, &version).await {
            Ok(lib) => lib,
            Err(e) => {
                tracing::warn!(library, version, error = %e, "audit page: library not loadable");
                return CaseName {
                    title,
                    ..CaseName::default()
                };
            }
        };
        let Some(p) = lib.procedures.get(&procedure) else {
            return CaseName {
                title,
                ..CaseName::default()
            };
        };
        CaseName {
            title,
            procedure: Some(p.title.clone()),
            states: p
                .states
                .iter()
                .map(|s| (s.id.value.clone(), s.name.clone()))
                .collect(),
            actions: p
                .transitions
                .iter()
                .map(|t| (t.action.value.clone(), t.name.clone()))
                .collect(),
        }
    }

    /// Re-walks the whole chain (system administrators; the command line needs no login).
    pub async fn verify_audit_chain(
        &self,
        caller: &Caller,
    ) -> Result<Result<i64, ChainError>, AppError> {
        if !caller.actor.is_system_admin() {
            return self.deny(caller, "audit.verify", None, "audit", None).await;
        }
        self.verify_audit_chain_at_console().await
    }

    /// Verifies the whole chain for the operator at the server's console (`mamori audit
    /// verify`): whoever holds the database file needs no account to read it, and gets the
    /// answer the administrators' page gives.
    pub async fn verify_audit_chain_at_console(&self) -> Result<Result<i64, ChainError>, AppError> {
        Ok(audit::verify(&self.db).await?)
    }
}
