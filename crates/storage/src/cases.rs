//! Cases (案件): one run of a procedure, its history, and whom it waits on.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::{Page, PageRequest, capped_count, like_pattern, org_condition};
use crate::types::{Day, Ts};
use crate::{Db, Src, StorageError, Tx, on_src, on_tx};

/// A case as stored; `data` and `done` are JSON.
#[derive(Debug, Clone, FromRow)]
pub struct CaseRow {
    pub id: Uuid,
    /// Library.
    pub library_id: String,
    /// The library version it was opened under.
    pub library_version: String,
    /// Procedure.
    pub procedure_id: String,
    /// The organisation it is for.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Shown in lists.
    pub title: String,
    /// Present state.
    pub state: String,
    /// Form and action fields, a JSON object.
    pub data: String,
    /// Actions taken, a JSON array.
    pub done: String,
    /// Who opened it.
    pub created_by: Uuid,
    /// Their name.
    pub created_by_name: String,
    /// Opened.
    pub created_at: Ts,
    /// Last changed.
    pub updated_at: Ts,
    /// Reached a final state.
    pub closed_at: Option<Ts>,
    /// The earliest deadline running in the present state.
    pub due_at: Option<Ts>,
    /// Its classification or handling mark (an id of the library's marks).
    pub mark: Option<String>,
    /// The mark restricts reading to those who need to know.
    pub need_to_know: bool,
    /// Where it has been routed beyond its organisation, a JSON object.
    pub routing: String,
    /// Its number in the installation, read aloud on the phone: `2026-0012`.
    pub number: String,
    /// Since when a legal hold keeps it past its retention, if one does.
    pub held_at: Option<Ts>,
    /// Why it is held.
    pub hold_reason: Option<String>,
}

const COLUMNS: &str = "c.id, c.library_id, c.library_version, c.procedure_id, c.organisation_id,
    o.name AS organisation_name, c.title, c.state, c.data, c.done, c.created_by,
    p.name AS created_by_name, c.created_at, c.updated_at, c.closed_at, c.due_at, c.mark,
    c.need_to_know, c.routing, COALESCE(c.number, '') AS number, c.held_at, c.hold_reason";
const FROM: &str = "cases c JOIN organisations o ON o.id = c.organisation_id
    JOIN persons p ON p.id = c.created_by";

/// A new case.
pub struct NewCase<'a> {
    pub id: Uuid,
    /// Library.
    pub library: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Procedure.
    pub procedure: &'a str,
    /// For which organisation.
    pub organisation: Uuid,
    /// Title.
    pub title: &'a str,
    /// Initial state.
    pub state: &'a str,
    /// Data (JSON object).
    pub data: &'a str,
    /// Its mark, and whether the mark restricts reading.
    pub mark: (Option<&'a str>, bool),
    /// Who opens it.
    pub by: Uuid,
    pub now: Ts,
    /// The year of `now` in the installation's zone, which its number counts in.
    pub year: i16,
}

/// Opens a case; returns the number it was given.
pub async fn insert(tx: &mut Tx, c: &NewCase<'_>) -> Result<String, StorageError> {
    const SQL: &str =
        "INSERT INTO cases (id, library_id, library_version, procedure_id, organisation_id, title,
                       state, data, done, created_by, created_at, updated_at, search_text, mark, need_to_know, number)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $10, $10, $11, $12, $13, $14)";
    let number = next_number(tx, c.year).await?;
    let search = search_text(c.title, c.data);
    on_tx!(tx, x => sqlx::query(SQL).bind(c.id).bind(c.library).bind(c.version).bind(c.procedure).bind(c.organisation)
        .bind(c.title).bind(c.state).bind(c.data).bind(c.by).bind(c.now).bind(&search).bind(c.mark.0).bind(c.mark.1)
        .bind(&number).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(number)
}

