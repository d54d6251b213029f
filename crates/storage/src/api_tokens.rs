//! Personal API tokens. The table holds the SHA-256 of each token and its public prefix,
//! never the token itself, so that a copy of the database cannot be used to call the API.

use sqlx::{AssertSqlSafe, FromRow};
use std::sync::LazyLock;

use uuid::Uuid;

use mamori_domain::policy::Grant;

use crate::types::{Day, Ts};
use crate::{Db, Src, StorageError, Tx, on_db, on_src, on_tx};

/// What a token lets a program do.
pub mod scope {
    /// `GET` (and `HEAD`) requests only.
    pub const READ: &str = "read";
    /// Every method.
    pub const WRITE: &str = "write";
}

/// A token as people see it in lists: everything but its hash.
#[derive(Debug, Clone, FromRow)]
pub struct ApiTokenRow {
    pub id: Uuid,
    /// The person the token acts as.
    pub person_id: Uuid,
    /// Name the person gave it (what the script is for).
    pub name: String,
    /// The public start of the token (`mamori_` and 12 hex characters).
    pub prefix: String,
    /// See [`scope`].
    pub scope: String,
    pub created_at: Ts,
    /// Refused from this moment on.
    pub expires_at: Ts,
    /// Last request made with it.
    pub last_used_at: Option<Ts>,
    /// Revoked, if it was.
    pub revoked_at: Option<Ts>,
}

/// A new token.
pub struct NewApiToken<'a> {
    pub id: Uuid,
    /// The person.
    pub person: Uuid,
    pub name: &'a str,
    /// Public prefix.
    pub prefix: &'a str,
    /// SHA-256 of the whole token.
    pub secret_hash: &'a [u8],
    /// See [`scope`].
    pub scope: &'a str,
    pub now: Ts,
    /// End.
    pub expires_at: Ts,
}

/// Stores a new token.
pub async fn insert(tx: &mut Tx, t: &NewApiToken<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO api_tokens (id, person_id, name, prefix, secret_hash, scope, created_at, expires_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(t.id).bind(t.person).bind(t.name).bind(t.prefix).bind(t.secret_hash).bind(t.scope)
        .bind(t.now).bind(t.expires_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One token.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<ApiTokenRow, StorageError> {
    const SQL: &str = "SELECT id, person_id, name, prefix, scope, created_at, expires_at, last_used_at, revoked_at
                       FROM api_tokens WHERE id = $1";
    on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// A person's tokens, newest first (revoked and expired ones too: they are the record).
pub async fn list_for_person(db: &Db, person: Uuid) -> Result<Vec<ApiTokenRow>, StorageError> {
    const SQL: &str = "SELECT id, person_id, name, prefix, scope, created_at, expires_at, last_used_at, revoked_at
                       FROM api_tokens WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500";
    Ok(on_db!(db, c => sqlx::query_as(SQL).bind(person).fetch_all(c).await)?)
}

/// Revokes a token not yet revoked; false if it already was.
pub async fn revoke(tx: &mut Tx, id: Uuid, by: Uuid, now: Ts) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE api_tokens SET revoked_at = $3, revoked_by = $2
                       WHERE id = $1 AND revoked_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(by).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records a use.
pub async fn touch(tx: &mut Tx, id: Uuid, now: Ts) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A presented token's row with what deciding on the request needs.
#[derive(Debug, Clone, FromRow)]
pub struct TokenAuthRow {
    /// Token id.
    pub id: Uuid,
    /// SHA-256 of the token, to compare with the presented one's.
    pub secret_hash: Vec<u8>,
    /// See [`scope`].
    pub scope: String,
    /// End.
    pub expires_at: Ts,
    /// Revoked, if it was.
    pub revoked_at: Option<Ts>,
    /// The person.
    pub person_id: Uuid,
    /// Person's name.
    pub person_name: String,
    /// Person's e-mail.
    pub email: String,
    /// Person's organisation.
    pub organisation_id: Uuid,
    /// `ja` or `en`.
    pub locale: String,
    /// Whether the account may still log in.
    pub active: bool,
    /// Whether the person must change their password before anything else.
    pub must_change_password: bool,
}

#[derive(FromRow)]
struct TokenGrantRow {
    #[sqlx(flatten)]
    token: TokenAuthRow,
    grant_role: Option<String>,
    grant_organisation: Option<Uuid>,
}

/// Finds a token by its public prefix, with the roles its person holds on `today`
/// (directly or through a post held that day): the same three branches as a session's
/// lookup, so that a token is given exactly what its person's session would be.
pub async fn lookup(
    db: &Db,
    prefix: &str,
    today: Day,
) -> Result<Option<(TokenAuthRow, Vec<Grant>)>, StorageError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        crate::designations::with_grants_sql(
            "t.id, t.secret_hash, t.scope, t.expires_at, t.revoked_at, t.person_id,
             p.name AS person_name, p.email, p.organisation_id, p.locale, p.active,
             p.must_change_password",
            "api_tokens t JOIN persons p ON p.id = t.person_id",
            "t.person_id",
            "t.prefix = $1",
        )
    });
    let rows: Vec<TokenGrantRow> = on_db!(db, c => sqlx::query_as(AssertSqlSafe(SQL.as_str())).bind(prefix).bind(today).fetch_all(c).await)?;
    let grants =
        crate::designations::grants_of(rows.iter().map(|r| (&r.grant_role, &r.grant_organisation)));
    let Some(first) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some((first.token, grants)))
}
