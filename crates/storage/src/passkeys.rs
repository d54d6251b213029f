//! Passkeys (WebAuthn credentials) and the ceremonies that register and use them. The
//! credential's public key and flags are stored as the WebAuthn module encodes them;
//! a ceremony's row is taken (deleted and returned) in the transaction that finishes it,
//! so that a challenge answers once, on whichever server.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// What ceremonies are for.
pub mod kind {
    /// Registering a new passkey (the person is logged in).
    pub const REGISTER: &str = "register";
    /// A passwordless login: the answer names the person.
    pub const LOGIN: &str = "login";
    /// The second factor after a password.
    pub const SECOND_FACTOR: &str = "second_factor";
}

/// A stored passkey.
#[derive(Debug, Clone, FromRow)]
pub struct PasskeyRow {
    pub id: Uuid,
    /// Whose it is.
    pub person_id: Uuid,
    /// The authenticator's credential id.
    pub credential_id: Vec<u8>,
    /// The person's handle on the authenticator.
    pub user_handle: Vec<u8>,
    /// The public key, encoded.
    pub public_key: Vec<u8>,
    /// The signature counter last seen.
    pub sign_count: i64,
    /// Flags (user verified, backup, attachment), encoded.
    pub flags: Vec<u8>,
    /// Transports, encoded.
    pub transports: i64,
    /// The name the person gave it.
    pub name: String,
    /// Registered.
    pub created_at: Ts,
    /// Last login with it.
    pub last_used_at: Option<Ts>,
}

/// A passkey to store.
pub struct NewPasskey<'a> {
    pub id: Uuid,
    /// Whose it is.
    pub person: Uuid,
    /// Credential id.
    pub credential_id: &'a [u8],
    /// User handle.
    pub user_handle: &'a [u8],
    /// Public key, encoded.
    pub public_key: &'a [u8],
    /// Counter.
    pub sign_count: i64,
    /// Flags, encoded.
    pub flags: &'a [u8],
    /// Transports, encoded.
    pub transports: i64,
    pub name: &'a str,
    pub now: Ts,
}

const COLUMNS: &str = "id, person_id, credential_id, user_handle, public_key, sign_count, flags, transports, name, created_at, last_used_at";

/// Stores a passkey; false if its credential id is already registered (to anyone).
pub async fn insert(tx: &mut Tx, p: &NewPasskey<'_>) -> Result<bool, StorageError> {
    const SQL: &str = "INSERT INTO passkeys (id, person_id, credential_id, user_handle, public_key, sign_count, flags, transports, name, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                       ON CONFLICT (credential_id) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(SQL)
        .bind(p.id).bind(p.person).bind(p.credential_id).bind(p.user_handle).bind(p.public_key)
        .bind(p.sign_count).bind(p.flags).bind(p.transports).bind(p.name).bind(p.now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A person's passkeys, oldest first.
pub async fn list_for_person<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
) -> Result<Vec<PasskeyRow>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM passkeys WHERE person_id = $1 ORDER BY created_at, id LIMIT 100"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).fetch_all(c).await)?,
    )
}

/// Whether a person has at least one passkey.
pub async fn exists_for_person<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
) -> Result<bool, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM passkeys WHERE person_id = $1";
    let (n,): (i64,) =
        on_src!(src.into(), c => sqlx::query_as(SQL).bind(person).fetch_one(c).await)?;
    Ok(n > 0)
}

/// One passkey by id.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<PasskeyRow, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE id = $1");
    on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The passkey with a credential id, if registered.
pub async fn by_credential_id<'a>(
    src: impl Into<Src<'a>>,
    credential_id: &[u8],
) -> Result<Option<PasskeyRow>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(credential_id).fetch_optional(c).await)?,
    )
}

/// Records a login: the new counter and flags. Only moves from the counter that was read
/// (`seen`), so that two logins racing with the same counter cannot both pass.
pub async fn record_use(
    tx: &mut Tx,
    id: Uuid,
    seen: i64,
    sign_count: i64,
    flags: &[u8],
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE passkeys SET sign_count = $3, flags = $4, last_used_at = $5
                       WHERE id = $1 AND sign_count = $2";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(seen).bind(sign_count).bind(flags).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Removes a passkey; false if it was already gone.
pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<bool, StorageError> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM passkeys WHERE id = $1").bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A ceremony to keep until the browser answers.
pub struct NewCeremony<'a> {
    /// The challenge (its key).
    pub challenge: &'a [u8],
    /// See [`kind`].
    pub kind: &'a str,
    /// The person, when known.
    pub person: Option<Uuid>,
    /// The session that started it, when it must finish in the same one.
    pub session_hash: Option<&'a [u8]>,
    /// The name for a passkey being registered.
    pub name: Option<&'a str>,
    /// The library's state.
    pub state: &'a [u8],
    pub now: Ts,
    /// Refused after.
    pub expires_at: Ts,
}

/// A ceremony taken back.
#[derive(Debug, Clone, FromRow)]
pub struct CeremonyRow {
    /// See [`kind`].
    pub kind: String,
    /// The person, when known.
    pub person_id: Option<Uuid>,
    /// The session that started it.
    pub session_hash: Option<Vec<u8>>,
    /// The passkey's name (registration).
    pub name: Option<String>,
    /// The library's state.
    pub state: Vec<u8>,
    /// Refused after.
    pub expires_at: Ts,
}

/// Stores a ceremony, and drops the expired ones (nobody can finish them any more).
pub async fn insert_ceremony(tx: &mut Tx, c: &NewCeremony<'_>) -> Result<(), StorageError> {
    on_tx!(tx, x => sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at < $1")
        .bind(c.now).execute(x).await.map(|r| r.rows_affected()))?;
    const SQL: &str = "INSERT INTO passkey_ceremonies (challenge, kind, person_id, session_hash, name, state, created_at, expires_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, x => sqlx::query(SQL)
        .bind(c.challenge).bind(c.kind).bind(c.person).bind(c.session_hash).bind(c.name)
        .bind(c.state).bind(c.now).bind(c.expires_at)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes a ceremony by its challenge: the row is deleted as it is read, so a second
/// answer to the same challenge finds nothing. The caller checks its kind and owner.
pub async fn take_ceremony(
    tx: &mut Tx,
    challenge: &[u8],
) -> Result<Option<CeremonyRow>, StorageError> {
    const SQL: &str = "DELETE FROM passkey_ceremonies WHERE challenge = $1
                       RETURNING kind, person_id, session_hash, name, state, expires_at";
    Ok(on_tx!(tx, c => sqlx::query_as(SQL).bind(challenge).fetch_optional(c).await)?)
}