/// Takes the next case number of `year` in the creating transaction. The upsert locks the
/// year's row until the transaction ends, so concurrent creations on PostgreSQL queue for
/// it instead of reading the same last number (SQLite has one writer anyway); a creation
/// rolled back gives its number back.
async fn next_number(tx: &mut Tx, year: i16) -> Result<String, StorageError> {
    const SQL: &str = "INSERT INTO case_numbers (year, last) VALUES ($1, 1)
        ON CONFLICT (year) DO UPDATE SET last = case_numbers.last + 1 RETURNING last";
    let last: i32 =
        on_tx!(tx, x => sqlx::query_scalar(SQL).bind(i32::from(year)).fetch_one(x).await)?;
    Ok(case_number(year, last))
}

/// A case number as people read it: the year, a hyphen and the sequence in four digits at
/// least (`2026-0012`).
pub fn case_number(year: i16, sequence: i32) -> String {
    format!("{year}-{sequence:04}")
}

/// What a case is found by: its title and every value of its data, one per line,
/// lower-cased (full-width Latin letters too), so that a search ignores case.
pub fn search_text(title: &str, data: &str) -> String {
    fn values(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Number(n) => out.push(n.to_string()),
            serde_json::Value::Array(items) => items.iter().for_each(|i| values(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| values(i, out)),
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }
    let mut out = vec![title.to_owned()];
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
        values(&v, &mut out);
    }
    out.join("\n").to_lowercase()
}

/// Whether `person` acted in the case (opened, saved, took an action, commented).
pub async fn acted_in<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
    person: Uuid,
) -> Result<bool, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM case_events WHERE actor_id = $1 AND case_id = $2";
    let n: i64 = on_src!(src.into(), x => sqlx::query_scalar(SQL).bind(person).bind(case).fetch_one(x).await)?;
    Ok(n > 0)
}

/// Reads a case.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<CaseRow, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1");
    on_src!(src.into(), x => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(x).await)?
        .ok_or(StorageError::NotFound)
}

/// What a transition or a save changes.
pub struct CaseUpdate<'a> {
    /// Title.
    pub title: &'a str,
    /// State.
    pub state: &'a str,
    /// Data (JSON object).
    pub data: &'a str,
    /// Its mark, and whether the mark restricts reading.
    pub mark: (Option<&'a str>, bool),
    /// Actions taken (JSON array).
    pub done: &'a str,
    pub now: Ts,
    /// Set when the state is final.
    pub closed_at: Option<Ts>,
}

/// Updates a case, only if it is still in `expected_state` (so two people acting at once
/// cannot both move it); `Conflict("state")` otherwise.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    expected_state: &str,
    u: &CaseUpdate<'_>,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE cases SET title = $3, state = $4, data = $5, done = $6, updated_at = $7, closed_at = $8,
                       search_text = $9, mark = $10, need_to_know = $11 WHERE id = $1 AND state = $2";
    let search = search_text(u.title, u.data);
    let n = on_tx!(tx, x => sqlx::query(SQL).bind(id).bind(expected_state).bind(u.title).bind(u.state).bind(u.data)
        .bind(u.done).bind(u.now).bind(u.closed_at).bind(&search).bind(u.mark.0).bind(u.mark.1)
        .execute(x).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StorageError::Conflict("state"));
    }
    Ok(())
}

/// Records when a case was first reported up (to the bodies its organisation reports to);
/// reporting again keeps the first time.
pub async fn mark_reported_up(tx: &mut Tx, id: Uuid, now: Ts) -> Result<(), StorageError> {
    const SQL: &str =
        "UPDATE cases SET reported_up_at = $2 WHERE id = $1 AND reported_up_at IS NULL";
    on_tx!(tx, x => sqlx::query(SQL).bind(id).bind(now).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The position of the last entry of a case's history (0 before any): whatever is
/// recorded in a case adds to its history, so an unchanged number means an unchanged case.
pub async fn last_event<'a>(src: impl Into<Src<'a>>, case: Uuid) -> Result<i64, StorageError> {
    const SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM case_events WHERE case_id = $1";
    Ok(on_src!(src.into(), x => sqlx::query_scalar(SQL).bind(case).fetch_one(x).await)?)
}

/// One entry of a case's history.
#[derive(Debug, Clone, FromRow)]
pub struct CaseEventRow {
    /// Position in the case's history, from 1.
    pub seq: i64,
    pub occurred_at: Ts,
    pub actor_id: Option<Uuid>,
    /// Their name.
    pub actor_name: Option<String>,
    /// `open`, `save`, `comment` or a transition's action.
    pub action: String,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// The comment given.
    pub comment: String,
    /// Fields given with the action (JSON object).
    pub data: String,
    /// What the entry says beyond its action (JSON object): the party a decision was
    /// given as, an exception's reason.
    pub detail: String,
}

/// A new history entry.
pub struct NewCaseEvent<'a> {
    pub actor: Option<Uuid>,
    /// What.
    pub action: &'a str,
    /// State before.
    pub from_state: Option<&'a str>,
    /// State after.
    pub to_state: Option<&'a str>,
    /// Comment.
    pub comment: &'a str,
    /// Fields (JSON object).
    pub data: &'a str,
    /// What it says beyond its action (JSON object; `{}` for nothing).
    pub detail: &'a str,
    pub now: Ts,
}

