//! The audit trail: appending inside the caller's transaction, reading, verifying.

use mamori_domain::audit::{
    AuditEvent, ChainError, ChainVerifier, ENCODING, EventView, REDACTED, detail_digest,
};
use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::org_condition;
use crate::types::Ts;
use crate::{Db, StorageError, Tx, on_db, on_tx};

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub occurred_at: Ts,
    /// Who (if logged in).
    pub actor: Option<Uuid>,
    /// Whose trail.
    pub organisation: Option<Uuid>,
    /// What (`person.create`).
    pub action: String,
    /// Kind of target.
    pub target_kind: String,
    /// Target id.
    pub target_id: Option<String>,
    /// `success`, `denied`, `failure`.
    pub outcome: &'static str,
    /// JSON object text.
    pub detail: String,
    /// Client address.
    pub ip: Option<String>,
}

/// Appends an event to the chain inside `tx`, so it commits (or not) with the change it
/// describes. Returns its sequence number. A trigger moves the chain's head row along.
pub async fn append(tx: &mut Tx, e: NewEvent) -> Result<i64, StorageError> {
    const INSERT: &str = "INSERT INTO audit_events (seq, occurred_at, actor_id, organisation_id, action, target_kind,
                            target_id, outcome, detail, ip, prev_hash, hash, encoding, detail_sha256)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    // Inserts only if the head is still where the writer believes it is.
    const INSERT_IF_HEAD: &str =
        "INSERT INTO audit_events (seq, occurred_at, actor_id, organisation_id, action,
                                    target_kind, target_id, outcome, detail, ip, prev_hash, hash,
                                    encoding, detail_sha256)
                                  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
                                  WHERE (SELECT seq FROM audit_head WHERE id = 1) = $15";
    let to_head = |seq: i64, hash: Vec<u8>| -> Result<(i64, [u8; 32]), StorageError> {
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StorageError::Config("audit head hash is not 32 bytes".into()))?;
        Ok((seq, hash))
    };
    let event = |seq: i64, e: &NewEvent| AuditEvent {
        seq,
        occurred_at_us: e.occurred_at.micros(),
        actor: e.actor,
        organisation: e.organisation,
        action: e.action.clone(),
        target_kind: e.target_kind.clone(),
        target_id: e.target_id.clone(),
        outcome: e.outcome.to_owned(),
        detail: e.detail.clone(),
        ip: e.ip.clone(),
        encoding: ENCODING,
        detail_sha256: Some(detail_digest(&e.detail)),
        redacted: false,
    };
    macro_rules! bind_event {
        ($q:expr, $ev:expr, $prev:expr, $hash:expr) => {
            $q.bind($ev.seq)
                .bind(e.occurred_at)
                .bind($ev.actor)
                .bind($ev.organisation)
                .bind(&$ev.action)
                .bind(&$ev.target_kind)
                .bind(&$ev.target_id)
                .bind(&$ev.outcome)
                .bind(&$ev.detail)
                .bind(&$ev.ip)
                .bind(&$prev[..])
                .bind(&$hash[..])
                .bind(i32::from($ev.encoding))
                .bind(&$ev.detail_sha256)
        };
    }
    match tx {
        Tx::Sqlite(w) => {
            // The batch's IMMEDIATE transaction holds SQLite's write lock, so the head
            // cannot move under us; only another process could have moved it since.
            if let Some((prev_seq, prev)) = w.state().head {
                let ev = event(prev_seq + 1, &e);
                let hash = ev.hash(&prev);
                let done = bind_event!(sqlx::query(INSERT_IF_HEAD), ev, prev, hash)
                    .bind(prev_seq)
                    .execute(w.conn())
                    .await?;
                if done.rows_affected() == 1 {
                    w.state().head = Some((ev.seq, hash));
                    return Ok(ev.seq);
                }
            }
            let (seq, hash): (i64, Vec<u8>) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(w.conn())
                    .await?;
            let (prev_seq, prev) = to_head(seq, hash)?;
            let ev = event(prev_seq + 1, &e);
            let hash = ev.hash(&prev);
            bind_event!(sqlx::query(INSERT), ev, prev, hash)
                .execute(w.conn())
                .await?;
            w.state().head = Some((ev.seq, hash));
            Ok(ev.seq)
        }
        Tx::Postgres(tx) => {
            // Taking the head row's lock serialises appends across every server.
            let (seq, prev): (i64, Vec<u8>) = sqlx::query_as(
                "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
            )
            .fetch_one(&mut **tx)
            .await?;
            let (_, prev) = to_head(0, prev)?;
            let ev = event(seq, &e);
            let hash = ev.hash(&prev);
            bind_event!(sqlx::query(INSERT), ev, prev, hash)
                .execute(&mut **tx)
                .await?;
            Ok(seq)
        }
    }
}

