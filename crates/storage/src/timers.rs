//! Reminders and deadlines of cases, fired by whichever server ticks first.

use sqlx::FromRow;
use uuid::Uuid;

use crate::types::Ts;
use crate::{Db, StorageError, Tx, on_db, on_tx};

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// Reminds those the case waits on that the deadline approaches.
    Remind,
    /// The deadline itself: the case is overdue.
    Due,
}

impl TimerKind {
    fn as_str(self) -> &'static str {
        match self {
            TimerKind::Remind => "remind",
            TimerKind::Due => "due",
        }
    }
}

/// A timer to set.
#[derive(Debug, Clone)]
pub struct NewTimer {
    /// Index of the deadline in the procedure.
    pub deadline: i64,
    /// Reminder or deadline.
    pub kind: TimerKind,
    pub fire_at: Ts,
}

/// A timer whose time has come.
#[derive(Debug, Clone, FromRow)]
pub struct TimerRow {
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The state it was set for.
    pub state: String,
    /// Index of the deadline in the procedure.
    pub deadline: i64,
    /// `remind` or `due`.
    pub kind: String,
    /// When it was due to fire.
    pub fire_at: Ts,
}

impl TimerRow {
    /// Reminder or deadline.
    pub fn kind(&self) -> TimerKind {
        if self.kind == "due" {
            TimerKind::Due
        } else {
            TimerKind::Remind
        }
    }
}

/// Drops the case's unfired timers (it left the state they were set for, or their start
/// changed) and sets those of the state it is in.
pub async fn replace(
    tx: &mut Tx,
    case: Uuid,
    state: &str,
    timers: &[NewTimer],
) -> Result<(), StorageError> {
    const DROP: &str = "DELETE FROM case_timers WHERE case_id = $1 AND fired_at IS NULL";
    on_tx!(tx, x => sqlx::query(DROP).bind(case).execute(x).await.map(|r| r.rows_affected()))?;
    for t in timers {
        // A timer that already fired is not set again (a draft saved after its reminder).
        const SQL: &str = "INSERT INTO case_timers (id, case_id, state, deadline, kind, fire_at)
            SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM case_timers
              WHERE case_id = $2 AND state = $3 AND deadline = $4 AND kind = $5 AND fire_at = $6)";
        on_tx!(tx, x => sqlx::query(SQL).bind(Uuid::now_v7()).bind(case).bind(state).bind(t.deadline)
            .bind(t.kind.as_str()).bind(t.fire_at).execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Timers due at `now`, earliest first.
pub async fn due(db: &Db, now: Ts, limit: i64) -> Result<Vec<TimerRow>, StorageError> {
    const SQL: &str = "SELECT id, case_id, state, deadline, kind, fire_at FROM case_timers
                       WHERE fired_at IS NULL AND fire_at <= $1 ORDER BY fire_at, id LIMIT $2";
    Ok(on_db!(db, p => sqlx::query_as(SQL).bind(now).bind(limit).fetch_all(p).await)?)
}

/// Claims a timer for firing in this transaction; false when another server fired it or
/// the case left the state meanwhile (the row is gone).
pub async fn claim(tx: &mut Tx, id: Uuid, now: Ts) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE case_timers SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL";
    let n = on_tx!(tx, x => sqlx::query(SQL).bind(id).bind(now).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