/// Appends to a case's history; returns the entry's place in it.
pub async fn append_event(
    tx: &mut Tx,
    case: Uuid,
    e: &NewCaseEvent<'_>,
) -> Result<i64, StorageError> {
    const SQL: &str = "INSERT INTO case_events (case_id, seq, occurred_at, actor_id, action, from_state, to_state, comment, data, detail)
        VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_events WHERE case_id = $1), $2, $3, $4, $5, $6, $7, $8, $9)
        RETURNING seq";
    Ok(
        on_tx!(tx, x => sqlx::query_scalar(SQL).bind(case).bind(e.now).bind(e.actor).bind(e.action).bind(e.from_state)
        .bind(e.to_state).bind(e.comment).bind(e.data).bind(e.detail).fetch_one(x).await)?,
    )
}

/// Lists an exception taken in the unavoidable case (the history entry `seq`) for the
/// holders of each (role, organisation).
pub async fn add_override(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    overseers: &[(String, Uuid)],
) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO case_overrides (case_id, event_seq, role, organisation_id)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    for (role, org) in overseers {
        on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(seq).bind(role).bind(*org)
            .execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Lists an action taken in an emergency (the history entry `seq`) for the holders of
/// each (role, organisation) that ratifies it, due by `due`.
pub async fn add_emergency(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    ratifiers: &[(String, Uuid)],
    due: Option<Ts>,
) -> Result<(), StorageError> {
    const SQL: &str =
        "INSERT INTO case_emergencies (case_id, event_seq, role, organisation_id, due_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    for (role, org) in ratifiers {
        on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(seq).bind(role).bind(*org).bind(due)
            .execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Marks the emergency at `seq` ratified or rejected: it leaves every list.
pub async fn close_emergency(
    tx: &mut Tx,
    case: Uuid,
    seq: i64,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE case_emergencies SET closed_at = $3
        WHERE case_id = $1 AND event_seq = $2 AND closed_at IS NULL";
    on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(seq).bind(now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// An action taken in an emergency that waits on ratification, as listed for whoever
/// ratifies it.
#[derive(Debug, Clone, FromRow)]
pub struct EmergencyRow {
    /// The case.
    pub case_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// When it must be ratified by.
    pub due_at: Option<Ts>,
    /// The history entry.
    #[sqlx(flatten)]
    pub event: CaseEventRow,
}

/// The emergencies waiting on ratification by roles `person` holds on `today`, the
/// earliest due first.
pub async fn emergencies_for<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
    today: Day,
    limit: i64,
) -> Result<Vec<EmergencyRow>, StorageError> {
    let sql = format!(
        "SELECT c.id AS case_id, c.number, c.title,
            (SELECT MIN(m.due_at) FROM case_emergencies m
              WHERE m.case_id = e.case_id AND m.event_seq = e.seq) AS due_at,
            e.seq, e.occurred_at, e.actor_id, p.name AS actor_name, e.action, e.from_state,
            e.to_state, e.comment, e.data, e.detail
         FROM case_events e JOIN cases c ON c.id = e.case_id
         LEFT JOIN persons p ON p.id = e.actor_id
         WHERE {}
         ORDER BY due_at, e.occurred_at LIMIT $3",
        listed_for("case_emergencies", "AND o.closed_at IS NULL", 1, 2)
    );
    Ok(on_src!(src.into(), x => sqlx::query_as(AssertSqlSafe(sql))
        .bind(person).bind(today).bind(limit).fetch_all(x).await)?)
}

/// An exception taken in the unavoidable case, as listed for its overseers.
#[derive(Debug, Clone, FromRow)]
pub struct OverrideRow {
    /// The case.
    pub case_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// The history entry.
    #[sqlx(flatten)]
    pub event: CaseEventRow,
}

/// The exceptions listed for the holders of roles `person` holds on `today`, latest first.
pub async fn overrides_for<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
    today: Day,
    limit: i64,
) -> Result<Vec<OverrideRow>, StorageError> {
    let sql = format!(
        "SELECT c.id AS case_id, c.number, c.title, e.seq, e.occurred_at, e.actor_id,
            p.name AS actor_name, e.action, e.from_state, e.to_state, e.comment, e.data, e.detail
         FROM case_events e JOIN cases c ON c.id = e.case_id
         LEFT JOIN persons p ON p.id = e.actor_id
         WHERE {}
         ORDER BY e.occurred_at DESC, e.seq DESC LIMIT $3",
        listed_for("case_overrides", "", 1, 2)
    );
    Ok(on_src!(src.into(), x => sqlx::query_as(AssertSqlSafe(sql))
        .bind(person).bind(today).bind(limit).fetch_all(x).await)?)
}

/// History entries `e` listed in `table` (rows of case, entry, role and organisation) for
/// a (role, organisation) the person `$person` holds on `$day`; `more` narrows the rows.
fn listed_for(table: &str, more: &str, person: usize, day: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM {table} o JOIN designations d
           ON d.role = o.role AND d.organisation_id = o.organisation_id
         WHERE o.case_id = e.case_id AND o.event_seq = e.seq {more} AND {})",
        held_on("d", person, day)
    )
}