/// An event as read back, with names for people.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    /// Sequence number.
    pub seq: i64,
    pub occurred_at: Ts,
    pub actor_id: Option<Uuid>,
    /// Their name.
    pub actor_name: Option<String>,
    /// Whose trail.
    pub organisation_id: Option<Uuid>,
    /// Its name.
    pub organisation_name: Option<String>,
    /// What.
    pub action: String,
    /// Target kind.
    pub target_kind: String,
    /// Target.
    pub target_id: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// JSON details.
    pub detail: String,
    /// Client address.
    pub ip: Option<String>,
    /// This event's hash.
    pub hash: Vec<u8>,
}

/// Filters for reading the trail.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Action starts with (`person.` for every person event).
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<Uuid>,
    /// Only this organisation's subtree.
    pub organisation: Option<Uuid>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// From (inclusive).
    pub from: Option<Ts>,
    /// Until (exclusive).
    pub until: Option<Ts>,
    /// Only events before this sequence number (for paging backwards).
    pub before_seq: Option<i64>,
}

/// Events within `scope` that match `filter`, newest first, at most `limit`.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, StorageError> {
    let cond = org_condition("e.organisation_id", scope, 1);
    let mut n = cond.ids.len();
    let mut wheres = vec![cond.sql];
    let mut next = |sql: &str| {
        n += 1;
        sql.replace("$?", &format!("${n}"))
    };
    let action = filter
        .action
        .as_deref()
        // A prefix match: the wildcards are escaped, not dropped, so that `person.reset_`
        // finds `person.reset_password`.
        .map(|a| {
            let escaped = a
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("{escaped}%")
        });
    if action.is_some() {
        wheres.push(next("e.action LIKE $? ESCAPE '\\'"));
    }
    if filter.actor.is_some() {
        wheres.push(next("e.actor_id = $?"));
    }
    if filter.organisation.is_some() {
        wheres.push(next("e.organisation_id IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id = $?)"));
    }
    if filter.outcome.is_some() {
        wheres.push(next("e.outcome = $?"));
    }
    if filter.from.is_some() {
        wheres.push(next("e.occurred_at >= $?"));
    }
    if filter.until.is_some() {
        wheres.push(next("e.occurred_at < $?"));
    }
    if filter.before_seq.is_some() {
        wheres.push(next("e.seq < $?"));
    }
    let limit_sql = next("$?");
    let sql = format!(
        "SELECT e.seq, e.occurred_at, e.actor_id, a.name AS actor_name, e.organisation_id, o.name AS organisation_name,
                e.action, e.target_kind, e.target_id, e.outcome, e.detail, e.ip, e.hash
         FROM audit_events e
         LEFT JOIN persons a ON a.id = e.actor_id
         LEFT JOIN organisations o ON o.id = e.organisation_id
         WHERE {} ORDER BY e.seq DESC LIMIT {limit_sql}",
        wheres.join(" AND ")
    );
    Ok(on_db!(db, p => {
        let mut q = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        if let Some(a) = &action {
            q = q.bind(a.clone());
        }
        for id in [filter.actor, filter.organisation].into_iter().flatten() {
            q = q.bind(id);
        }
        if let Some(o) = &filter.outcome {
            q = q.bind(o.clone());
        }
        for t in [filter.from, filter.until].into_iter().flatten() {
            q = q.bind(t);
        }
        if let Some(s) = filter.before_seq {
            q = q.bind(s);
        }
        q.bind(limit).fetch_all(p).await
    })?)
}

#[derive(FromRow)]
struct ChainRow {
    seq: i64,
    occurred_at: Ts,
    actor_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
    action: String,
    target_kind: String,
    target_id: Option<String>,
    outcome: String,
    detail: String,
    ip: Option<String>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    encoding: i32,
    detail_sha256: Option<String>,
    redacted: bool,
}

/// The columns the verifier reads, in the order both readers take them.
const CHAIN_COLUMNS: &str =
    "seq, occurred_at, actor_id, organisation_id, action, target_kind, target_id,
                             outcome, detail, ip, prev_hash, hash, encoding, detail_sha256,
                             redacted_at IS NOT NULL AS redacted";

/// Re-walks the whole chain from the first event to the head. The outer error is a
/// database failure; the inner one names the first event that does not verify.
pub async fn verify(db: &Db) -> Result<Result<i64, ChainError>, StorageError> {
    match db {
        // A thread of its own reads the file directly and hashes each row as SQLite steps
        // to it: handed between threads one row at a time, as the pool does, the rows cost
        // several times what hashing them does.
        Db::Sqlite { path, .. } => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || verify_sqlite_file(&path))
                .await
                .map_err(|e| StorageError::Config(format!("the audit verifier stopped: {e}")))?
        }
        Db::Postgres(pool) => verify_postgres(pool).await,
    }
}

