//! Notifications for people, written in the same transaction as what they announce.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::{Day, Ts};
use crate::{Db, StorageError, Tx, on_db, on_tx};

/// A notification as a person reads it.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    /// Id.
    pub id: Uuid,
    /// The case it is about.
    pub case_id: Option<Uuid>,
    /// Subject in Japanese.
    pub subject_ja: String,
    /// Subject in English.
    pub subject_en: String,
    /// When.
    pub created_at: Ts,
    /// When the person opened what it is about.
    pub read_at: Option<Ts>,
}

/// A notification to write.
pub struct NewNotification<'a> {
    /// To whom.
    pub person: Uuid,
    /// About which case.
    pub case: Option<Uuid>,
    /// Subject in Japanese.
    pub subject_ja: &'a str,
    /// Subject in English.
    pub subject_en: &'a str,
    /// Now.
    pub now: Ts,
}

/// Writes an in-app notification (delivered by being written).
pub async fn insert(tx: &mut Tx, n: &NewNotification<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO notifications (id, person_id, channel, case_id, subject_ja, subject_en, created_at, delivered_at)
                       VALUES ($1, $2, 'in_app', $3, $4, $5, $6, $6)";
    on_tx!(tx, c => sqlx::query(SQL).bind(Uuid::now_v7()).bind(n.person).bind(n.case).bind(n.subject_ja)
        .bind(n.subject_en).bind(n.now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A person's notifications, unread first, newest first.
pub async fn for_person(
    db: &Db,
    person: Uuid,
    limit: i64,
) -> Result<Vec<NotificationRow>, StorageError> {
    const SQL: &str =
        "SELECT id, case_id, subject_ja, subject_en, created_at, read_at FROM notifications
        WHERE person_id = $1 AND channel = 'in_app'
        ORDER BY (CASE WHEN read_at IS NULL THEN 0 ELSE 1 END), created_at DESC LIMIT $2";
    Ok(on_db!(db, p => sqlx::query_as(SQL).bind(person).bind(limit).fetch_all(p).await)?)
}

/// How many of a person's notifications about a case are unread.
pub async fn unread_for_case(db: &Db, person: Uuid, case: Uuid) -> Result<i64, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND case_id = $2 AND read_at IS NULL";
    Ok(on_db!(db, p => sqlx::query_scalar(SQL).bind(person).bind(case).fetch_one(p).await)?)
}

/// Marks a person's notifications about a case read.
pub async fn mark_case_read(
    tx: &mut Tx,
    person: Uuid,
    case: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE notifications SET read_at = $3 WHERE person_id = $1 AND case_id = $2 AND read_at IS NULL";
    on_tx!(tx, c => sqlx::query(SQL).bind(person).bind(case).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// People holding `role` today in one of `organisations`, directly or through a post.
pub async fn holders_of(
    tx: &mut Tx,
    role: &str,
    organisations: &[Uuid],
    today: Day,
) -> Result<Vec<Uuid>, StorageError> {
    if organisations.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let orgs = list.join(", ");
    let sql = format!(
        "SELECT d.person_id FROM designations d
          WHERE d.role = $1 AND d.organisation_id IN ({orgs}) AND d.person_id IS NOT NULL
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on >= $2)
        UNION
        SELECT h.person_id FROM designations d JOIN post_holders h ON h.post_id = d.post_id
          WHERE d.role = $1 AND d.organisation_id IN ({orgs})
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on >= $2)
            AND h.starts_on <= $2 AND (h.ends_on IS NULL OR h.ends_on >= $2)"
    );
    let rows: Vec<(Uuid,)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(role).bind(today);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}