/// The designation `d` is in force on `$day` and held by `$person`, directly or through a
/// post they hold that day.
fn held_on(d: &str, person: usize, day: usize) -> String {
    format!(
        "{d}.starts_on <= ${day}
         AND ({d}.ends_on IS NULL OR {d}.ends_on > ${day} OR ({d}.ends_on = ${day} AND {d}.revoked_at IS NULL))
         AND ({d}.person_id = ${person} OR {d}.post_id IN (
           SELECT h.post_id FROM post_holders h WHERE h.person_id = ${person}
              AND h.starts_on <= ${day} AND (h.ends_on IS NULL OR h.ends_on >= ${day})))"
    )
}

/// A case's history, oldest first.
pub async fn events<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
) -> Result<Vec<CaseEventRow>, StorageError> {
    const SQL: &str =
        "SELECT e.seq, e.occurred_at, e.actor_id, p.name AS actor_name, e.action, e.from_state,
        e.to_state, e.comment, e.data, e.detail FROM case_events e LEFT JOIN persons p ON p.id = e.actor_id
        WHERE e.case_id = $1 ORDER BY e.seq";
    Ok(on_src!(src.into(), x => sqlx::query_as(SQL).bind(case).fetch_all(x).await)?)
}

/// The histories of many cases in one query per few hundred: case → its events in order
/// (an overview over every site, not one query per row).
pub async fn events_of(
    db: &Db,
    cases: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<CaseEventRow>>, StorageError> {
    #[derive(FromRow)]
    struct Of {
        case_id: Uuid,
        #[sqlx(flatten)]
        event: CaseEventRow,
    }
    let mut out: std::collections::HashMap<Uuid, Vec<CaseEventRow>> = Default::default();
    for chunk in cases.chunks(500) {
        let sql = format!(
            "SELECT e.case_id, e.seq, e.occurred_at, e.actor_id, p.name AS actor_name, e.action,
             e.from_state, e.to_state, e.comment, e.data, e.detail
             FROM case_events e LEFT JOIN persons p ON p.id = e.actor_id
             WHERE e.case_id IN ({}) ORDER BY e.case_id, e.seq",
            crate::scope::placeholders(1, chunk.len())
        );
        let rows: Vec<Of> = crate::on_db!(db, p => {
            let mut q = sqlx::query_as::<_, Of>(AssertSqlSafe(sql));
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(p).await
        })?;
        for r in rows {
            out.entry(r.case_id).or_default().push(r.event);
        }
    }
    Ok(out)
}

/// Replaces whom a case waits on: (role, organisation, row) — the row when the role is
/// held for the register row the case is about.
pub async fn set_waits(
    tx: &mut Tx,
    case: Uuid,
    waits: &[(String, Uuid, Option<Uuid>)],
) -> Result<(), StorageError> {
    on_tx!(tx, x => sqlx::query("DELETE FROM case_waits WHERE case_id = $1").bind(case).execute(x).await.map(|r| r.rows_affected()))?;
    for (role, org, row) in waits {
        const SQL: &str =
            "INSERT INTO case_waits (case_id, role, organisation_id, row_id) VALUES ($1, $2, $3, $4)
                           ON CONFLICT DO NOTHING";
        on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(role).bind(*org).bind(*row).execute(x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Records the earliest deadline running in the case's present state.
pub async fn set_due(tx: &mut Tx, case: Uuid, due: Option<Ts>) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE cases SET due_at = $2 WHERE id = $1";
    on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(due).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records where a case has been routed beyond its organisation (see [`CaseRow::routing`]).
pub async fn set_routing(tx: &mut Tx, case: Uuid, routing: &str) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE cases SET routing = $2 WHERE id = $1";
    on_tx!(tx, x => sqlx::query(SQL).bind(case).bind(routing).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whom a case waits on now: (role, organisation, row), as the last action left them.
pub async fn waits<'a>(
    src: impl Into<Src<'a>>,
    case: Uuid,
) -> Result<Vec<(String, Uuid, Option<Uuid>)>, StorageError> {
    const SQL: &str = "SELECT role, organisation_id, row_id FROM case_waits WHERE case_id = $1";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(case).fetch_all(c).await)?)
}

/// The people a case waits on today: holders, directly or through a post, of a role the
/// case waits on in the organisation it waits on it.
pub async fn waiting_people(
    tx: &mut Tx,
    case: Uuid,
    today: Day,
) -> Result<Vec<Uuid>, StorageError> {
    const SQL: &str = "SELECT d.person_id FROM case_waits w JOIN designations d
          ON d.role = w.role AND d.organisation_id = w.organisation_id
         AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
        WHERE w.case_id = $1 AND w.row_id IS NULL AND d.person_id IS NOT NULL
        UNION
        SELECT h.person_id FROM case_waits w JOIN designations d
          ON d.role = w.role AND d.organisation_id = w.organisation_id
         AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
          JOIN post_holders h ON h.post_id = d.post_id
         AND h.starts_on <= $2 AND (h.ends_on IS NULL OR h.ends_on >= $2)
        WHERE w.case_id = $1 AND w.row_id IS NULL
        UNION
        SELECT r.person_id FROM case_waits w JOIN row_designations r
          ON r.role = w.role AND r.row_id = w.row_id
         AND r.starts_on <= $2 AND (r.ends_on IS NULL OR r.ends_on >= $2) AND r.ended_at IS NULL
        WHERE w.case_id = $1";
    let rows: Vec<(Uuid,)> =
        on_tx!(tx, x => sqlx::query_as(SQL).bind(case).bind(today).fetch_all(x).await)?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Filters for case lists.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    /// Only this procedure (`library/procedure`).
    pub procedure: Option<(String, String)>,
    /// Only open (true) or closed (false) cases.
    pub open: Option<bool>,
    /// Words that must all appear in the title or the form's values.
    pub q: Option<String>,
    /// Only cases in this state.
    pub state: Option<String>,
    /// Only cases of this organisation.
    pub organisation: Option<Uuid>,
    /// Only cases of one of these organisations.
    pub among: Option<Vec<Uuid>>,
    /// Only cases whose deadline passed before this instant.
    pub overdue_at: Option<Ts>,
    /// The reader, on this day: cases marked need-to-know are left out unless the reader
    /// opened them, acted in them or is waited on. Set by the application, never by a user.
    pub reader: Option<(Uuid, Day)>,
}

/// A value bound to a filter's placeholder.
enum Arg {
    Text(String),
    Time(Ts),
    Id(Uuid),
    Day(Day),
}

/// Binds filter arguments in order.
macro_rules! bind_args {
    ($q:ident, $args:expr) => {
        for a in $args {
            $q = match a {
                Arg::Text(s) => $q.bind(s.clone()),
                Arg::Time(t) => $q.bind(*t),
                Arg::Id(u) => $q.bind(*u),
                Arg::Day(d) => $q.bind(*d),
            };
        }
    };
}

/// Splits a search into words (half- or full-width spaces), at most ten.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || c == '\u{3000}')
        .filter(|w| !w.is_empty())
        .take(10)
        .map(str::to_lowercase)
        .collect()
}

/// A word as an FTS5 phrase: quoted, inner quotes doubled, so no word is read as syntax.
fn fts_phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// Cases waiting, on `$day`, on the person `$person` through a designation in force (held
/// directly or through a post).
fn waiting_on(person: usize, day: usize) -> String {
    format!(
        "(c.id IN (
        SELECT w.case_id FROM case_waits w JOIN designations d
          ON d.role = w.role AND d.organisation_id = w.organisation_id
        WHERE w.row_id IS NULL AND {})
        OR c.id IN (
        SELECT w.case_id FROM case_waits w JOIN row_designations r
          ON r.role = w.role AND r.row_id = w.row_id
        WHERE r.person_id = ${person} AND {}))",
        held_on("d", person, day),
        crate::row_designations::in_force_sql("r", day)
    )
}

