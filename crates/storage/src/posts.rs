//! Posts (役職) and who holds them when.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::org_condition;
use crate::types::{Day, Ts};
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A post as stored.
#[derive(Debug, Clone, FromRow)]
pub struct PostRow {
    pub id: Uuid,
    /// Organisation the post belongs to.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Name (e.g. 情報保証責任者).
    pub name: String,
    pub created_at: Ts,
}

const COLUMNS: &str = "s.id, s.organisation_id, o.name AS organisation_name, s.name, s.created_at";

/// The post of `organisation` named `name`, as a case's field names it.
pub async fn named(
    tx: &mut Tx,
    organisation: Uuid,
    name: &str,
) -> Result<Option<Uuid>, StorageError> {
    const SQL: &str = "SELECT id FROM posts WHERE organisation_id = $1 AND name = $2";
    Ok(
        on_tx!(tx, c => sqlx::query_scalar(SQL).bind(organisation).bind(name.trim()).fetch_optional(c).await)?,
    )
}

/// Creates a post; a name already used in the organisation is a conflict on `name`.
pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    organisation: Uuid,
    name: &str,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str =
        "INSERT INTO posts (id, organisation_id, name, created_at) VALUES ($1, $2, $3, $4)";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(organisation).bind(name).bind(now).execute(c).await.map(|r| r.rows_affected()))
        .map_err(StorageError::unique("name"))?;
    Ok(())
}

/// Reads one post.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<PostRow, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM posts s JOIN organisations o ON o.id = s.organisation_id WHERE s.id = $1"
    );
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// Renames a post.
pub async fn rename(tx: &mut Tx, id: Uuid, name: &str) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("UPDATE posts SET name = $2 WHERE id = $1").bind(id).bind(name).execute(c).await.map(|r| r.rows_affected()))
        .map_err(StorageError::unique("name"))?;
    Ok(())
}

/// Posts within `scope`, optionally of one organisation, by organisation and name.
pub async fn list(
    db: &crate::Db,
    scope: &Scope,
    organisation: Option<Uuid>,
) -> Result<Vec<PostRow>, StorageError> {
    let cond = org_condition("s.organisation_id", scope, 1);
    let org_sql = if organisation.is_some() {
        format!(" AND s.organisation_id = ${}", cond.ids.len() + 1)
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM posts s JOIN organisations o ON o.id = s.organisation_id
         WHERE {}{org_sql} ORDER BY o.name, s.name LIMIT 500",
        cond.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, PostRow>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        if let Some(org) = organisation {
            q = q.bind(org);
        }
        q.fetch_all(p).await
    })?)
}

/// Someone holding a post for a period.
#[derive(Debug, Clone, FromRow)]
pub struct HolderRow {
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// The person's name.
    pub person_name: String,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
}

/// A person taking up a post.
pub struct NewHolder {
    pub id: Uuid,
    /// The post.
    pub post: Uuid,
    /// The person.
    pub person: Uuid,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
    /// Who recorded it.
    pub by: Uuid,
    pub now: Ts,
}

/// Records that a person holds a post.
pub async fn insert_holder(tx: &mut Tx, h: &NewHolder) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO post_holders (id, post_id, person_id, starts_on, ends_on, assigned_by, assigned_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, c => sqlx::query(SQL).bind(h.id).bind(h.post).bind(h.person).bind(h.starts_on).bind(h.ends_on).bind(h.by).bind(h.now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Everyone who holds or held a post, latest first.
pub async fn holders<'a>(
    src: impl Into<Src<'a>>,
    post: Uuid,
) -> Result<Vec<HolderRow>, StorageError> {
    const SQL: &str =
        "SELECT h.id, h.post_id, h.person_id, p.name AS person_name, h.starts_on, h.ends_on
                       FROM post_holders h JOIN persons p ON p.id = h.person_id
                       WHERE h.post_id = $1 ORDER BY h.starts_on DESC, p.name";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(post).fetch_all(c).await)?)
}
