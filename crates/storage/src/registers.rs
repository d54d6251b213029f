//! Register (台帳) rows and their history.

use std::collections::BTreeSet;

use mamori_domain::policy::Scope;
use serde_json::Value;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::{Page, PageRequest, capped_count, org_condition, placeholders};
use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A register row as stored; `data` is a JSON object.
#[derive(Debug, Clone, FromRow)]
pub struct RowRecord {
    pub id: Uuid,
    /// The organisation that keeps it.
    pub organisation_id: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Canonical key.
    pub key_text: String,
    /// Columns.
    pub data: String,
    pub created_at: Ts,
    /// Last changed.
    pub updated_at: Ts,
    /// When it was retired, if it was.
    pub retired_at: Option<Ts>,
    /// Since when a legal hold keeps it past its retention, if one does.
    pub held_at: Option<Ts>,
    /// Why it is held.
    pub hold_reason: Option<String>,
}

const COLUMNS: &str = "r.id, r.organisation_id, o.name AS organisation_name, r.key_text, r.data, r.created_at, r.updated_at, r.retired_at, r.held_at, r.hold_reason";

/// The live row with this key kept by one of `organisations` (nearest first as given).
pub async fn find<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    organisations: &[Uuid],
    key_text: &str,
) -> Result<Option<RowRecord>, StorageError> {
    if organisations.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 4))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.key_text = $3 AND r.retired_at IS NULL
           AND r.organisation_id IN ({})",
        list.join(", ")
    );
    let rows: Vec<RowRecord> = on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register).bind(key_text);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?;
    // The nearest organisation's row wins.
    Ok(organisations
        .iter()
        .find_map(|o| rows.iter().find(|r| r.organisation_id == *o).cloned()))
}

/// The live rows of a register kept by `organisations` (a list another organisation keeps
/// for a case to read), by key.
pub async fn kept_by<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    organisations: &[Uuid],
) -> Result<Vec<RowRecord>, StorageError> {
    if organisations.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (0..organisations.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.retired_at IS NULL
           AND r.organisation_id IN ({})
         ORDER BY r.key_text, o.name LIMIT 5000",
        list.join(", ")
    );
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register);
        for o in organisations { q = q.bind(*o); }
        q.fetch_all(c).await
    })?)
}

/// The live rows of a register in every organisation, by organisation and key.
pub async fn live<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
) -> Result<Vec<RowRecord>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.library_id = $1 AND r.register_id = $2 AND r.retired_at IS NULL
         ORDER BY r.organisation_id, r.key_text"
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)).bind(library).bind(register).fetch_all(c).await)?,
    )
}

/// A change to a register row.
pub struct RowWrite<'a> {
    /// Library.
    pub library: &'a str,
    /// Register.
    pub register: &'a str,
    /// The organisation that keeps the row.
    pub organisation: Uuid,
    /// Canonical key.
    pub key_text: &'a str,
    /// The merged columns (JSON object) the row has after the change.
    pub data: &'a str,
    /// Just the columns changed (JSON object), for the history.
    pub change: &'a str,
    pub actor: Uuid,
    /// The case that made the change, if one did.
    pub case: Option<Uuid>,
    /// `case`, `add`, `edit` or `import`.
    pub action: &'a str,
    /// Why, when given.
    pub comment: &'a str,
    pub now: Ts,
}