fn filter_sql(db: &Db, filter: &CaseFilter, mut n: usize) -> (String, Vec<Arg>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    if let Some((person, day)) = filter.reader {
        let (p, d) = (n, n + 1);
        sql.push_str(&format!(
            " AND (NOT c.need_to_know OR c.created_by = ${p} OR EXISTS (SELECT 1 FROM case_events e
               WHERE e.actor_id = ${p} AND e.case_id = c.id) OR {})",
            waiting_on(p, d)
        ));
        args.push(Arg::Id(person));
        args.push(Arg::Day(day));
        n += 2;
    }
    let mut push = |sql: &mut String, clause: String, arg: Arg| {
        sql.push_str(&clause.replace("$?", &format!("${n}")));
        args.push(arg);
        n += 1;
    };
    if let Some((lib, proc_)) = &filter.procedure {
        push(
            &mut sql,
            " AND c.library_id = $?".into(),
            Arg::Text(lib.clone()),
        );
        push(
            &mut sql,
            " AND c.procedure_id = $?".into(),
            Arg::Text(proc_.clone()),
        );
    }
    match filter.open {
        Some(true) => sql.push_str(" AND c.closed_at IS NULL"),
        Some(false) => sql.push_str(" AND c.closed_at IS NOT NULL"),
        None => {}
    }
    if let Some(state) = &filter.state {
        push(
            &mut sql,
            " AND c.state = $?".into(),
            Arg::Text(state.clone()),
        );
    }
    if let Some(org) = filter.organisation {
        push(&mut sql, " AND c.organisation_id = $?".into(), Arg::Id(org));
    }
    if let Some(among) = &filter.among {
        if among.is_empty() {
            sql.push_str(" AND 1 = 0");
        }
        for (i, org) in among.iter().enumerate() {
            let open = if i == 0 {
                " AND c.organisation_id IN ("
            } else {
                ", "
            };
            push(&mut sql, format!("{open}$?"), Arg::Id(*org));
        }
        if !among.is_empty() {
            sql.push(')');
        }
    }
    if let Some(now) = filter.overdue_at {
        push(&mut sql, " AND c.due_at < $?".into(), Arg::Time(now));
    }
    let sqlite = matches!(db, Db::Sqlite { .. });
    for word in words(filter.q.as_deref().unwrap_or("")) {
        // Trigrams need three characters; shorter words are looked for directly.
        if sqlite && word.chars().count() >= 3 {
            push(
                &mut sql,
                " AND c.seq IN (SELECT rowid FROM case_search WHERE case_search MATCH $?)".into(),
                Arg::Text(fts_phrase(&word)),
            );
        } else {
            push(
                &mut sql,
                " AND c.search_text LIKE $? ESCAPE '\\'".into(),
                Arg::Text(like_pattern(&word)),
            );
        }
    }
    (sql, args)
}

