//! Persons and their accounts: credentials, lockout counters, second factor.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::{Page, PageRequest, capped_count, like_pattern, org_condition};
use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A person as shown to others (no credentials).
#[derive(Debug, Clone, FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    /// Organisation the person belongs to.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Name (氏名).
    pub name: String,
    /// Login e-mail.
    pub email: String,
    /// `ja` or `en`.
    pub locale: String,
    /// Whether the account may log in.
    pub active: bool,
    /// Whether the next login must change the password.
    pub must_change_password: bool,
    /// Whether a second factor is enrolled.
    pub totp_enrolled: bool,
    /// Locked until, after repeated failures.
    pub locked_until: Option<Ts>,
    pub created_at: Ts,
}

const COLUMNS: &str = "p.id, p.organisation_id, o.name AS organisation_name, p.name, p.email, p.locale, p.active,
     p.must_change_password, (p.totp_secret IS NOT NULL) AS totp_enrolled, p.locked_until, p.created_at";

/// What login needs to know about an account.
#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// Whether the account may log in.
    pub active: bool,
    /// Locked until.
    pub locked_until: Option<Ts>,
    /// Base32 TOTP secret, if enrolled.
    pub totp_secret: Option<String>,
    /// Last accepted TOTP time step (replay guard).
    pub totp_last_step: Option<i64>,
    /// Whether the password must be changed now.
    pub must_change_password: bool,
    /// `ja` or `en`.
    pub locale: String,
}

/// A new account.
pub struct NewPerson<'a> {
    pub id: Uuid,
    /// Organisation.
    pub organisation: Uuid,
    pub name: &'a str,
    /// E-mail (lower-case).
    pub email: &'a str,
    /// argon2id hash.
    pub password_hash: &'a str,
    /// Whether the first login must change the password.
    pub must_change_password: bool,
    pub now: Ts,
}

/// Inserts a person; a taken e-mail address is a conflict on `email`.
pub async fn insert(tx: &mut Tx, p: &NewPerson<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO persons (id, organisation_id, name, email, password_hash, must_change_password,
                         locale, active, failed_logins, created_at, updated_at)
                       VALUES ($1, $2, $3, $4, $5, $6, 'ja', TRUE, 0, $7, $7)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(p.id).bind(p.organisation).bind(p.name).bind(p.email).bind(p.password_hash)
        .bind(p.must_change_password).bind(p.now)
        .execute(c).await.map(|r| r.rows_affected()))
    .map_err(StorageError::unique("email"))?;
    Ok(())
}

/// Reads one person.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<PersonRow, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM persons p JOIN organisations o ON o.id = p.organisation_id WHERE p.id = $1"
    );
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The person a case's field names: by id, or by login e-mail whatever its case.
pub async fn named(tx: &mut Tx, text: &str) -> Result<Option<PersonRow>, StorageError> {
    let text = text.trim();
    let by_id = text.parse::<Uuid>().ok();
    let sql = format!(
        "SELECT {COLUMNS} FROM persons p JOIN organisations o ON o.id = p.organisation_id
          WHERE p.id = $1 OR p.email = $2"
    );
    Ok(on_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(by_id).bind(text.to_lowercase()).fetch_optional(c).await)?)
}

/// The id of the person a case's field names, by id or by login e-mail whatever its case
/// (read wherever the case is: outside a transaction too).
pub async fn id_named<'a>(
    src: impl Into<Src<'a>>,
    text: &str,
) -> Result<Option<Uuid>, StorageError> {
    let text = text.trim();
    let by_id = text.parse::<Uuid>().ok();
    const SQL: &str = "SELECT id FROM persons WHERE id = $1 OR email = $2";
    let row: Option<(Uuid,)> = on_src!(src.into(), c => sqlx::query_as(SQL)
        .bind(by_id).bind(text.to_lowercase()).fetch_optional(c).await)?;
    Ok(row.map(|(id,)| id))
}

/// Which of `emails` (lower-case) already belong to someone.
pub async fn taken_emails(tx: &mut Tx, emails: &[String]) -> Result<Vec<String>, StorageError> {
    let mut taken = Vec::new();
    // A few hundred placeholders a statement stays far below either database's limit.
    for chunk in emails.chunks(500) {
        let sql = format!(
            "SELECT email FROM persons WHERE email IN ({})",
            crate::scope::placeholders(1, chunk.len())
        );
        let found: Vec<String> = on_tx!(tx, c => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql.as_str()));
            for e in chunk {
                q = q.bind(e);
            }
            q.fetch_all(c).await
        })?;
        taken.extend(found);
    }
    Ok(taken)
}

/// Looks up an account by e-mail for login.
pub async fn credentials_by_email<'a>(
    src: impl Into<Src<'a>>,
    email: &str,
) -> Result<Option<Credentials>, StorageError> {
    const SQL: &str = "SELECT id, organisation_id, password_hash, active, locked_until, totp_secret, totp_last_step,
                         must_change_password, locale
                       FROM persons WHERE email = $1";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(email).fetch_optional(c).await)?)
}

