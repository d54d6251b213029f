//! Sign-in with the office's directory: the sign-ins sent to the directory and not yet
//! back (in the database, so that the browser may come back to any server), and which
//! person each directory subject is.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A sign-in to keep until the browser comes back from the directory.
pub struct NewLogin<'a> {
    /// SHA-256 of the `state` parameter.
    pub state_hash: &'a [u8],
    /// The nonce the ID token must carry.
    pub nonce: &'a str,
    /// The PKCE verifier of the code exchange.
    pub pkce_verifier: &'a str,
    /// Where to go once signed in (a path of mamori's own).
    pub return_to: &'a str,
    pub now: Ts,
    /// Refused after this.
    pub expires_at: Ts,
}

/// A sign-in taken back.
#[derive(Debug, Clone, FromRow)]
pub struct LoginRow {
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// Where to go once signed in.
    pub return_to: String,
    /// Refused after this.
    pub expires_at: Ts,
}

/// Stores a started sign-in.
pub async fn insert_login(tx: &mut Tx, l: &NewLogin<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, return_to, created_at, expires_at)
                       VALUES ($1, $2, $3, $4, $5, $6)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(l.state_hash).bind(l.nonce).bind(l.pkce_verifier).bind(l.return_to)
        .bind(l.now).bind(l.expires_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes a sign-in by the hash of its `state`: the row is deleted as it is read, so the
/// same state never signs anyone in twice. The caller checks the expiry.
pub async fn take_login(tx: &mut Tx, state_hash: &[u8]) -> Result<Option<LoginRow>, StorageError> {
    const SQL: &str = "DELETE FROM oidc_logins WHERE state_hash = $1
                       RETURNING nonce, pkce_verifier, return_to, expires_at";
    Ok(on_tx!(tx, c => sqlx::query_as(SQL).bind(state_hash).fetch_optional(c).await)?)
}

/// Removes sign-ins nobody came back from in time.
pub async fn delete_expired_logins(tx: &mut Tx, now: Ts) -> Result<u64, StorageError> {
    let done = on_tx!(tx, c => sqlx::query("DELETE FROM oidc_logins WHERE expires_at < $1")
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// The person a directory subject is bound to.
pub async fn person_of_subject<'a>(
    src: impl Into<Src<'a>>,
    issuer: &str,
    subject: &str,
) -> Result<Option<Uuid>, StorageError> {
    const SQL: &str = "SELECT person_id FROM oidc_subjects WHERE issuer = $1 AND subject = $2";
    let row: Option<(Uuid,)> = on_src!(src.into(), c => sqlx::query_as(SQL)
        .bind(issuer).bind(subject).fetch_optional(c).await)?;
    Ok(row.map(|(id,)| id))
}

/// The subject a person is bound to at `issuer`, if any.
pub async fn subject_of_person<'a>(
    src: impl Into<Src<'a>>,
    issuer: &str,
    person: Uuid,
) -> Result<Option<String>, StorageError> {
    const SQL: &str = "SELECT subject FROM oidc_subjects WHERE issuer = $1 AND person_id = $2";
    let row: Option<(String,)> = on_src!(src.into(), c => sqlx::query_as(SQL)
        .bind(issuer).bind(person).fetch_optional(c).await)?;
    Ok(row.map(|(s,)| s))
}

/// Binds a subject to a person. `false` when either is already bound (a sign-in racing
/// this one bound it first).
pub async fn bind_subject(
    tx: &mut Tx,
    issuer: &str,
    subject: &str,
    person: Uuid,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "INSERT INTO oidc_subjects (issuer, subject, person_id, bound_at)
                       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(issuer).bind(subject).bind(person).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Notes a sign-in by a bound subject.
pub async fn touch_subject(
    tx: &mut Tx,
    issuer: &str,
    subject: &str,
    now: Ts,
) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE oidc_subjects SET last_login_at = $3 WHERE issuer = $1 AND subject = $2")
        .bind(issuer).bind(subject).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