/// Cases of the organisations in `scope`, latest change first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Page<CaseRow>, StorageError> {
    let cond = org_condition("c.organisation_id", scope, 1);
    let (extra, binds) = filter_sql(db, filter, cond.ids.len() + 1);
    let n = cond.ids.len() + binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {}{extra} ORDER BY c.updated_at DESC, c.id LIMIT ${} OFFSET ${}",
        cond.sql,
        n + 1,
        n + 2
    );
    let count = capped_count(&format!("cases c WHERE {}{extra}", cond.sql));
    let items = crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql));
        for id in &cond.ids { q = q.bind(*id); }
        bind_args!(q, &binds);
        q.bind(page.limit).bind(page.offset).fetch_all(p).await
    })?;
    let total: i64 = crate::on_db!(db, p => {
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count));
        for id in &cond.ids { q = q.bind(*id); }
        bind_args!(q, &binds);
        q.fetch_one(p).await
    })?;
    Ok(Page::counted(items, total))
}

/// The cases waiting on a person today: those whose waits match one of the person's
/// designations in force (held directly or through a post), oldest change first.
pub async fn inbox(
    db: &Db,
    person: Uuid,
    today: Day,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Page<CaseRow>, StorageError> {
    let waiting = waiting_on(1, 2);
    let (extra, binds) = filter_sql(db, filter, 3);
    let n = 2 + binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {waiting}{extra}
         ORDER BY CASE WHEN c.due_at IS NULL THEN 1 ELSE 0 END, c.due_at, c.updated_at, c.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let count = capped_count(&format!("cases c WHERE {waiting}{extra}"));
    let items = crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql)).bind(person).bind(today);
        bind_args!(q, &binds);
        q.bind(page.limit).bind(page.offset).fetch_all(p).await
    })?;
    let total: i64 = crate::on_db!(db, p => {
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count)).bind(person).bind(today);
        bind_args!(q, &binds);
        q.fetch_one(p).await
    })?;
    Ok(Page::counted(items, total))
}

