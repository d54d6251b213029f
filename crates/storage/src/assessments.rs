//! Assessments and their answers.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::{capped_count, org_condition};
use crate::types::Ts;
use crate::{Db, Page, PageRequest, Src, StorageError, Tx, on_src, on_tx};

/// An assessment as listed and read.
#[derive(Debug, Clone, FromRow)]
pub struct AssessmentRow {
    pub id: Uuid,
    /// Library id.
    pub library_id: String,
    /// The library version whose catalog is answered.
    pub library_version: String,
    /// The catalog.
    pub catalog_id: String,
    /// The organisation answering.
    pub organisation_id: Uuid,
    /// Its name.
    pub organisation_name: String,
    /// Title (年度 and the like).
    pub title: String,
    /// The groups asked, as JSON.
    pub groups: String,
    /// `open` or `submitted`.
    pub state: String,
    /// Who started it.
    pub created_by: Uuid,
    pub created_at: Ts,
    /// When it was submitted.
    pub submitted_at: Option<Ts>,
    /// The campaign it is part of.
    pub parent_id: Option<Uuid>,
}

/// A new assessment.
pub struct NewAssessment<'a> {
    pub id: Uuid,
    /// Library id.
    pub library: &'a str,
    /// Library version.
    pub version: &'a str,
    /// Catalog id.
    pub catalog: &'a str,
    /// Organisation.
    pub organisation: Uuid,
    /// Title.
    pub title: &'a str,
    /// The groups asked, as JSON.
    pub groups: &'a str,
    /// `open`, or `campaign` for one answered through its parts.
    pub state: &'a str,
    /// The campaign it is part of.
    pub parent: Option<Uuid>,
    pub by: Uuid,
    pub now: Ts,
}

/// An answer to one requirement.
#[derive(Debug, Clone, FromRow)]
pub struct AnswerRow {
    /// The requirement's id.
    pub requirement_id: String,
    /// The answer (`yes`, `no`, `na` or an option id).
    pub answer: String,
    /// `pass`, `fail` or `not_applicable`.
    pub outcome: String,
    /// The requirement's weight.
    pub weight: i64,
    /// The reason or remark given.
    pub note: String,
    /// Who answered.
    pub answered_by: Uuid,
    /// Their name.
    pub answered_by_name: String,
    pub answered_at: Ts,
    /// The remediation case the finding opened, if any.
    pub remediation_case: Option<Uuid>,
}

/// Answers counted by outcome, and the weights that passed and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct Tally {
    /// Answers that meet their requirement.
    pub pass: i64,
    /// Answers that do not: findings.
    pub fail: i64,
    /// Requirements that do not apply.
    pub not_applicable: i64,
    /// Weight of the answers that pass.
    pub pass_weight: i64,
    /// Weight of the answers that pass or fail.
    pub scored_weight: i64,
}

const COLUMNS: &str = "a.id, a.library_id, a.library_version, a.catalog_id, a.organisation_id,
    o.name AS organisation_name, a.title, a.groups, a.state, a.created_by, a.created_at,
    a.submitted_at, a.parent_id";
const FROM: &str = "assessments a JOIN organisations o ON o.id = a.organisation_id";

/// Stores a new assessment, open.
pub async fn insert(tx: &mut Tx, a: &NewAssessment<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO assessments (id, library_id, library_version, catalog_id,
        organisation_id, title, groups, state, created_by, created_at, parent_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_tx!(tx, c => sqlx::query(SQL).bind(a.id).bind(a.library).bind(a.version).bind(a.catalog)
        .bind(a.organisation).bind(a.title).bind(a.groups).bind(a.state).bind(a.by).bind(a.now)
        .bind(a.parent)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One assessment.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<AssessmentRow, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1");
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The assessments of the organisations in `scope`, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    page: PageRequest,
) -> Result<Page<AssessmentRow>, StorageError> {
    let cond = org_condition("a.organisation_id", scope, 1);
    let n = cond.ids.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY a.created_at DESC, a.id LIMIT ${} OFFSET ${}",
        cond.sql,
        n + 1,
        n + 2
    );
    let count = capped_count(&format!("assessments a WHERE {}", cond.sql));
    let items = crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, AssessmentRow>(AssertSqlSafe(sql));
        for id in &cond.ids { q = q.bind(*id); }
        q.bind(page.limit).bind(page.offset).fetch_all(p).await
    })?;
    let total: i64 = crate::on_db!(db, p => {
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count));
        for id in &cond.ids { q = q.bind(*id); }
        q.fetch_one(p).await
    })?;
    Ok(Page::counted(items, total))
}

/// Every answer of an assessment: (requirement id, answer), to decide what applies.
pub async fn answer_values<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
) -> Result<Vec<(String, String)>, StorageError> {
    const SQL: &str =
        "SELECT requirement_id, answer FROM assessment_answers WHERE assessment_id = $1";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// The answers to some requirements (those of one page).
pub async fn answers_to<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
    requirements: &[&str],
) -> Result<Vec<AnswerRow>, StorageError> {
    if requirements.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (0..requirements.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    let sql = format!(
        "SELECT x.requirement_id, x.answer, x.outcome, x.weight, x.note, x.answered_by,
                p.name AS answered_by_name, x.answered_at, x.remediation_case
         FROM assessment_answers x JOIN persons p ON p.id = x.answered_by
         WHERE x.assessment_id = $1 AND x.requirement_id IN ({})",
        list.join(", ")
    );
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, AnswerRow>(AssertSqlSafe(sql)).bind(id);
        for r in requirements { q = q.bind(*r); }
        q.fetch_all(c).await
    })?)
}

