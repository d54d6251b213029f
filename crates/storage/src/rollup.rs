//! The roll-up a body reads of the organisations that report to it (relation `reports_to`,
//! accepted): counts per reporting organisation and its subtree, each read in one grouped
//! query, so that a prefecture's 1,741 municipalities cost four statements, not thousands.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::{Day, Ts};
use crate::{Db, StorageError, on_db};

/// The reporting organisations' subtrees: `m.from_id` is the reporting organisation and
/// `op.descendant_id` each organisation within it. `$1` is the body reported to.
///
/// Written as CROSS JOINs with the conditions in WHERE: SQLite then keeps the tables in
/// this order (relations, paths, then the figures by organisation through their `_rollup`
/// indexes) instead of scanning all of a round's or a catalog's rows once per municipality,
/// which it otherwise prefers without statistics; PostgreSQL plans them as plain joins.
const REPORTING: &str = "organisation_relations m CROSS JOIN organisation_paths op";
const ACCEPTED: &str = "op.ancestor_id = m.from_id AND m.to_id = $1 AND m.kind = 'reports_to'
    AND m.accepted_at IS NOT NULL";

/// How many targets of one round a reporting organisation has, and how many have done it.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct RoundCount {
    pub organisation_id: Uuid,
    pub done: i64,
    pub total: i64,
}

/// The targets of one round of a procedure, per organisation reporting to `to`.
pub async fn rounds(
    db: &Db,
    to: Uuid,
    library: &str,
    procedure: &str,
    starts_on: Day,
) -> Result<Vec<RoundCount>, StorageError> {
    let sql = format!(
        "SELECT m.from_id AS organisation_id,
                CAST(SUM(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS done,
                COUNT(*) AS total
           FROM {REPORTING} CROSS JOIN recurring_rounds r CROSS JOIN cases c
          WHERE {ACCEPTED} AND r.organisation_id = op.descendant_id AND c.id = r.case_id
            AND r.library_id = $2 AND r.procedure_id = $3 AND r.starts_on = $4
          GROUP BY m.from_id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as(AssertSqlSafe(sql)).bind(to).bind(library)
        .bind(procedure).bind(starts_on).fetch_all(p).await)?,
    )
}

/// The assessments of one catalog a reporting organisation submitted in a period, and the
/// weight they passed of the weight they scored.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct ScoreSum {
    pub organisation_id: Uuid,
    pub submitted: i64,
    pub pass_weight: i64,
    pub scored_weight: i64,
}

/// Assessments of `catalog` submitted from `from` until `until`, per organisation
/// reporting to `to`.
pub async fn scores(
    db: &Db,
    to: Uuid,
    library: &str,
    catalog: &str,
    from: Ts,
    until: Ts,
) -> Result<Vec<ScoreSum>, StorageError> {
    // PostgreSQL sums BIGINT to NUMERIC: cast back so both databases answer integers.
    let sql = format!(
        "SELECT m.from_id AS organisation_id, COUNT(*) AS submitted,
                CAST(COALESCE(SUM(a.pass_weight), 0) AS BIGINT) AS pass_weight,
                CAST(COALESCE(SUM(a.scored_weight), 0) AS BIGINT) AS scored_weight
           FROM {REPORTING} CROSS JOIN assessments a
          WHERE {ACCEPTED} AND a.organisation_id = op.descendant_id AND a.library_id = $2 AND a.catalog_id = $3
            AND a.submitted_at >= $4 AND a.submitted_at < $5
          GROUP BY m.from_id"
    );
    Ok(
        on_db!(db, p => sqlx::query_as(AssertSqlSafe(sql)).bind(to).bind(library)
        .bind(catalog).bind(from).bind(until).fetch_all(p).await)?,
    )
}

/// The open cases a reporting organisation reported up, and when the earliest was.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Reported {
    pub organisation_id: Uuid,
    pub open: i64,
    pub earliest: Option<Ts>,
}

/// Open cases reported up, per organisation reporting to `to`.
pub async fn reported(db: &Db, to: Uuid) -> Result<Vec<Reported>, StorageError> {
    let sql = format!(
        "SELECT m.from_id AS organisation_id, COUNT(*) AS open,
                MIN(c.reported_up_at) AS earliest
           FROM {REPORTING} CROSS JOIN cases c
          WHERE {ACCEPTED} AND c.organisation_id = op.descendant_id AND c.reported_up_at IS NOT NULL AND c.closed_at IS NULL
          GROUP BY m.from_id"
    );
    Ok(on_db!(db, p => sqlx::query_as(AssertSqlSafe(sql)).bind(to).fetch_all(p).await)?)
}