/// Cases matching `filter` whoever may read them, latest change first: the caller decides
/// reading case by case (an overview across the organisations a role relates to).
pub async fn matching(
    db: &Db,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Vec<CaseRow>, StorageError> {
    let (extra, binds) = filter_sql(db, filter, 1);
    let n = binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE 1 = 1{extra}
         ORDER BY c.updated_at DESC, c.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql));
        bind_args!(q, &binds);
        q.bind(page.limit).bind(page.offset).fetch_all(p).await
    })?)
}

/// The cases a person is part of without reading them by office: those they acted in or
/// that wait on them today, latest change first.
pub async fn involving(
    db: &Db,
    person: Uuid,
    today: Day,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Vec<CaseRow>, StorageError> {
    let waiting = waiting_on(1, 2);
    let (extra, binds) = filter_sql(db, filter, 3);
    let n = 2 + binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE ({waiting} OR c.id IN (SELECT e.case_id FROM case_events e WHERE e.actor_id = $1)){extra}
         ORDER BY c.updated_at DESC, c.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql)).bind(person).bind(today);
        bind_args!(q, &binds);
        q.bind(page.limit).bind(page.offset).fetch_all(p).await
    })?)
}

/// When each of `cases` first left `state` (a draft sent on): (case, instant).
pub async fn first_left(
    db: &Db,
    cases: &[Uuid],
    state: &str,
) -> Result<Vec<(Uuid, Ts)>, StorageError> {
    let mut out = Vec::new();
    // A few hundred placeholders at a time stays far below either database's limit.
    for chunk in cases.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT e.case_id, MIN(e.occurred_at) FROM case_events e
             WHERE e.from_state = $1 AND e.to_state <> $1 AND e.case_id IN ({})
             GROUP BY e.case_id",
            list.join(", ")
        );
        let rows: Vec<(Uuid, Ts)> = crate::on_db!(db, p => {
            let mut q = sqlx::query_as::<_, (Uuid, Ts)>(AssertSqlSafe(sql)).bind(state);
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(p).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}