/// Creates or updates the row with this key, and records the change.
pub async fn write(tx: &mut Tx, w: &RowWrite<'_>) -> Result<Uuid, StorageError> {
    const FIND: &str = "SELECT id FROM register_rows WHERE library_id = $1 AND register_id = $2
                        AND organisation_id = $3 AND key_text = $4";
    let found: Option<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(FIND).bind(w.library).bind(w.register)
        .bind(w.organisation).bind(w.key_text).fetch_optional(c).await)?;
    let id = match found {
        Some((id,)) => {
            const UPDATE: &str = "UPDATE register_rows SET data = $2, updated_at = $3, retired_at = NULL WHERE id = $1";
            on_tx!(tx, c => sqlx::query(UPDATE).bind(id).bind(w.data).bind(w.now).execute(c).await.map(|r| r.rows_affected()))?;
            const CLEAR: &str = "DELETE FROM register_row_values WHERE row_id = $1";
            on_tx!(tx, c => sqlx::query(CLEAR).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            const INSERT: &str = "INSERT INTO register_rows (id, library_id, register_id, organisation_id, key_text, data, created_at, updated_at)
                                  VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
            on_tx!(tx, c => sqlx::query(INSERT).bind(id).bind(w.library).bind(w.register).bind(w.organisation)
                .bind(w.key_text).bind(w.data).bind(w.now).execute(c).await.map(|r| r.rows_affected()))?;
            id
        }
    };
    insert_values(tx, id, w).await?;
    append_event(
        tx, id, w.now, w.actor, w.case, w.action, w.comment, w.change,
    )
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn append_event(
    tx: &mut Tx,
    row: Uuid,
    now: Ts,
    actor: Uuid,
    case: Option<Uuid>,
    action: &str,
    comment: &str,
    change: &str,
) -> Result<(), StorageError> {
    const EVENT: &str = "INSERT INTO register_row_events (row_id, seq, occurred_at, actor_id, case_id, change, action, comment)
        VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM register_row_events WHERE row_id = $1), $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, c => sqlx::query(EVENT).bind(row).bind(now).bind(actor).bind(case).bind(change)
        .bind(action).bind(comment).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Retires a live row; false if it was already retired.
pub async fn retire(
    tx: &mut Tx,
    row: Uuid,
    actor: Uuid,
    comment: &str,
    now: Ts,
) -> Result<bool, StorageError> {
    const SQL: &str = "UPDATE register_rows SET retired_at = $2, updated_at = $2 WHERE id = $1 AND retired_at IS NULL";
    let n = on_tx!(tx, c => sqlx::query(SQL).bind(row).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        const VALUES: &str = "UPDATE register_row_values SET retired_at = $2 WHERE row_id = $1";
        on_tx!(tx, c => sqlx::query(VALUES).bind(row).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        append_event(tx, row, now, actor, None, "retire", comment, "{}").await?;
    }
    Ok(n == 1)
}

/// One row of a register, live or retired.
pub async fn get<'a>(
    src: impl Into<Src<'a>>,
    library: &str,
    register: &str,
    id: Uuid,
) -> Result<RowRecord, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM register_rows r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.id = $1 AND r.library_id = $2 AND r.register_id = $3"
    );
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).bind(library).bind(register).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// A change to a row, as its history shows it.
#[derive(Debug, Clone, FromRow)]
pub struct RowEvent {
    /// Order within the row.
    pub seq: i64,
    pub occurred_at: Ts,
    pub actor_name: Option<String>,
    /// The case that made it.
    pub case_id: Option<Uuid>,
    /// `case`, `add`, `edit`, `import` or `retire`.
    pub action: String,
    /// Why.
    pub comment: String,
    /// The columns changed (JSON object).
    pub change: String,
}

/// A row's history, oldest first.
pub async fn events<'a>(src: impl Into<Src<'a>>, row: Uuid) -> Result<Vec<RowEvent>, StorageError> {
    const SQL: &str = "SELECT e.seq, e.occurred_at, p.name AS actor_name, e.case_id, e.action, e.comment, e.change
        FROM register_row_events e LEFT JOIN persons p ON p.id = e.actor_id WHERE e.row_id = $1 ORDER BY e.seq";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(row).fetch_all(c).await)?)
}

/// Longest text (in characters) kept for filtering. A text column holds at most 200; what is
/// longer (a description) is read, not matched.
pub const VALUE_CHARS: usize = 200;

/// A value as the filters match it: a string as it is, a number as JSON writes it, yes/no
/// as `true`/`false`; `None` for what no filter matches (an object, a list, a long text).
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.chars().count() <= VALUE_CHARS => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The (column, value) pairs of a row's columns (a JSON object) that filters match: each
/// value [`value_text`] keeps, and each such item of a list (a multiple choice). The
/// migration that created the table derives the same pairs in SQL for the rows stored then.
pub fn filter_values(data: &str) -> BTreeSet<(String, String)> {
    let Ok(Value::Object(columns)) = serde_json::from_str::<Value>(data) else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for (column, v) in columns {
        match &v {
            Value::Array(items) => {
                out.extend(
                    items
                        .iter()
                        .filter_map(value_text)
                        .map(|t| (column.clone(), t)),
                );
            }
            _ => out.extend(value_text(&v).map(|t| (column.clone(), t))),
        }
    }
    out
}

