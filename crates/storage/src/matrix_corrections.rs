//! Organisations' corrections of library matrices, kept for ever: the latest for a row is
//! in force, the earlier ones are its history.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A correction of one row.
#[derive(Debug, Clone, FromRow)]
pub struct CorrectionRow {
    pub id: Uuid,
    /// The organisation it holds for (and those below it without their own).
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    pub row_id: String,
    /// JSON object, column → mark.
    pub cells: String,
    /// Why.
    pub reason: String,
    pub made_by: Uuid,
    /// Their name.
    pub made_by_name: String,
    pub made_at: Ts,
}

/// A new correction.
pub struct NewCorrection<'a> {
    pub organisation: Uuid,
    pub library: &'a str,
    pub matrix: &'a str,
    pub row: &'a str,
    /// JSON object, column → mark.
    pub cells: &'a str,
    pub reason: &'a str,
    pub by: Uuid,
    pub now: Ts,
}

/// Records a correction.
pub async fn insert(tx: &mut Tx, c: &NewCorrection<'_>) -> Result<Uuid, StorageError> {
    const SQL: &str = "INSERT INTO matrix_corrections (id, organisation_id, library_id, matrix_id,
        row_id, cells, reason, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let id = Uuid::now_v7();
    on_tx!(tx, x => sqlx::query(SQL).bind(id).bind(c.organisation).bind(c.library).bind(c.matrix)
        .bind(c.row).bind(c.cells).bind(c.reason).bind(c.by).bind(c.now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// Every correction of a matrix made by any of `organisations` (an organisation and its
/// ancestors), optionally of one row, oldest first; the caller picks the nearest and
/// latest.
pub async fn among<'a>(
    src: impl Into<Src<'a>>,
    organisations: &[Uuid],
    library: &str,
    matrix: &str,
    row: Option<&str>,
) -> Result<Vec<CorrectionRow>, StorageError> {
    if organisations.is_empty() {
        return Ok(vec![]);
    }
    let first = if row.is_some() { 4 } else { 3 };
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + first))
        .collect();
    let sql = format!(
        "SELECT m.id, m.organisation_id, o.name AS organisation_name, m.row_id, m.cells,
                m.reason, m.made_by, p.name AS made_by_name, m.made_at
         FROM matrix_corrections m
         JOIN organisations o ON o.id = m.organisation_id
         JOIN persons p ON p.id = m.made_by
         WHERE m.library_id = $1 AND m.matrix_id = $2 {} AND m.organisation_id IN ({})
         ORDER BY m.made_at, m.id",
        if row.is_some() {
            "AND m.row_id = $3"
        } else {
            ""
        },
        list.join(", ")
    );
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, CorrectionRow>(AssertSqlSafe(sql)).bind(library).bind(matrix);
        if let Some(r) = row { q = q.bind(r); }
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?)
}
