//! What each case's history records of its schedule, kept as the history grows, so that
//! an overview plans a thousand sites from one read instead of a thousand histories.

use std::collections::HashMap;

use uuid::Uuid;

use crate::scope::placeholders;
use crate::types::Ts;
use crate::{Db, StorageError, Tx, on_tx};

/// A case's stored progress: the schedule it was worked out with and the progress itself
/// (JSON text; `None` before the schedule started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub source: String,
    pub progress: Option<String>,
}

/// Keeps a case's progress, replacing what was kept before.
pub async fn keep(tx: &mut Tx, case: Uuid, kept: &Kept, now: Ts) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO case_schedules (case_id, source, progress, updated_at)
                       VALUES ($1, $2, $3, $4)
                       ON CONFLICT (case_id) DO UPDATE
                       SET source = excluded.source, progress = excluded.progress,
                           updated_at = excluded.updated_at";
    on_tx!(tx, c => sqlx::query(SQL).bind(case).bind(&kept.source).bind(&kept.progress)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The progress kept for `cases`, by case (cases with none kept are absent).
pub async fn of(db: &Db, cases: &[Uuid]) -> Result<HashMap<Uuid, Kept>, StorageError> {
    let mut out = HashMap::with_capacity(cases.len());
    for chunk in cases.chunks(500) {
        let sql = format!(
            "SELECT case_id, source, progress FROM case_schedules WHERE case_id IN ({})",
            placeholders(1, chunk.len())
        );
        let rows: Vec<(Uuid, String, Option<String>)> = crate::on_db!(db, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(p).await
        })?;
        out.extend(
            rows.into_iter()
                .map(|(case, source, progress)| (case, Kept { source, progress })),
        );
    }
    Ok(out)
}
