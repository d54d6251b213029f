//! Notifications for people, written in the same transaction as what they announce.

use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::types::{Day, Ts};
use crate::{Db, Src, StorageError, Tx, on_db, on_src, on_tx};

/// A notification as a person reads it.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    /// The case it is about.
    pub case_id: Option<Uuid>,
    /// Subject in Japanese.
    pub subject_ja: String,
    /// Subject in English.
    pub subject_en: String,
    pub created_at: Ts,
    /// When the person opened what it is about.
    pub read_at: Option<Ts>,
}

/// How a notification reaches its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Shown in mamori; delivered by being written.
    InApp,
    /// Sent by e-mail from the outbox.
    Email,
}

/// A notification to write.
pub struct NewNotification<'a> {
    /// How.
    pub channel: Channel,
    /// To whom.
    pub person: Uuid,
    /// About which case.
    pub case: Option<Uuid>,
    /// Subject in Japanese.
    pub subject_ja: &'a str,
    /// Subject in English.
    pub subject_en: &'a str,
    pub now: Ts,
}

/// Writes a notification: an in-app one is delivered by being written, an e-mail waits in
/// the outbox for the worker.
pub async fn insert(tx: &mut Tx, n: &NewNotification<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO notifications (id, person_id, channel, case_id, subject_ja, subject_en,
                       created_at, delivered_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let (channel, delivered, next) = match n.channel {
        Channel::InApp => ("in_app", Some(n.now), None),
        Channel::Email => ("email", None, Some(n.now)),
    };
    on_tx!(tx, c => sqlx::query(SQL).bind(Uuid::now_v7()).bind(n.person).bind(channel).bind(n.case).bind(n.subject_ja)
        .bind(n.subject_en).bind(n.now).bind(delivered).bind(next).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// An e-mail leased for sending.
#[derive(Debug, Clone, FromRow)]
pub struct MailRow {
    /// Id (also the message's id, so that a resend after a crash can be recognised).
    pub id: Uuid,
    /// The case it is about.
    pub case_id: Option<Uuid>,
    /// Subject in Japanese.
    pub subject_ja: String,
    /// Subject in English.
    pub subject_en: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The recipient's address.
    pub email: String,
    /// The recipient's name.
    pub name: String,
    /// The recipient's language.
    pub locale: String,
}

/// Leases up to `limit` e-mails due for an attempt to `worker` until `until`. A lease that
/// ran out (its worker died) is taken over; rows another worker holds are skipped, because
/// the outer condition is checked again on the row as it is after the other's commit.
pub async fn lease_mail(
    tx: &mut Tx,
    worker: &str,
    now: Ts,
    until: Ts,
    limit: i64,
) -> Result<Vec<MailRow>, StorageError> {
    const LEASE: &str = "UPDATE notifications SET locked_by = $1, locked_until = $2
        WHERE id IN (SELECT id FROM notifications
                      WHERE channel = 'email' AND delivered_at IS NULL AND next_attempt_at <= $3
                        AND (locked_until IS NULL OR locked_until < $3)
                      ORDER BY next_attempt_at, id LIMIT $4)
          AND delivered_at IS NULL AND (locked_until IS NULL OR locked_until < $3)";
    on_tx!(tx, c => sqlx::query(LEASE).bind(worker).bind(until).bind(now).bind(limit).execute(c).await.map(|r| r.rows_affected()))?;
    const SQL: &str =
        "SELECT n.id, n.case_id, n.subject_ja, n.subject_en, n.attempts, p.email, p.name, p.locale
        FROM notifications n JOIN persons p ON p.id = n.person_id
        WHERE n.locked_by = $1 AND n.delivered_at IS NULL ORDER BY n.next_attempt_at, n.id";
    Ok(on_tx!(tx, c => sqlx::query_as(SQL).bind(worker).fetch_all(c).await)?)
}

/// Claims one leased e-mail just before it is sent, renewing the lease until `until`.
/// False when the lease is no longer `worker`'s: it ran out while earlier messages of the
/// batch were being sent and another worker took the message over (or already sent it),
/// so this worker must skip it rather than send it a second time. The token is compared
/// in the UPDATE itself, so the claim and the check are one step on both databases.
pub async fn claim_mail(db: &Db, id: Uuid, worker: &str, until: Ts) -> Result<bool, StorageError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE notifications SET locked_until = $3
        WHERE id = $1 AND locked_by = $2 AND delivered_at IS NULL";
    let claimed = on_tx!(&mut tx, c => sqlx::query(SQL).bind(id).bind(worker).bind(until).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(claimed == 1)
}

/// Records that an e-mail was handed to the mail server.
pub async fn mail_sent(db: &Db, id: Uuid, worker: &str, now: Ts) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE notifications SET delivered_at = $3, attempts = attempts + 1,
        locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = $1 AND locked_by = $2";
    on_tx!(&mut tx, c => sqlx::query(SQL).bind(id).bind(worker).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Records a failed attempt and when to try again.
pub async fn mail_failed(
    db: &Db,
    id: Uuid,
    worker: &str,
    error: &str,
    retry_at: Ts,
) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $3,
        locked_by = NULL, locked_until = NULL, last_error = $4 WHERE id = $1 AND locked_by = $2";
    on_tx!(&mut tx, c => sqlx::query(SQL).bind(id).bind(worker).bind(retry_at).bind(error).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// E-mails not yet delivered (for the health page and the tests).
pub async fn mail_pending(db: &Db) -> Result<i64, StorageError> {
    const SQL: &str =
        "SELECT COUNT(*) FROM notifications WHERE channel = 'email' AND delivered_at IS NULL";
    Ok(on_db!(db, p => sqlx::query_scalar(SQL).fetch_one(p).await)?)
}

/// E-mails not yet handed to the mail server, and when the oldest of them was written.
pub async fn mail_backlog(db: &Db) -> Result<(i64, Option<Ts>), StorageError> {
    const SQL: &str = "SELECT COUNT(*), MIN(created_at) FROM notifications
                       WHERE channel = 'email' AND delivered_at IS NULL";
    Ok(on_db!(db, p => sqlx::query_as(SQL).fetch_one(p).await)?)
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

/// Whether a person was told about a case in mamori.
pub async fn was_told(db: &Db, person: Uuid, case: Uuid) -> Result<bool, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND case_id = $2 AND channel = 'in_app'";
    let n: i64 =
        on_db!(db, p => sqlx::query_scalar(SQL).bind(person).bind(case).fetch_one(p).await)?;
    Ok(n > 0)
}

/// How many of a person's notifications about a case are unread.
pub async fn unread_for_case(db: &Db, person: Uuid, case: Uuid) -> Result<i64, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND case_id = $2 AND read_at IS NULL";
    Ok(on_db!(db, p => sqlx::query_scalar(SQL).bind(person).bind(case).fetch_one(p).await)?)
}

/// Who was told about a case, as its page shows it: each person once, with when they
/// last opened it after being told (none while a notice is unread).
#[derive(Debug, Clone, FromRow)]
pub struct ToldRow {
    /// The person's name.
    pub name: String,
    /// When they were last told.
    pub told_at: Ts,
    /// Notices about the case they have not opened yet.
    pub unread: i64,
    /// When they last opened it.
    pub read_at: Option<Ts>,
}

/// The people told about a case in mamori, by name.
pub async fn told_about<'a>(
    src: impl Into<crate::Src<'a>>,
    case: Uuid,
) -> Result<Vec<ToldRow>, StorageError> {
    const SQL: &str = "SELECT p.name, MAX(n.created_at) AS told_at,
            COUNT(*) - COUNT(n.read_at) AS unread, MAX(n.read_at) AS read_at
        FROM notifications n JOIN persons p ON p.id = n.person_id
        WHERE n.case_id = $1 AND n.channel = 'in_app'
        GROUP BY p.id, p.name ORDER BY p.name, p.id";
    Ok(crate::on_src!(src.into(), c => sqlx::query_as(SQL).bind(case).fetch_all(c).await)?)
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
pub async fn holders_of<'a>(
    src: impl Into<Src<'a>>,
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
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
        UNION
        SELECT h.person_id FROM designations d JOIN post_holders h ON h.post_id = d.post_id
          WHERE d.role = $1 AND d.organisation_id IN ({orgs})
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
            AND h.starts_on <= $2 AND (h.ends_on IS NULL OR h.ends_on >= $2)"
    );
    let rows: Vec<(Uuid,)> = on_src!(src.into(), c => {
        let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(role).bind(today);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}
