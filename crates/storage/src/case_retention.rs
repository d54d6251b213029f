//! Closed cases past their procedure's retention: found, held by a legal hold, and deleted
//! with everything that belongs to them.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Db, StorageError, Tx, on_db, on_tx};

/// A closed case no hold keeps.
#[derive(Debug, Clone, FromRow)]
pub struct ClosedCase {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub closed_at: Ts,
}

/// Closed cases of a procedure closed before `closed_before` that no hold keeps, oldest first.
pub async fn purgeable(
    db: &Db,
    library: &str,
    procedure: &str,
    closed_before: Ts,
    limit: i64,
) -> Result<Vec<ClosedCase>, StorageError> {
    const SQL: &str = "SELECT id, organisation_id, closed_at FROM cases
        WHERE library_id = $1 AND procedure_id = $2 AND closed_at IS NOT NULL AND closed_at < $3
          AND held_at IS NULL
        ORDER BY closed_at, id LIMIT $4";
    Ok(
        on_db!(db, p => sqlx::query_as(SQL).bind(library).bind(procedure).bind(closed_before)
        .bind(limit).fetch_all(p).await)?,
    )
}

/// Places a legal hold on a case (or changes its reason); false when there is no such case.
pub async fn hold(
    tx: &mut Tx,
    case: Uuid,
    by: Uuid,
    reason: &str,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE cases SET held_at = COALESCE(held_at, $4), held_by = $2, hold_reason = $3 WHERE id = $1";
    let n = on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(by).bind(reason).bind(now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Releases a case's legal hold; false when it had none.
pub async fn release(tx: &mut Tx, case: Uuid) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE cases SET held_at = NULL, held_by = NULL, hold_reason = NULL
        WHERE id = $1 AND held_at IS NOT NULL";
    let n =
        on_tx!(tx, x => sqlx::query(SQL).bind(case).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Whether a case is held, and why.
pub async fn held(db: &Db, case: Uuid) -> Result<Option<(Ts, String)>, StorageError> {
    const SQL: &str = "SELECT held_at, COALESCE(hold_reason, '') FROM cases WHERE id = $1 AND held_at IS NOT NULL";
    Ok(on_db!(db, p => sqlx::query_as(SQL).bind(case).fetch_optional(p).await)?)
}

/// Deletes a closed case that no hold keeps, with its history, waits, timers, overrides,
/// emergencies, secrets, rounds, attachments (and the files no other record holds) and the
/// notices about it; links from register rows' history and from assessments are cleared.
/// Returns what was deleted — its form and each entry of its history — for the caller to
/// keep a digest of, or `None` when the case is held, open or gone.
pub async fn purge(tx: &mut Tx, case: Uuid) -> Result<Option<Vec<String>>, StorageError> {
    const GET: &str =
        "SELECT title, data FROM cases WHERE id = $1 AND held_at IS NULL AND closed_at IS NOT NULL";
    let Some((title, data)): Option<(String, String)> =
        on_tx!(tx, x => sqlx::query_as(GET).bind(case).fetch_optional(x).await)?
    else {
        return Ok(None);
    };
    const EVENTS: &str = "SELECT action || ' ' || data || ' ' || comment FROM case_events WHERE case_id = $1 ORDER BY seq";
    let events: Vec<(String,)> =
        on_tx!(tx, x => sqlx::query_as(EVENTS).bind(case).fetch_all(x).await)?;
    const FILES: &str = "SELECT DISTINCT file_address FROM case_attachments WHERE case_id = $1";
    let files: Vec<(String,)> =
        on_tx!(tx, x => sqlx::query_as(FILES).bind(case).fetch_all(x).await)?;
    let mut parts = vec![title, data];
    parts.extend(events.into_iter().map(|(e,)| e));
    for sql in [
        "DELETE FROM case_events WHERE case_id = $1",
        "DELETE FROM case_waits WHERE case_id = $1",
        "DELETE FROM case_timers WHERE case_id = $1",
        "DELETE FROM case_overrides WHERE case_id = $1",
        "DELETE FROM case_emergencies WHERE case_id = $1",
        "DELETE FROM case_secrets WHERE case_id = $1",
        "DELETE FROM recurring_rounds WHERE case_id = $1",
        "DELETE FROM case_attachments WHERE case_id = $1",
        "DELETE FROM notifications WHERE case_id = $1",
        "DELETE FROM case_schedules WHERE case_id = $1",
        "UPDATE register_row_events SET case_id = NULL WHERE case_id = $1",
        "UPDATE assessment_answers SET remediation_case = NULL WHERE remediation_case = $1",
        "DELETE FROM cases WHERE id = $1",
    ] {
        on_tx!(tx, x => sqlx::query(sql).bind(case).execute(x).await.map(|r| r.rows_affected()))?;
    }
    // A file is kept once per content: it goes when no attachment or evidence holds it.
    for (address,) in files {
        const GONE: &str = "DELETE FROM files WHERE address = $1
            AND NOT EXISTS (SELECT 1 FROM case_attachments WHERE file_address = $1)
            AND NOT EXISTS (SELECT 1 FROM evidence WHERE file_address = $1)";
        on_tx!(tx, x => sqlx::query(GONE).bind(&address).execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(Some(parts))
}