/// Entries written by one INSERT: 2 placeholders each, well within both backends' limits.
const VALUES_PER_INSERT: usize = 100;

/// Writes the filtered values of a row just written (those of an earlier write deleted).
async fn insert_values(tx: &mut Tx, id: Uuid, w: &RowWrite<'_>) -> Result<(), StorageError> {
    let values: Vec<(String, String)> = filter_values(w.data).into_iter().collect();
    for chunk in values.chunks(VALUES_PER_INSERT) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, $2, $3, $4, ${}, ${}, $5)", 6 + 2 * i, 7 + 2 * i))
            .collect();
        // A write revives a retired row: its values are live.
        let sql = format!(
            "INSERT INTO register_row_values (row_id, library_id, register_id, organisation_id, column_id, value, key_text) VALUES {}",
            tuples.join(", ")
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql.clone())).bind(id).bind(w.library).bind(w.register)
                .bind(w.organisation).bind(w.key_text);
            for (column, value) in chunk { q = q.bind(column.as_str()).bind(value.as_str()); }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Which rows of a register a listing reads, besides the reader's scope.
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// The retired rows instead of the live ones.
    pub retired: bool,
    /// (column, value as [`value_text`] writes it) pairs a row must all carry. The first is
    /// read first and the others checked row by row: SQLite has no statistics to choose by
    /// (nothing runs ANALYZE), so the caller puts first the one it expects to match fewest
    /// rows. PostgreSQL plans the order itself.
    pub values: Vec<(String, String)>,
    /// Rows carrying any of these (column, value) pairs (a level read only by those who
    /// need to know) are left out…
    pub restricted: Vec<(String, String)>,
    /// …unless an organisation in the subtree of one of these keeps them.
    pub restricted_shown_under: Vec<Uuid>,
}

/// A value bound to a listing's placeholder.
enum Bind<'a> {
    Text(&'a str),
    Id(Uuid),
}

/// The rows a listing matches, as SQL: what it reads them from, its conditions and what
/// their placeholders bind, in order.
struct Listing<'a> {
    /// The tables the matching rows are found in (`r`, or the filters' `f0`, `f1`, …).
    from: String,
    conditions: Vec<String>,
    binds: Vec<Bind<'a>>,
    /// The matching row's id, keeper and key, as the tables read them.
    id: &'static str,
    key: &'static str,
    /// Whether `from` holds the rows themselves (no filter), not only their values.
    rows: bool,
}

