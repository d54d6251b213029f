//! Secrets handed over in a case (an initial password): sealed by the caller under the
//! installation's key, kept apart from the case's data and history, wiped once shown.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A secret of a case, without its sealed value.
#[derive(Debug, Clone, FromRow)]
pub struct SecretRow {
    /// The history entry that handed it over.
    pub event_seq: i64,
    /// The action's field.
    pub field: String,
    /// Whom it is for: a JSON array of person ids.
    pub recipients: String,
    /// Who it was shown to.
    pub shown_to: Option<Uuid>,
    /// Their name.
    pub shown_to_name: Option<String>,
    pub shown_at: Option<Ts>,
    /// When they confirmed receiving it.
    pub received_at: Option<Ts>,
}

impl SecretRow {
    /// Whether it is for `person`.
    pub fn is_for(&self, person: Uuid) -> bool {
        serde_json::from_str::<Vec<Uuid>>(&self.recipients).is_ok_and(|r| r.contains(&person))
    }
}

/// Keeps a sealed secret.
pub async fn insert(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    field: &str,
    sealed: &str,
    recipients: &[Uuid],
) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO case_secrets (case_id, event_seq, field, sealed, recipients)
                       VALUES ($1, $2, $3, $4, $5)";
    let recipients = serde_json::to_string(recipients).unwrap_or_else(|_| "[]".into());
    on_tx!(tx, c => sqlx::query(SQL).bind(case).bind(seq).bind(field).bind(sealed).bind(recipients)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The secrets of a case, oldest first.
pub async fn for_case<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
) -> Result<Vec<SecretRow>, StorageError> {
    const SQL: &str =
        "SELECT s.event_seq, s.field, s.recipients, s.shown_to, p.name AS shown_to_name,
                              s.shown_at, s.received_at
                         FROM case_secrets s LEFT JOIN persons p ON p.id = s.shown_to
                        WHERE s.case_id = $1 ORDER BY s.event_seq, s.field";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(case).fetch_all(c).await)?)
}

/// Takes the sealed value of a secret not shown yet, wiping it and recording to whom it
/// was shown; `None` once it has been.
pub async fn take(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    field: &str,
    person: Uuid,
    now: Ts,
) -> Result<Option<String>, StorageError> {
    const READ: &str = "SELECT sealed FROM case_secrets
                         WHERE case_id = $1 AND event_seq = $2 AND field = $3 AND sealed IS NOT NULL";
    const WIPE: &str = "UPDATE case_secrets SET sealed = NULL, shown_to = $4, shown_at = $5
                         WHERE case_id = $1 AND event_seq = $2 AND field = $3 AND sealed IS NOT NULL";
    let sealed: Option<String> = on_tx!(tx, c => sqlx::query_scalar(READ)
        .bind(case).bind(seq).bind(field).fetch_optional(c).await)?;
    if sealed.is_none() {
        return Ok(None);
    }
    // Two readers at once: only the one whose wipe took effect is shown it.
    let wiped = on_tx!(tx, c => sqlx::query(WIPE).bind(case).bind(seq).bind(field).bind(person).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(sealed.filter(|_| wiped == 1))
}

/// Records that whoever it was shown to received it; whether it was theirs to confirm.
pub async fn receive(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    field: &str,
    person: Uuid,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE case_secrets SET received_at = $5
                        WHERE case_id = $1 AND event_seq = $2 AND field = $3 AND shown_to = $4
                          AND received_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(case).bind(seq).bind(field).bind(person).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