/// The SQLite chain, read in one snapshot (the head and every event up to it).
fn verify_sqlite_file(path: &std::path::Path) -> Result<Result<i64, ChainError>, StorageError> {
    use rusqlite::types::ValueRef;
    use rusqlite::{Connection, OpenFlags};

    fn text<'r>(v: ValueRef<'r>) -> rusqlite::Result<&'r str> {
        Ok(v.as_str()?)
    }
    fn blob<'r>(v: ValueRef<'r>) -> rusqlite::Result<&'r [u8]> {
        Ok(v.as_blob()?)
    }
    fn optional_text<'r>(v: ValueRef<'r>) -> rusqlite::Result<Option<&'r str>> {
        Ok(v.as_str_or_null()?)
    }
    // sqlx keeps a UUID as its sixteen bytes.
    fn uuid(v: ValueRef<'_>) -> rusqlite::Result<Option<Uuid>> {
        match v.as_blob_or_null()? {
            None => Ok(None),
            Some(b) => Uuid::from_slice(b).map(Some).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(16, rusqlite::types::Type::Blob, e.into())
            }),
        }
    }

    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // One read transaction: events appended while we walk are past its snapshot's head.
    let snapshot = conn.unchecked_transaction()?;
    let (head_seq, head_hash): (i64, Vec<u8>) =
        snapshot.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let mut statement = snapshot.prepare(&format!(
        "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE seq <= ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([head_seq])?;
    let mut verifier = ChainVerifier::default();
    while let Some(r) = rows.next()? {
        let event = EventView {
            seq: r.get(0)?,
            occurred_at_us: r.get(1)?,
            actor: uuid(r.get_ref(2)?)?,
            organisation: uuid(r.get_ref(3)?)?,
            action: text(r.get_ref(4)?)?,
            target_kind: text(r.get_ref(5)?)?,
            target_id: optional_text(r.get_ref(6)?)?,
            outcome: text(r.get_ref(7)?)?,
            detail: text(r.get_ref(8)?)?,
            ip: optional_text(r.get_ref(9)?)?,
            encoding: u8::try_from(r.get::<_, i64>(12)?).unwrap_or(u8::MAX),
            detail_sha256: optional_text(r.get_ref(13)?)?,
            redacted: r.get(14)?,
        };
        let prev_hash = blob(r.get_ref(10)?)?;
        let hash = blob(r.get_ref(11)?)?;
        if let Err(e) = verifier.next_view(&event, prev_hash, hash) {
            return Ok(Err(e));
        }
    }
    Ok(verifier.finish(head_seq, &head_hash))
}

/// The PostgreSQL chain, read in large pages.
async fn verify_postgres(pool: &sqlx::PgPool) -> Result<Result<i64, ChainError>, StorageError> {
    // Read the head first: events appended while we walk are past it and not our concern.
    let (head_seq, head_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
    let page = format!(
        "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 10000"
    );
    let mut verifier = ChainVerifier::default();
    let mut after = 0_i64;
    loop {
        let rows: Vec<ChainRow> = sqlx::query_as(AssertSqlSafe(page.as_str()))
            .bind(after)
            .bind(head_seq)
            .fetch_all(pool)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            let event = EventView {
                seq: r.seq,
                occurred_at_us: r.occurred_at.micros(),
                actor: r.actor_id,
                organisation: r.organisation_id,
                action: &r.action,
                target_kind: &r.target_kind,
                target_id: r.target_id.as_deref(),
                outcome: &r.outcome,
                detail: &r.detail,
                ip: r.ip.as_deref(),
                encoding: u8::try_from(r.encoding).unwrap_or(u8::MAX),
                detail_sha256: r.detail_sha256.as_deref(),
                redacted: r.redacted,
            };
            if let Err(e) = verifier.next_view(&event, &r.prev_hash, &r.hash) {
                return Ok(Err(e));
            }
        }
    }
    Ok(verifier.finish(head_seq, &head_hash))
}

/// The head of the chain: the last sequence number and its hash.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), StorageError> {
    Ok(
        on_db!(db, p => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await)?,
    )
}