impl<'a> Listing<'a> {
    /// The next placeholder, bound to `value`.
    fn bind(&mut self, value: Bind<'a>) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// The rows of `register` that `filter` and `scope` let through.
    fn new(library: &'a str, register: &'a str, scope: &Scope, filter: &'a RowFilter) -> Self {
        let mut l = Listing {
            from: String::new(),
            conditions: Vec::new(),
            binds: vec![Bind::Text(library), Bind::Text(register)],
            id: "r.id",
            key: "r.key_text",
            rows: true,
        };
        let at = l.read_values(&filter.values);
        l.conditions.push(format!(
            "{at}.retired_at IS {}NULL",
            if filter.retired { "NOT " } else { "" }
        ));
        let cond = org_condition(&format!("{at}.organisation_id"), scope, l.binds.len() + 1);
        l.conditions.push(cond.sql);
        l.binds.extend(cond.ids.into_iter().map(Bind::Id));
        l.restrict(filter, at);
        l
    }

    /// Where the rows are read from: without values, the register's rows by key; with
    /// them, the first value's entries in key order (live or retired, with their keeper:
    /// the index answers for the row), each checked against the other values by its row.
    /// CROSS JOIN keeps SQLite from reordering the tables (PostgreSQL treats it as any
    /// join), so a page of ten reads the first index until it has ten. Returns the table
    /// whose keeper and retirement the conditions read.
    fn read_values(&mut self, values: &'a [(String, String)]) -> &'static str {
        if values.is_empty() {
            self.from = "register_rows r".into();
            self.conditions
                .push("r.library_id = $1 AND r.register_id = $2".into());
            return "r";
        }
        let mut tables = Vec::new();
        for (i, (column, value)) in values.iter().enumerate() {
            tables.push(format!("register_row_values f{i}"));
            let (c, v) = (self.bind(Bind::Text(column)), self.bind(Bind::Text(value)));
            self.conditions.push(if i == 0 {
                format!("f0.library_id = $1 AND f0.register_id = $2 AND f0.column_id = {c} AND f0.value = {v}")
            } else {
                format!("f{i}.row_id = f0.row_id AND f{i}.column_id = {c} AND f{i}.value = {v}")
            });
        }
        self.from = tables.join(" CROSS JOIN ");
        (self.id, self.key, self.rows) = ("f0.row_id", "f0.key_text", false);
        "f0"
    }

    /// Leaves out the rows only those who need to know may read, unless kept where the
    /// reader may read them.
    fn restrict(&mut self, filter: &'a RowFilter, at: &str) {
        if filter.restricted.is_empty() {
            return;
        }
        let pairs: Vec<String> = filter
            .restricted
            .iter()
            .map(|(column, value)| {
                let (c, v) = (self.bind(Bind::Text(column)), self.bind(Bind::Text(value)));
                format!("(n.column_id = {c} AND n.value = {v})")
            })
            .collect();
        let hidden = format!(
            "NOT EXISTS (SELECT 1 FROM register_row_values n WHERE n.row_id = {} AND ({}))",
            self.id,
            pairs.join(" OR ")
        );
        if filter.restricted_shown_under.is_empty() {
            self.conditions.push(hidden);
            return;
        }
        let under = placeholders(self.binds.len() + 1, filter.restricted_shown_under.len());
        self.binds
            .extend(filter.restricted_shown_under.iter().copied().map(Bind::Id));
        self.conditions.push(format!(
            "({hidden} OR {at}.organisation_id IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id IN ({under})))"
        ));
    }

    /// The count of the matching rows, up to [`crate::COUNT_CAP`] and one.
    fn count_sql(&self) -> String {
        capped_count(&format!(
            "{} WHERE {}",
            self.from,
            self.conditions.join(" AND ")
        ))
    }

    /// One page of the matching rows, read whole with their keeper's name. LIMIT and
    /// OFFSET are written in, not bound: SQLite plans with a bound LIMIT's value and then
    /// prepares the statement again at every run, which cost a tenth of a listing's time.
    fn page_sql(&self, page: PageRequest) -> String {
        // Filtered, the rows themselves are read last, only for the entries that match.
        let (rows, same) = if self.rows {
            ("", String::new())
        } else {
            (
                " CROSS JOIN register_rows r",
                format!(" AND r.id = {}", self.id),
            )
        };
        format!(
            "SELECT {COLUMNS} FROM {}{rows} JOIN organisations o ON o.id = r.organisation_id
             WHERE {}{same} ORDER BY {}, o.name, {} LIMIT {} OFFSET {}",
            self.from,
            self.conditions.join(" AND "),
            self.key,
            self.id,
            page.limit.max(0),
            page.offset.max(0),
        )
    }
}

/// Binds a listing's values to a query, in placeholder order.
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(t) => q.bind(*t),
                Bind::Id(id) => q.bind(*id),
            };
        }
        q
    }};
}

/// A page of the rows of a register kept by the organisations in `scope` that `filter`
/// lets through, by key, and how many there are (counted up to [`crate::COUNT_CAP`]).
pub async fn list(
    db: &crate::Db,
    library: &str,
    register: &str,
    scope: &Scope,
    filter: &RowFilter,
    page: PageRequest,
) -> Result<Page<RowRecord>, StorageError> {
    let l = Listing::new(library, register, scope, filter);
    let sql = l.page_sql(page);
    let items: Vec<RowRecord> = crate::on_db!(db, p => {
        bind_all!(sqlx::query_as::<_, RowRecord>(AssertSqlSafe(sql)), &l.binds).fetch_all(p).await
    })?;
    // A page that is not full says how many there are: no count needed.
    let read = i64::try_from(items.len()).unwrap_or(i64::MAX);
    if read != page.limit && (read > 0 || page.offset == 0) {
        return Ok(Page::counted(items, page.offset.saturating_add(read)));
    }
    let (total,): (i64,) = crate::on_db!(db, p => {
        bind_all!(sqlx::query_as::<_, (i64,)>(AssertSqlSafe(l.count_sql())), &l.binds).fetch_one(p).await
    })?;
    Ok(Page::counted(items, total))
}
