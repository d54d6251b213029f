//! Rounds of recurring procedures: the case opened for each target of a round, its
//! reminder and its overdue notice, each claimed once whichever server ticks first, and
//! the compliance board read from them.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::org_condition;
use crate::types::{Day, Ts};
use crate::{Db, Src, StorageError, Tx, on_db, on_src, on_tx};

/// Which procedure and which of its rounds.
#[derive(Debug, Clone, Copy)]
pub struct RoundOf<'a> {
    pub library: &'a str,
    pub procedure: &'a str,
    /// The round's first day.
    pub starts_on: Day,
}

/// A round's case, to record once it is opened.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    pub of: RoundOf<'a>,
    /// Whom it is for: an organisation's id, `person@organisation`, or a register row's id.
    pub target: &'a str,
    /// The round's last day.
    pub ends_on: Day,
    /// The organisation the case is for.
    pub organisation: Uuid,
    /// The holder it was opened for.
    pub person: Uuid,
    /// The register row it is for, if the round is per row.
    pub row: Option<Uuid>,
    pub case: Uuid,
    pub now: Ts,
    /// When to remind, if the procedure reminds.
    pub remind_at: Option<Ts>,
    /// The end of the round's last day.
    pub due_at: Ts,
}

/// Records a round's case; false when another server recorded it first (the caller then
/// rolls back the case it inserted). On PostgreSQL a concurrent insert of the same key
/// waits for the first transaction and then does nothing.
pub async fn claim(tx: &mut Tx, r: &NewRound<'_>) -> Result<bool, StorageError> {
    const SQL: &str = "INSERT INTO recurring_rounds (library_id, procedure_id, starts_on, target,
            ends_on, organisation_id, person_id, row_id, case_id, opened_at, remind_at, due_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (library_id, procedure_id, starts_on, target) DO NOTHING";
    let n = on_tx!(tx, x => sqlx::query(SQL).bind(r.of.library).bind(r.of.procedure)
        .bind(r.of.starts_on).bind(r.target).bind(r.ends_on).bind(r.organisation).bind(r.person)
        .bind(r.row).bind(r.case).bind(r.now).bind(r.remind_at).bind(r.due_at)
        .execute(x).await.map(|q| q.rows_affected()))?;
    Ok(n == 1)
}

/// The targets whose case for this round is already open.
pub async fn targets<'a>(
    src: impl Into<Src<'a>>,
    of: RoundOf<'_>,
) -> Result<Vec<String>, StorageError> {
    const SQL: &str = "SELECT target FROM recurring_rounds
        WHERE library_id = $1 AND procedure_id = $2 AND starts_on = $3";
    let rows: Vec<(String,)> = on_src!(src.into(), c => sqlx::query_as(SQL).bind(of.library)
        .bind(of.procedure).bind(of.starts_on).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// What a round's notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The round's end approaches.
    Remind,
    /// The round ended with its case still open.
    Overdue,
}

impl Notice {
    /// The time column and the column recording that it was sent.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Notice::Remind => ("remind_at", "reminded_at"),
            Notice::Overdue => ("due_at", "overdue_at"),
        }
    }
}

/// A round whose reminder or overdue notice is due.
#[derive(Debug, Clone, FromRow)]
pub struct DueRound {
    pub library_id: String,
    pub procedure_id: String,
    pub starts_on: Day,
    pub target: String,
    pub ends_on: Day,
    pub person_id: Uuid,
    pub case_id: Uuid,
}

