//! Roles held for one register row (情報システム管理者 of one system): who holds which role
//! of the row's register, from when, until when. Apart from designations, so that such a
//! role gives nothing in the organisation at large; rows are ended, never deleted, while
//! their register row lives.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::{Day, Ts};
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A role held for a row, with the names a reader needs.
#[derive(Debug, Clone, FromRow)]
pub struct RowDesignationRow {
    pub id: Uuid,
    /// The register row.
    pub row_id: Uuid,
    /// A role of the row's register.
    pub role: String,
    /// The organisation keeping the row.
    pub organisation_id: Uuid,
    /// Who holds it.
    pub person_id: Uuid,
    /// Their name.
    pub person_name: String,
    pub starts_on: Day,
    /// Its last day, if it has one.
    pub ends_on: Option<Day>,
    /// Who designated, by name.
    pub designated_by_name: String,
    pub designated_at: Ts,
    /// When it was ended early, if it was.
    pub ended_at: Option<Ts>,
}

/// A new role held for a row.
pub struct NewRowDesignation<'a> {
    pub id: Uuid,
    pub row: Uuid,
    pub role: &'a str,
    /// The organisation keeping the row.
    pub organisation: Uuid,
    pub person: Uuid,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
    pub by: Uuid,
    pub now: Ts,
}

/// The SQL condition that row designation `r` is in force on the day bound as `$day`.
pub fn in_force_sql(r: &str, day: usize) -> String {
    format!(
        "{r}.starts_on <= ${day} AND ({r}.ends_on IS NULL OR {r}.ends_on >= ${day}) AND {r}.ended_at IS NULL"
    )
}

/// Records a role held for a row.
pub async fn insert(tx: &mut Tx, d: &NewRowDesignation<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO row_designations (id, row_id, role, organisation_id, person_id,
                        starts_on, ends_on, designated_by, designated_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, c => sqlx::query(SQL).bind(d.id).bind(d.row).bind(d.role).bind(d.organisation)
        .bind(d.person).bind(d.starts_on).bind(d.ends_on).bind(d.by).bind(d.now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every role held for a row, ended ones too, newest first.
pub async fn for_row<'a>(
    src: impl Into<Src<'a>>,
    row: Uuid,
) -> Result<Vec<RowDesignationRow>, StorageError> {
    const SQL: &str = "SELECT r.id, r.row_id, r.role, r.organisation_id, r.person_id,
            p.name AS person_name, r.starts_on, r.ends_on, b.name AS designated_by_name,
            r.designated_at, r.ended_at
          FROM row_designations r JOIN persons p ON p.id = r.person_id
          JOIN persons b ON b.id = r.designated_by
         WHERE r.row_id = $1 ORDER BY r.designated_at DESC, r.id";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(row).fetch_all(c).await)?)
}

/// Who holds which role for a row on a day: (role, person).
pub async fn holders<'a>(
    src: impl Into<Src<'a>>,
    row: Uuid,
    day: Day,
) -> Result<Vec<(String, Uuid)>, StorageError> {
    let sql = format!(
        "SELECT r.role, r.person_id FROM row_designations r WHERE r.row_id = $1 AND {}",
        in_force_sql("r", 2)
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(row).bind(day).fetch_all(c).await)?,
    )
}

/// Ends a role held for a row at once; false when it was not held (or already ended).
pub async fn end(
    tx: &mut Tx,
    row: Uuid,
    id: Uuid,
    by: Uuid,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE row_designations SET ended_by = $3, ended_at = $4
                        WHERE id = $1 AND row_id = $2 AND ended_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(row).bind(by).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The holders of `role` for each row of a register on a day, the longest-held first:
/// (row, person).
pub async fn holders_of_rows<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    role: &str,
    day: Day,
) -> Result<Vec<(Uuid, Uuid)>, StorageError> {
    let sql = format!(
        "SELECT r.row_id, r.person_id FROM row_designations r
           JOIN register_rows w ON w.id = r.row_id
          WHERE w.library_id = $1 AND w.register_id = $2 AND r.role = $3 AND {}
          ORDER BY r.starts_on, r.designated_at, r.id",
        in_force_sql("r", 4)
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(library).bind(register).bind(role).bind(day).fetch_all(c).await)?,
    )
}