/// The hash of event `seq`, if the chain holds it.
pub async fn hash_at(db: &Db, seq: i64) -> Result<Option<Vec<u8>>, StorageError> {
    let row: Option<(Vec<u8>,)> = on_db!(db, p => sqlx::query_as("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(seq)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|(h,)| h))
}

/// The ids an audit page mentions, to be named together.
#[derive(Debug, Default, Clone)]
pub struct NameRequest {
    /// People (targets, designees, token holders).
    pub persons: Vec<Uuid>,
    /// Organisations (moves, relations, parents).
    pub organisations: Vec<Uuid>,
    /// Posts.
    pub posts: Vec<Uuid>,
    /// Cases.
    pub cases: Vec<Uuid>,
    /// Designations (named by their holder and role).
    pub designations: Vec<Uuid>,
    /// Assessments.
    pub assessments: Vec<Uuid>,
}

impl NameRequest {
    /// Whether there is nothing to look up.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
            && self.organisations.is_empty()
            && self.posts.is_empty()
            && self.cases.is_empty()
            && self.designations.is_empty()
            && self.assessments.is_empty()
    }
}

/// One named thing: `kind` says which table, `name` what people call it; a case also
/// gives its library, version and procedure (`a`, `b`, `c`), a designation its role (`a`).
#[derive(Debug, Clone, FromRow)]
pub struct NamedRow {
    /// `person`, `organisation`, `post`, `case`, `designation` or `assessment`.
    pub kind: String,
    /// Its id.
    pub id: Uuid,
    /// Its name (a case's or assessment's title; a designation's holder).
    pub name: String,
    /// First extra column.
    pub a: Option<String>,
    /// Second extra column.
    pub b: Option<String>,
    /// Third extra column.
    pub c: Option<String>,
}

/// Names every id of `wanted` in one query, so that a page of events costs one round trip
/// whatever it mentions. Ids that no longer exist are simply missing from the answer.
pub async fn names(db: &Db, wanted: &NameRequest) -> Result<Vec<NamedRow>, StorageError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    const NONE: &str = "CAST(NULL AS TEXT)";
    let parts: [(&[Uuid], String); 6] = [
        (
            &wanted.persons,
            format!("SELECT 'person' AS kind, id, name, {NONE} AS a, {NONE} AS b, {NONE} AS c FROM persons WHERE id IN"),
        ),
        (
            &wanted.organisations,
            format!("SELECT 'organisation' AS kind, id, name, {NONE} AS a, {NONE} AS b, {NONE} AS c FROM organisations WHERE id IN"),
        ),
        (
            &wanted.posts,
            format!("SELECT 'post' AS kind, id, name, {NONE} AS a, {NONE} AS b, {NONE} AS c FROM posts WHERE id IN"),
        ),
        (
            &wanted.cases,
            "SELECT 'case' AS kind, id, title AS name, library_id AS a, library_version AS b, procedure_id AS c FROM cases WHERE id IN".to_owned(),
        ),
        (
            &wanted.designations,
            format!(
                "SELECT 'designation' AS kind, d.id AS id, COALESCE(p.name, po.name, '') AS name, d.role AS a, {NONE} AS b, {NONE} AS c
                 FROM designations d LEFT JOIN persons p ON p.id = d.person_id
                 LEFT JOIN posts po ON po.id = d.post_id WHERE d.id IN"
            ),
        ),
        (
            &wanted.assessments,
            format!("SELECT 'assessment' AS kind, id, title AS name, {NONE} AS a, {NONE} AS b, {NONE} AS c FROM assessments WHERE id IN"),
        ),
    ];
    let mut n = 0;
    let mut selects = Vec::new();
    let mut ids: Vec<Uuid> = Vec::new();
    for (list, select) in parts {
        if list.is_empty() {
            continue;
        }
        let marks: Vec<String> = list
            .iter()
            .map(|_| {
                n += 1;
                format!("${n}")
            })
            .collect();
        selects.push(format!("{select} ({})", marks.join(", ")));
        ids.extend_from_slice(list);
    }
    let sql = selects.join(" UNION ALL ");
    Ok(on_db!(db, p => {
        let mut q = sqlx::query_as::<_, NamedRow>(AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}

/// Removes the details of the events about a deleted record, keeping their digests: those
/// whose target it is, and those of actions starting with `mentioned_by` (`register.`) whose
/// detail names it. Only events of encoding 2 can be: the hash of an older one covers its
/// detail. Returns how many were redacted.
pub async fn redact(
    tx: &mut Tx,
    target: (&str, &str),
    mentioned_by: Option<&str>,
    now: Ts,
) -> Result<u64, StorageError> {
    const SQL: &str = "UPDATE audit_events SET detail = $3, redacted_at = $4
        WHERE encoding = 2 AND redacted_at IS NULL
          AND ((target_kind = $1 AND target_id = $2)
               OR ($5 <> '' AND action LIKE $5 AND detail LIKE $6))";
    let prefix = mentioned_by.map(|p| format!("{p}%")).unwrap_or_default();
    let mention = format!("%{}%", target.1);
    Ok(
        on_tx!(tx, x => sqlx::query(SQL).bind(target.0).bind(target.1).bind(REDACTED).bind(now)
        .bind(&prefix).bind(&mention).execute(x).await.map(|r| r.rows_affected()))?,
    )
}
