//! What happens to register rows over time: the dates they carry (reminded of before,
//! marked once passed, each claimed once whichever server ticks first), legal holds, and
//! their deletion once their retention has run out.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::registers::RowRecord;
use crate::types::{Day, Ts};
use crate::{Db, Src, StorageError, Tx, on_db, on_src, on_tx};

/// A date of a row, as its write sets it.
#[derive(Debug, Clone)]
pub struct NewRowDate<'a> {
    pub column: &'a str,
    /// `due` or `expires`.
    pub means: &'a str,
    pub on_day: Day,
    pub remind_at: Option<Ts>,
    /// The end of the day.
    pub passes_at: Ts,
}

/// Sets a row's dates after a write: a date whose day (or reminder) is unchanged keeps what
/// was already sent; a changed one starts afresh; a column emptied or settled is dropped.
pub async fn set_dates(
    tx: &mut Tx,
    row: Uuid,
    dates: &[NewRowDate<'_>],
) -> Result<(), StorageError> {
    let keep: Vec<String> = dates.iter().map(|d| d.column.to_owned()).collect();
    let existing: Vec<(String,)> = on_tx!(tx, x => sqlx::query_as("SELECT column_id FROM register_row_dates WHERE row_id = $1")
        .bind(row).fetch_all(x).await)?;
    for (column,) in existing {
        if !keep.contains(&column) {
            on_tx!(tx, x => sqlx::query("DELETE FROM register_row_dates WHERE row_id = $1 AND column_id = $2")
                .bind(row).bind(&column).execute(x).await.map(|r| r.rows_affected()))?;
        }
    }
    for d in dates {
        const SAME: &str = "SELECT 1 FROM register_row_dates WHERE row_id = $1 AND column_id = $2
            AND on_day = $3 AND means = $4 AND (remind_at = $5 OR (remind_at IS NULL AND $5 IS NULL))";
        let same: Option<(i32,)> = on_tx!(tx, x => sqlx::query_as(SAME).bind(row).bind(d.column).bind(d.on_day)
            .bind(d.means).bind(d.remind_at).fetch_optional(x).await)?;
        if same.is_some() {
            continue;
        }
        on_tx!(tx, x => sqlx::query("DELETE FROM register_row_dates WHERE row_id = $1 AND column_id = $2")
            .bind(row).bind(d.column).execute(x).await.map(|r| r.rows_affected()))?;
        const INSERT: &str = "INSERT INTO register_row_dates (row_id, column_id, means, on_day, remind_at, passes_at)
            VALUES ($1, $2, $3, $4, $5, $6)";
        on_tx!(tx, x => sqlx::query(INSERT).bind(row).bind(d.column).bind(d.means).bind(d.on_day)
            .bind(d.remind_at).bind(d.passes_at).execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// What a row date's notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateNotice {
    /// The day approaches.
    Remind,
    /// The day has passed.
    Passed,
}

impl DateNotice {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            DateNotice::Remind => ("remind_at", "reminded_at"),
            DateNotice::Passed => ("passes_at", "passed_at"),
        }
    }
}

/// A row date whose notice is due.
#[derive(Debug, Clone, FromRow)]
pub struct DueDate {
    pub row_id: Uuid,
    pub library_id: String,
    pub register_id: String,
    pub column_id: String,
    pub means: String,
    pub on_day: Day,
}

/// Row dates whose `notice` is due at `now`, on live rows, earliest first. A reminder whose
/// day has already passed, and any notice of a retired row, is settled first (its column
/// set, no notice sent).
pub async fn due(
    db: &Db,
    notice: DateNotice,
    now: Ts,
    limit: i64,
) -> Result<Vec<DueDate>, StorageError> {
    let (at, sent) = notice.columns();
    let settle = format!(
        "UPDATE register_row_dates SET {sent} = $1
          WHERE {sent} IS NULL AND {at} <= $1
            AND ({over} OR row_id IN (SELECT id FROM register_rows WHERE retired_at IS NOT NULL))",
        over = if notice == DateNotice::Remind {
            "passes_at <= $1"
        } else {
            "1 = 0"
        }
    );
    let mut tx = db.begin().await?;
    let t = &mut tx;
    on_tx!(t, x => sqlx::query(AssertSqlSafe(settle)).bind(now).execute(x).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    let sql = format!(
        "SELECT d.row_id, r.library_id, r.register_id, d.column_id, d.means, d.on_day
           FROM register_row_dates d JOIN register_rows r ON r.id = d.row_id
          WHERE d.{sent} IS NULL AND d.{at} <= $1 ORDER BY d.{at}, d.row_id LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as(AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(p).await)?,
    )
}

/// Claims a row date's notice in this transaction; false when another server sent it.
pub async fn claim(
    tx: &mut Tx,
    date: &DueDate,
    notice: DateNotice,
    now: Ts,
) -> Result<bool, StorageError> {
    let (_, sent) = notice.columns();
    let sql = format!(
        "UPDATE register_row_dates SET {sent} = $3 WHERE row_id = $1 AND column_id = $2 AND {sent} IS NULL"
    );
    let n = on_tx!(tx, x => sqlx::query(AssertSqlSafe(sql)).bind(date.row_id).bind(&date.column_id)
        .bind(now).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Places a legal hold on a row, or changes its reason; false when the row is gone.
pub async fn hold(
    tx: &mut Tx,
    row: Uuid,
    by: Uuid,
    reason: &str,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE register_rows SET held_at = COALESCE(held_at, $4), held_by = $2, hold_reason = $3 WHERE id = $1";
    let n = on_tx!(tx, x => sqlx::query(SQL).bind(row).bind(by).bind(reason).bind(now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Releases a row's legal hold; false when it had none.
pub async fn release(tx: &mut Tx, row: Uuid) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE register_rows SET held_at = NULL, held_by = NULL, hold_reason = NULL
        WHERE id = $1 AND held_at IS NOT NULL";
    let n =
        on_tx!(tx, x => sqlx::query(SQL).bind(row).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The rows of a register no hold keeps, after `after` (by id, to page through them all),
/// retired before `retired_before` when given, every one otherwise (for a retention
/// counted from a column, which only the application can read), 500 at most.
pub async fn purgeable<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    retired_before: Option<Ts>,
    after: Uuid,
) -> Result<Vec<RowRecord>, StorageError> {
    let mut sql = "SELECT r.id, r.organisation_id, o.name AS organisation_name, r.key_text, r.data,
            r.created_at, r.updated_at, r.retired_at, r.held_at, r.hold_reason
           FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
          WHERE r.library_id = $1 AND r.register_id = $2 AND r.held_at IS NULL AND r.id > $3"
        .to_owned();
    if retired_before.is_some() {
        sql.push_str(" AND r.retired_at IS NOT NULL AND r.retired_at < $4");
    }
    sql.push_str(" ORDER BY r.id LIMIT 500");
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql.clone())).bind(library).bind(register).bind(after);
        if let Some(t) = retired_before { q = q.bind(t); }
        q.fetch_all(c).await
    })?)
}

/// The latest case that wrote a row, and the person who opened it, if a case ever did.
pub async fn writing_case(tx: &mut Tx, row: Uuid) -> Result<Option<(Uuid, Uuid)>, StorageError> {
    const SQL: &str =
        "SELECT c.id, c.created_by FROM register_row_events e JOIN cases c ON c.id = e.case_id
        WHERE e.row_id = $1 ORDER BY e.seq DESC LIMIT 1";
    Ok(on_tx!(tx, x => sqlx::query_as(SQL).bind(row).fetch_optional(x).await)?)
}

/// Deletes a row with its history, its dates and its filtered values, if no hold has come
/// meanwhile; returns what was deleted — its key, its columns and each change in order — for
/// the caller to keep a digest of, not the content. Rounds of a recurring procedure opened
/// for the row keep their case and lose the link.
pub async fn purge(tx: &mut Tx, row: Uuid) -> Result<Option<Vec<String>>, StorageError> {
    const GET: &str = "SELECT key_text, data FROM register_rows WHERE id = $1 AND held_at IS NULL";
    let Some((key, data)): Option<(String, String)> =
        on_tx!(tx, x => sqlx::query_as(GET).bind(row).fetch_optional(x).await)?
    else {
        return Ok(None);
    };
    const EVENTS: &str = "SELECT change FROM register_row_events WHERE row_id = $1 ORDER BY seq";
    let changes: Vec<(String,)> =
        on_tx!(tx, x => sqlx::query_as(EVENTS).bind(row).fetch_all(x).await)?;
    let mut parts = vec![key, data];
    parts.extend(changes.into_iter().map(|(c,)| c));
    for sql in [
        "DELETE FROM register_row_dates WHERE row_id = $1",
        "UPDATE recurring_rounds SET row_id = NULL WHERE row_id = $1",
        "DELETE FROM row_designations WHERE row_id = $1",
        "DELETE FROM register_row_events WHERE row_id = $1",
        "DELETE FROM register_row_values WHERE row_id = $1",
        "DELETE FROM register_rows WHERE id = $1",
    ] {
        on_tx!(tx, x => sqlx::query(sql).bind(row).execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(Some(parts))
}