/// The failed answers (findings), in requirement order as stored.
pub async fn failed<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<Vec<AnswerRow>, StorageError> {
    const SQL: &str =
        "SELECT x.requirement_id, x.answer, x.outcome, x.weight, x.note, x.answered_by,
                p.name AS answered_by_name, x.answered_at, x.remediation_case
         FROM assessment_answers x JOIN persons p ON p.id = x.answered_by
         WHERE x.assessment_id = $1 AND x.outcome = 'fail'";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// A part of a campaign with its answers counted.
#[derive(Debug, Clone, FromRow)]
pub struct PartRow {
    /// The part.
    #[sqlx(flatten)]
    pub row: AssessmentRow,
    /// Its answers, counted.
    #[sqlx(flatten)]
    pub tally: Tally,
    /// How many answers it has.
    pub answered: i64,
}

/// The parts of a campaign, by organisation name, each counted in one query.
pub async fn parts<'a>(
    src: impl Into<Src<'a>>,
    campaign: Uuid,
) -> Result<Vec<PartRow>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS},
            CAST(COALESCE(SUM(CASE WHEN x.outcome = 'pass' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pass,
            CAST(COALESCE(SUM(CASE WHEN x.outcome = 'fail' THEN 1 ELSE 0 END), 0) AS BIGINT) AS fail,
            CAST(COALESCE(SUM(CASE WHEN x.outcome = 'not_applicable' THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_applicable,
            CAST(COALESCE(SUM(CASE WHEN x.outcome = 'pass' THEN x.weight ELSE 0 END), 0) AS BIGINT) AS pass_weight,
            CAST(COALESCE(SUM(CASE WHEN x.outcome <> 'not_applicable' THEN x.weight ELSE 0 END), 0) AS BIGINT) AS scored_weight,
            COUNT(x.requirement_id) AS answered
         FROM {FROM} LEFT JOIN assessment_answers x ON x.assessment_id = a.id
         WHERE a.parent_id = $1
         GROUP BY a.id, a.library_id, a.library_version, a.catalog_id, a.organisation_id, o.name,
            a.title, a.groups, a.state, a.created_by, a.created_at, a.submitted_at, a.parent_id
         ORDER BY o.name, a.id"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(campaign).fetch_all(c).await)?,
    )
}

/// Answers counted by outcome, in SQL.
pub async fn tally<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<Tally, StorageError> {
    // PostgreSQL sums BIGINT to NUMERIC: cast back so both databases answer integers.
    const SQL: &str = "SELECT
        CAST(COALESCE(SUM(CASE WHEN outcome = 'pass' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pass,
        CAST(COALESCE(SUM(CASE WHEN outcome = 'fail' THEN 1 ELSE 0 END), 0) AS BIGINT) AS fail,
        CAST(COALESCE(SUM(CASE WHEN outcome = 'not_applicable' THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_applicable,
        CAST(COALESCE(SUM(CASE WHEN outcome = 'pass' THEN weight ELSE 0 END), 0) AS BIGINT) AS pass_weight,
        CAST(COALESCE(SUM(CASE WHEN outcome <> 'not_applicable' THEN weight ELSE 0 END), 0) AS BIGINT) AS scored_weight
        FROM assessment_answers WHERE assessment_id = $1";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_one(c).await)?)
}

/// An answer to store.
pub struct NewAnswer<'a> {
    /// The requirement.
    pub requirement: &'a str,
    /// The answer.
    pub answer: &'a str,
    /// Its outcome.
    pub outcome: &'a str,
    /// The requirement's weight.
    pub weight: i64,
    /// The reason or remark.
    pub note: &'a str,
}

/// Stores answers, replacing earlier ones to the same requirements: one statement per
/// thousand answers.
pub async fn answer(
    tx: &mut Tx,
    id: Uuid,
    answers: &[NewAnswer<'_>],
    by: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    for chunk in answers.chunks(1000) {
        // $1 the assessment, $2 who, $3 when; then five per answer.
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = 4 + i * 5;
                format!(
                    "($1, ${n}, ${}, ${}, ${}, ${}, $2, $3)",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO assessment_answers (assessment_id, requirement_id, answer, outcome,
                weight, note, answered_by, answered_at)
             VALUES {}
             ON CONFLICT (assessment_id, requirement_id) DO UPDATE SET answer = excluded.answer,
                outcome = excluded.outcome, weight = excluded.weight, note = excluded.note,
                answered_by = excluded.answered_by, answered_at = excluded.answered_at",
            rows.join(", ")
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id).bind(by).bind(now);
            for a in chunk {
                q = q.bind(a.requirement).bind(a.answer).bind(a.outcome).bind(a.weight).bind(a.note);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Removes answers to requirements that no longer apply (a `when` that stopped holding).
pub async fn forget(tx: &mut Tx, id: Uuid, requirements: &[String]) -> Result<(), StorageError> {
    for chunk in requirements.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "DELETE FROM assessment_answers WHERE assessment_id = $1 AND requirement_id IN ({})",
            list.join(", ")
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
            for r in chunk {
                q = q.bind(r);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Closes an assessment to changes, keeping the weight its answers passed and scored
/// (`tally`, counted in the same transaction) so that a roll-up reads one row, not its
/// answers; false if it was not open.
pub async fn submit(tx: &mut Tx, id: Uuid, now: Ts, tally: &Tally) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE assessments SET state = 'submitted', submitted_at = $2,
        pass_weight = $3, scored_weight = $4 WHERE id = $1 AND state = 'open'";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(now).bind(tally.pass_weight)
        .bind(tally.scored_weight).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Links a finding to the remediation case it opened.
pub async fn set_remediation(
    tx: &mut Tx,
    id: Uuid,
    requirement: &str,
    case: Uuid,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE assessment_answers SET remediation_case = $3
                       WHERE assessment_id = $1 AND requirement_id = $2";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(requirement).bind(case).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