/// Looks up an account by id (for password change and second-factor checks).
pub async fn credentials<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
) -> Result<Credentials, StorageError> {
    const SQL: &str = "SELECT id, organisation_id, password_hash, active, locked_until, totp_secret, totp_last_step,
                         must_change_password, locale
                       FROM persons WHERE id = $1";
    on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// Filters for the person list.
#[derive(Debug, Default, Clone)]
pub struct PersonFilter {
    /// Only members of exactly this organisation.
    pub organisation: Option<Uuid>,
    /// Name or e-mail contains.
    pub q: Option<String>,
}

/// Lists persons whose organisation is within `scope`, by name.
pub async fn list(
    db: &crate::Db,
    scope: &Scope,
    filter: &PersonFilter,
    page: PageRequest,
) -> Result<Page<PersonRow>, StorageError> {
    let cond = org_condition("p.organisation_id", scope, 1);
    let mut n = cond.ids.len();
    let mut wheres = vec![cond.sql];
    if filter.organisation.is_some() {
        n += 1;
        wheres.push(format!("p.organisation_id = ${n}"));
    }
    let pattern = filter.q.as_deref().map(like_pattern);
    if pattern.is_some() {
        n += 1;
        wheres.push(format!(
            "(lower(p.name) LIKE ${n} ESCAPE '\\' OR p.email LIKE ${n} ESCAPE '\\')"
        ));
    }
    let where_sql = wheres.join(" AND ");
    let list_sql = format!(
        "SELECT {COLUMNS} FROM persons p JOIN organisations o ON o.id = p.organisation_id
         WHERE {where_sql} ORDER BY p.name, p.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let count_sql = capped_count(&format!("persons p WHERE {where_sql}"));
    let (items, total) = crate::on_db!(db, pool => {
        let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(list_sql));
        let mut cq = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql));
        for id in &cond.ids {
            q = q.bind(*id);
            cq = cq.bind(*id);
        }
        if let Some(org) = filter.organisation {
            q = q.bind(org);
            cq = cq.bind(org);
        }
        if let Some(p) = &pattern {
            q = q.bind(p.clone());
            cq = cq.bind(p.clone());
        }
        let items = q.bind(page.limit).bind(page.offset).fetch_all(pool).await?;
        let (total,) = cq.fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Page::counted(items, total))
}

/// Changes name, organisation, language and whether the account is active.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    organisation: Uuid,
    active: bool,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE persons SET name = $2, organisation_id = $3, active = $4, updated_at = $5 WHERE id = $1";
    let done = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(name).bind(organisation).bind(active).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        Err(StorageError::NotFound)
    } else {
        Ok(())
    }
}

/// Sets the reading language.
pub async fn set_locale(tx: &mut Tx, id: Uuid, locale: &str, now: Ts) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE persons SET locale = $2, updated_at = $3 WHERE id = $1")
        .bind(id).bind(locale).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets how the person reads dates (`seireki` or `wareki`).
pub async fn set_date_style(
    tx: &mut Tx,
    id: Uuid,
    style: &str,
    now: Ts,
) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE persons SET date_style = $2, updated_at = $3 WHERE id = $1")
        .bind(id).bind(style).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Counts one more failed login; once `threshold` is reached, locks the account until
/// `lock_until` and starts counting again. Returns whether this failure locked it.
pub async fn record_failed_login(
    tx: &mut Tx,
    id: Uuid,
    threshold: i64,
    lock_until: Ts,
) -> Result<bool, StorageError> {
    let (failures,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE persons SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
        .bind(id).fetch_one(c).await)?;
    if failures < threshold {
        return Ok(false);
    }
    on_tx!(tx, c => sqlx::query("UPDATE persons SET failed_logins = 0, locked_until = $2 WHERE id = $1")
        .bind(id).bind(lock_until).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Clears the failure counter and any lock after a successful login.
pub async fn record_successful_login(tx: &mut Tx, id: Uuid) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE persons SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Replaces the password hash, and sets whether it must be changed at next login.
pub async fn set_password(
    tx: &mut Tx,
    id: Uuid,
    hash: &str,
    must_change: bool,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str =
        "UPDATE persons SET password_hash = $2, must_change_password = $3, failed_logins = 0,
                         locked_until = NULL, updated_at = $4 WHERE id = $1";
    let done = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(hash).bind(must_change).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        Err(StorageError::NotFound)
    } else {
        Ok(())
    }
}

/// Enrols (or, with `None`, removes) the second factor.
pub async fn set_totp(
    tx: &mut Tx,
    id: Uuid,
    secret: Option<&str>,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str =
        "UPDATE persons SET totp_secret = $2, totp_last_step = NULL, updated_at = $3 WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(secret).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Remembers the time step of an accepted code, refusing one not newer than the last
/// (a code may be used once). Returns false if the step was already used.
pub async fn accept_totp_step(tx: &mut Tx, id: Uuid, step: i64) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE persons SET totp_last_step = $2
                       WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";
    let done = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(step).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
