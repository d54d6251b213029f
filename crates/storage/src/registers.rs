//! Register (台帳) rows and their history.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A register row as stored; `data` is a JSON object.
#[derive(Debug, Clone, FromRow)]
pub struct RowRecord {
    pub id: Uuid,
    /// The organisation that keeps it.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Canonical key.
    pub key_text: String,
    /// Columns.
    pub data: String,
    pub created_at: Ts,
    /// Last changed.
    pub updated_at: Ts,
    /// When it was retired, if it was.
    pub retired_at: Option<Ts>,
    /// Since when a legal hold keeps it past its retention, if one does.
    pub held_at: Option<Ts>,
    /// Why it is held.
    pub hold_reason: Option<String>,
}

const COLUMNS: &str = "r.id, r.organisation_id, o.name AS organisation_name, r.key_text, r.data, r.created_at, r.updated_at, r.retired_at, r.held_at, r.hold_reason";

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

/// The live rows of a register kept by `organisations` (a list another organisation keeps
/// for a case to read), by key.
pub async fn kept_by<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    organisations: &[Uuid],
) -> Result<Vec<RowRecord>, StorageError> {
    if organisations.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.retired_at IS NULL
           AND r.organisation_id IN ({})
         ORDER BY r.key_text, o.name LIMIT 5000",
        list.join(", ")
    );
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?)
}

/// The live rows of a register in every organisation, by organisation and key.
pub async fn live<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
) -> Result<Vec<RowRecord>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.retired_at IS NULL
         ORDER BY r.organisation_id, r.key_text"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register).fetch_all(c).await)?,
    )
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
    pub actor: Uuid,
    /// The case that made the change, if one did.
    pub case: Option<Uuid>,
    /// `case`, `add`, `edit` or `import`.
    pub action: &'a str,
    /// Why, when given.
    pub comment: &'a str,
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
    append_event(
        tx, id, w.now, w.actor, w.case, w.action, w.comment, w.change,
    )
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn append_event(
    tx: &mut Tx,
    row: Uuid,
    now: Ts,
    actor: Uuid,
    case: Option<Uuid>,
    action: &str,
    comment: &str,
    change: &str,
) -> Result<(), StorageError> {
    const EVENT: &str = "INSERT INTO register_row_events (row_id, seq, occurred_at, actor_id, case_id, change, action, comment)
        VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM register_row_events WHERE row_id = $1), $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, c => sqlx::query(EVENT).bind(row).bind(now).bind(actor).bind(case).bind(change)
        .bind(action).bind(comment).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Retires a live row; false if it was already retired.
pub async fn retire(
    tx: &mut Tx,
    row: Uuid,
    actor: Uuid,
    comment: &str,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE register_rows SET retired_at = $2, updated_at = $2 WHERE id = $1 AND retired_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(row).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        append_event(tx, row, now, actor, None, "retire", comment, "{}").await?;
    }
    Ok(n == 1)
}

/// One row of a register, live or retired.
pub async fn get<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    id: Uuid,
) -> Result<RowRecord, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.id = $1 AND r.library_id = $2 AND r.register_id = $3"
    );
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).bind(library).bind(register).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// A change to a row, as its history shows it.
#[derive(Debug, Clone, FromRow)]
pub struct RowEvent {
    /// Order within the row.
    pub seq: i64,
    pub occurred_at: Ts,
    pub actor_name: Option<String>,
    /// The case that made it.
    pub case_id: Option<Uuid>,
    /// `case`, `add`, `edit`, `import` or `retire`.
    pub action: String,
    /// Why.
    pub comment: String,
    /// The columns changed (JSON object).
    pub change: String,
}

/// A row's history, oldest first.
pub async fn events<'a>(src: impl Into<Src<'a>>, row: Uuid) -> Result<Vec<RowEvent>, StorageError> {
    const SQL: &str = "SELECT e.seq, e.occurred_at, p.name AS actor_name, e.case_id, e.action, e.comment, e.change
        FROM register_row_events e LEFT JOIN persons p ON p.id = e.actor_id WHERE e.row_id = $1 ORDER BY e.seq";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(row).fetch_all(c).await)?)
}

/// Rows of a register kept by the organisations in `scope`, by key: the live ones, or
/// the retired ones.
pub async fn list(
    db: &crate::Db,
    library: &str,
    register: &str,
    scope: &mamori_domain::policy::Scope,
    retired: bool,
) -> Result<Vec<RowRecord>, StorageError> {
    let cond = crate::scope::org_condition("r.organisation_id", scope, 3);
    let state = if retired {
        "r.retired_at IS NOT NULL"
    } else {
        "r.retired_at IS NULL"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND {state} AND {}
         ORDER BY r.key_text, o.name LIMIT 5000",
        cond.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register);
        for id in &cond.ids { q = q.bind(*id); }
        q.fetch_all(p).await
    })?)
}
