//! Evidence kept by organisations, and its links to the requirements of assessments.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::{Day, Ts};
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A piece of evidence (its content is read separately, from `files`).
#[derive(Debug, Clone, FromRow)]
pub struct EvidenceRow {
    pub id: Uuid,
    /// The organisation that keeps it.
    pub organisation_id: Uuid,
    /// What it is.
    pub title: String,
    /// Where the sealed content is.
    pub file_address: String,
    /// The file's name.
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// From when it holds.
    pub effective_on: Day,
    /// Until when (inclusive), if it expires.
    pub expires_on: Option<Day>,
    /// Who added it.
    pub added_by: Uuid,
    /// Their name.
    pub added_by_name: String,
    pub added_at: Ts,
}

impl EvidenceRow {
    /// Whether it holds on `day`.
    pub fn in_force(&self, day: Day) -> bool {
        self.effective_on <= day && self.expires_on.is_none_or(|x| x >= day)
    }
}

/// New evidence; the content is stored with [`crate::attachments::store_file`].
pub struct NewEvidence<'a> {
    pub id: Uuid,
    /// The organisation.
    pub organisation: Uuid,
    /// Title.
    pub title: &'a str,
    /// The content's address.
    pub address: &'a str,
    /// File name.
    pub file_name: &'a str,
    /// Media type.
    pub media_type: &'a str,
    /// Size.
    pub size: i64,
    /// From when it holds.
    pub effective_on: Day,
    /// Until when.
    pub expires_on: Option<Day>,
    pub by: Uuid,
    pub now: Ts,
}

const COLUMNS: &str = "e.id, e.organisation_id, e.title, e.file_address, e.file_name,
    e.media_type, e.size, e.effective_on, e.expires_on, e.added_by, p.name AS added_by_name,
    e.added_at";
const FROM: &str = "evidence e JOIN persons p ON p.id = e.added_by";

/// Stores the record of new evidence (its file must be stored already).
pub async fn insert(tx: &mut Tx, e: &NewEvidence<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO evidence (id, organisation_id, title, file_address, file_name,
        media_type, size, effective_on, expires_on, added_by, added_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_tx!(tx, c => sqlx::query(SQL).bind(e.id).bind(e.organisation).bind(e.title).bind(e.address)
        .bind(e.file_name).bind(e.media_type).bind(e.size).bind(e.effective_on).bind(e.expires_on)
        .bind(e.by).bind(e.now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One piece of evidence.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<EvidenceRow, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE e.id = $1");
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The evidence an organisation keeps, newest first.
pub async fn of_organisation<'a>(
    src: impl Into<Src<'a>>,
    organisation: Uuid,
) -> Result<Vec<EvidenceRow>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE e.organisation_id = $1 ORDER BY e.added_at DESC, e.id"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(organisation).fetch_all(c).await)?,
    )
}

/// Links evidence to a requirement of an assessment (once).
pub async fn link(
    tx: &mut Tx,
    assessment: Uuid,
    requirement: &str,
    evidence: Uuid,
    by: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO assessment_evidence (assessment_id, requirement_id, evidence_id, linked_by, linked_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    on_tx!(tx, c => sqlx::query(SQL).bind(assessment).bind(requirement).bind(evidence).bind(by).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The evidence linked to some requirements of an assessment: (requirement id, evidence).
pub async fn linked<'a>(
    src: impl Into<Src<'a>>,
    assessment: Uuid,
    requirements: &[&str],
) -> Result<Vec<(String, EvidenceRow)>, StorageError> {
    #[derive(FromRow)]
    struct Linked {
        requirement_id: String,
        #[sqlx(flatten)]
        evidence: EvidenceRow,
    }
    if requirements.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (0..requirements.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    let sql = format!(
        "SELECT x.requirement_id, {COLUMNS} FROM assessment_evidence x
         JOIN evidence e ON e.id = x.evidence_id JOIN persons p ON p.id = e.added_by
         WHERE x.assessment_id = $1 AND x.requirement_id IN ({}) ORDER BY x.linked_at, e.id",
        list.join(", ")
    );
    let rows: Vec<Linked> = on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, Linked>(AssertSqlSafe(sql)).bind(assessment);
        for r in requirements { q = q.bind(*r); }
        q.fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|l| (l.requirement_id, l.evidence))
        .collect())
}
