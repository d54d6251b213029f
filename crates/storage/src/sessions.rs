//! Server-side sessions. The cookie holds a random token; the table holds only its
//! SHA-256, so a copy of the database cannot be used to log in.

use sqlx::{AssertSqlSafe, FromRow};
use std::sync::LazyLock;

use uuid::Uuid;

use mamori_domain::policy::Grant;

use crate::types::{Day, Ts};
use crate::{Db, StorageError, Tx, on_db, on_tx};

/// How far a session has come through login.
pub mod stage {
    /// Logged in.
    pub const FULL: &str = "full";
    /// Password accepted; waiting for the second-factor code.
    pub const TOTP: &str = "totp";
    /// Must enrol a second factor before anything else (the organisation requires one).
    pub const TOTP_SETUP: &str = "totp_setup";
    /// Must change the password before anything else.
    pub const PASSWORD_CHANGE: &str = "password_change";
}

/// A session with the person behind it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// SHA-256 of the cookie token.
    pub id_hash: Vec<u8>,
    /// The person.
    pub person_id: Uuid,
    /// See [`stage`].
    pub stage: String,
    /// The token every form must echo.
    pub csrf_token: String,
    /// A second-factor secret being enrolled, not yet confirmed.
    pub totp_pending: Option<String>,
    /// Last request seen.
    pub last_seen_at: Ts,
    /// Ends at the latest.
    pub expires_at: Ts,
    /// Person's name.
    pub person_name: String,
    /// Person's e-mail.
    pub email: String,
    /// Person's organisation.
    pub organisation_id: Uuid,
    /// `ja` or `en`.
    pub locale: String,
    /// How the person reads dates: `seireki` or `wareki`.
    pub date_style: String,
    /// Whether the account is still active.
    pub active: bool,
    /// Whether the session was started by a directory sign-in (OpenID Connect).
    pub via_directory: bool,
}

/// A new session.
pub struct NewSession<'a> {
    /// SHA-256 of the token.
    pub id_hash: &'a [u8],
    /// The person.
    pub person: Uuid,
    /// Stage.
    pub stage: &'a str,
    /// Form token.
    pub csrf_token: &'a str,
    pub now: Ts,
    /// Absolute end.
    pub expires_at: Ts,
    /// Client address.
    pub ip: Option<&'a str>,
    /// Browser, truncated.
    pub user_agent: Option<&'a str>,
    /// Started by a directory sign-in.
    pub via_directory: bool,
}

/// Stores a new session.
pub async fn insert(tx: &mut Tx, s: &NewSession<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO sessions (id_hash, person_id, stage, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, via_directory)
                       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(s.id_hash).bind(s.person).bind(s.stage).bind(s.csrf_token).bind(s.now).bind(s.expires_at)
        .bind(s.ip).bind(s.user_agent).bind(s.via_directory)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(FromRow)]
struct SessionGrantRow {
    #[sqlx(flatten)]
    session: SessionRow,
    grant_role: Option<String>,
    grant_organisation: Option<Uuid>,
}

/// Finds a session by the hash of its token, with the roles its person holds on `today`
/// (directly or through a post held that day). One query: it runs on every request.
pub async fn lookup(
    db: &Db,
    id_hash: &[u8],
    today: Day,
) -> Result<Option<(SessionRow, Vec<Grant>)>, StorageError> {
    // Built once: it runs on every request.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        crate::designations::with_grants_sql(
            "s.id_hash, s.person_id, s.stage, s.csrf_token, s.totp_pending, s.last_seen_at,
             s.expires_at, p.name AS person_name, p.email, p.organisation_id, p.locale, p.date_style,
             p.active, s.via_directory",
            "sessions s JOIN persons p ON p.id = s.person_id",
            "s.person_id",
            "s.id_hash = $1",
        )
    });
    let rows: Vec<SessionGrantRow> = on_db!(db, c => sqlx::query_as(AssertSqlSafe(SQL.as_str())).bind(id_hash).bind(today).fetch_all(c).await)?;
    let grants =
        crate::designations::grants_of(rows.iter().map(|r| (&r.grant_role, &r.grant_organisation)));
    let Some(first) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some((first.session, grants)))
}

/// Records activity (done at most once a minute per session, to keep reads read-only).
pub async fn touch(tx: &mut Tx, id_hash: &[u8], now: Ts) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Moves a session to another stage.
pub async fn set_stage(tx: &mut Tx, id_hash: &[u8], stage: &str) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET stage = $2 WHERE id_hash = $1")
        .bind(id_hash).bind(stage).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Gives a session a new token (and form token) as it moves to `stage`: the old token
/// stops working at once, so a token seen before a login step completed (on a shared
/// machine, in a log, planted by an attacker) never carries the privileges gained after.
pub async fn rotate(
    tx: &mut Tx,
    old_hash: &[u8],
    new_hash: &[u8],
    stage: &str,
    csrf_token: &str,
) -> Result<bool, StorageError> {
    const SQL: &str =
        "UPDATE sessions SET id_hash = $2, stage = $3, csrf_token = $4 WHERE id_hash = $1";
    let done = on_tx!(tx, c => sqlx::query(SQL)
        .bind(old_hash).bind(new_hash).bind(stage).bind(csrf_token)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Keeps a second-factor secret while the person confirms it.
pub async fn set_totp_pending(
    tx: &mut Tx,
    id_hash: &[u8],
    secret: Option<&str>,
) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET totp_pending = $2 WHERE id_hash = $1")
        .bind(id_hash).bind(secret).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends one session.
pub async fn delete(tx: &mut Tx, id_hash: &[u8]) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session of a person except `keep` (the one making the change).
pub async fn delete_for_person(
    tx: &mut Tx,
    person: Uuid,
    keep: Option<&[u8]>,
) -> Result<u64, StorageError> {
    let keep = keep.unwrap_or(&[]);
    let done = on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND id_hash <> $2")
        .bind(person).bind(keep).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// Removes sessions past their end or idle for too long.
pub async fn delete_expired(tx: &mut Tx, now: Ts, idle_since: Ts) -> Result<u64, StorageError> {
    let done = on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
        .bind(now).bind(idle_since).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