/// Rounds whose `notice` is due at `now` and whose case is still open, earliest first. A
/// reminder is no longer owed once its round is over or its case closed, nor an overdue
/// notice once the case closed: those are settled first (their column set without a
/// notice), so the pending index holds only what may still be sent.
pub async fn due(
    db: &Db,
    notice: Notice,
    now: Ts,
    limit: i64,
) -> Result<Vec<DueRound>, StorageError> {
    let (at, sent) = notice.columns();
    let settle = format!(
        "UPDATE recurring_rounds SET {sent} = $1
          WHERE {sent} IS NULL AND {at} <= $1
            AND ({over} OR case_id IN (SELECT id FROM cases WHERE closed_at IS NOT NULL))",
        over = if notice == Notice::Remind {
            "due_at <= $1"
        } else {
            "1 = 0"
        }
    );
    let mut tx = db.begin().await?;
    let t = &mut tx;
    on_tx!(t, x => sqlx::query(AssertSqlSafe(settle)).bind(now).execute(x).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    let sql = format!(
        "SELECT r.library_id, r.procedure_id, r.starts_on, r.target, r.ends_on, r.person_id, r.case_id
           FROM recurring_rounds r
          WHERE r.{sent} IS NULL AND r.{at} <= $1
          ORDER BY r.{at}, r.case_id LIMIT $2"
    );
    Ok(
        on_db!(db, p => sqlx::query_as(AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(p).await)?,
    )
}

/// Claims a round's notice for sending in this transaction; false when another server sent
/// it or it was settled meanwhile.
pub async fn claim_notice(
    tx: &mut Tx,
    round: &DueRound,
    notice: Notice,
    now: Ts,
) -> Result<bool, StorageError> {
    let (_, sent) = notice.columns();
    let sql = format!(
        "UPDATE recurring_rounds SET {sent} = $5
          WHERE library_id = $1 AND procedure_id = $2 AND starts_on = $3 AND target = $4
            AND {sent} IS NULL"
    );
    let n = on_tx!(tx, x => sqlx::query(AssertSqlSafe(sql)).bind(&round.library_id)
        .bind(&round.procedure_id).bind(round.starts_on).bind(&round.target).bind(now)
        .execute(x).await.map(|q| q.rows_affected()))?;
    Ok(n == 1)
}

/// One target of a round on the compliance board.
#[derive(Debug, Clone, FromRow)]
pub struct BoardRow {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub person_id: Uuid,
    pub person_name: String,
    /// The register row's columns (a JSON object), for a round per row.
    pub row_data: Option<String>,
    pub case_id: Uuid,
    pub case_number: Option<String>,
    /// The case's state.
    pub state: String,
    /// When the case reached its end.
    pub closed_at: Option<Ts>,
    pub due_at: Ts,
}

/// The targets of one round in organisations of `scope` (and below `within`, when given),
/// by organisation name.
pub async fn board(
    db: &Db,
    of: RoundOf<'_>,
    scope: &Scope,
    within: Option<Uuid>,
) -> Result<Vec<BoardRow>, StorageError> {
    let cond = org_condition("r.organisation_id", scope, 4);
    let mut sql = format!(
        "SELECT r.organisation_id, o.name AS organisation_name, r.person_id,
                p.name AS person_name, g.data AS row_data, r.case_id, c.number AS case_number,
                c.state, c.closed_at, r.due_at
           FROM recurring_rounds r
           JOIN organisations o ON o.id = r.organisation_id
           JOIN persons p ON p.id = r.person_id
           JOIN cases c ON c.id = r.case_id
           LEFT JOIN register_rows g ON g.id = r.row_id
          WHERE r.library_id = $1 AND r.procedure_id = $2 AND r.starts_on = $3 AND {}",
        cond.sql
    );
    if within.is_some() {
        sql.push_str(&format!(
            " AND r.organisation_id IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id = ${})",
            4 + cond.ids.len()
        ));
    }
    sql.push_str(" ORDER BY o.name, p.name, g.key_text, r.case_id");
    Ok(on_db!(db, p => {
        let mut q = sqlx::query_as::<_, BoardRow>(AssertSqlSafe(sql.clone()))
            .bind(of.library).bind(of.procedure).bind(of.starts_on);
        for id in &cond.ids { q = q.bind(*id); }
        if let Some(w) = within { q = q.bind(w); }
        q.fetch_all(p).await
    })?)
}

/// The rounds of a procedure that have cases, latest first.
pub async fn rounds_of(
    db: &Db,
    library: &str,
    procedure: &str,
) -> Result<Vec<(Day, Day)>, StorageError> {
    const SQL: &str = "SELECT DISTINCT starts_on, ends_on FROM recurring_rounds
        WHERE library_id = $1 AND procedure_id = $2 ORDER BY starts_on DESC";
    Ok(on_db!(db, p => sqlx::query_as(SQL).bind(library).bind(procedure).fetch_all(p).await)?)
}

/// How many targets of one round in organisations of `scope` have a closed case, an open
/// one whose round is not over at `now`, and an open one past it: (done, open, overdue).
pub async fn tally(
    db: &Db,
    of: RoundOf<'_>,
    scope: &Scope,
    now: Ts,
) -> Result<(i64, i64, i64), StorageError> {
    let cond = org_condition("r.organisation_id", scope, 5);
    let sql = format!(
        "SELECT COALESCE(SUM(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN c.closed_at IS NULL AND r.due_at > $4 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN c.closed_at IS NULL AND r.due_at <= $4 THEN 1 ELSE 0 END), 0)
           FROM recurring_rounds r JOIN cases c ON c.id = r.case_id
          WHERE r.library_id = $1 AND r.procedure_id = $2 AND r.starts_on = $3 AND {}",
        cond.sql
    );
    Ok(on_db!(db, p => {
        let mut q = sqlx::query_as::<_, (i64, i64, i64)>(AssertSqlSafe(sql.clone()))
            .bind(of.library).bind(of.procedure).bind(of.starts_on).bind(now);
        for id in &cond.ids { q = q.bind(*id); }
        q.fetch_one(p).await
    })?)
}
