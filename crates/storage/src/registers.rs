//! Register (台帳) rows and their history.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A register row as stored; `data` is a JSON object.
#[derive(Debug, Clone, FromRow)]
pub struct RowRecord {
    /// Id.
    pub id: Uuid,
    /// The organisation that keeps it.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Canonical key.
    pub key_text: String,
    /// Columns.
    pub data: String,
    /// Created.
    pub created_at: Ts,
    /// Last changed.
    pub updated_at: Ts,
}

const COLUMNS: &str = "r.id, r.organisation_id, o.name AS organisation_name, r.key_text, r.data, r.created_at, r.updated_at";

/// The live row with this key kept by one of `organisations` (nearest first as given).
pub async fn find<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    organisations: &[Uuid],
    key_text: &str,
) -> Result<Option<RowRecord>, StorageError> {
    if organisations.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 4))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.key_text = $3 AND r.retired_at IS NULL
           AND r.organisation_id IN ({})",
        list.join(", ")
    );
    let rows: Vec<RowRecord> = on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register).bind(key_text);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?;
    // The nearest organisation's row wins.
    Ok(organisations
        .iter()
        .find_map(|o| rows.iter().find(|r| r.organisation_id == *o).cloned()))
}

/// A change to a register row.
pub struct RowWrite<'a> {
    /// Library.
    pub library: &'a str,
    /// Register.
    pub register: &'a str,
    /// The organisation that keeps the row.
    pub organisation: Uuid,
    /// Canonical key.
    pub key_text: &'a str,
    /// The merged columns (JSON object) the row has after the change.
    pub data: &'a str,
    /// Just the columns changed (JSON object), for the history.
    pub change: &'a str,
    /// Who.
    pub actor: Uuid,
    /// The case that made the change, if one did.
    pub case: Option<Uuid>,
    /// When.
    pub now: Ts,
}

/// Creates or updates the row with this key, and records the change.
pub async fn write(tx: &mut Tx, w: &RowWrite<'_>) -> Result<Uuid, StorageError> {
    const FIND: &str = "SELECT id FROM register_rows WHERE library_id = $1 AND register_id = $2
                        AND organisation_id = $3 AND key_text = $4";
    let found: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(FIND).bind(w.library).bind(w.register)
        .bind(w.organisation).bind(w.key_text).fetch_optional(c).await)?;
    let id = match found {
        Some((id,)) => {
            const UPDATE: &str = "UPDATE register_rows SET data = $2, updated_at = $3, retired_at = NULL WHERE id = $1";
            on_tx!(tx, c => sqlx::query(UPDATE).bind(id).bind(w.data).bind(w.now).execute(c).await.map(|r| r.rows_affected()))?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            const INSERT: &str = "INSERT INTO register_rows (id, library_id, register_id, organisation_id, key_text, data, created_at, updated_at)
                                  VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
            on_tx!(tx, c => sqlx::query(INSERT).bind(id).bind(w.library).bind(w.register).bind(w.organisation)
                .bind(w.key_text).bind(w.data).bind(w.now).execute(c).await.map(|r| r.rows_affected()))?;
            id
        }
    };
    const EVENT: &str = "INSERT INTO register_row_events (row_id, seq, occurred_at, actor_id, case_id, change)
        VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM register_row_events WHERE row_id = $1), $2, $3, $4, $5)";
    on_tx!(tx, c => sqlx::query(EVENT).bind(id).bind(w.now).bind(w.actor).bind(w.case).bind(w.change)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// Live rows of a register kept by the organisations in `scope`, by key.
pub async fn list(
    db: &crate::Db,
    library: &str,
    register: &str,
    scope: &mamori_domain::policy::Scope,
) -> Result<Vec<RowRecord>, StorageError> {
    let cond = crate::scope::org_condition("r.organisation_id", scope, 3);
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.retired_at IS NULL AND {}
         ORDER BY r.key_text LIMIT 1000",
        cond.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register);
        for id in &cond.ids { q = q.bind(*id); }
        q.fetch_all(p).await
    })?)
}
