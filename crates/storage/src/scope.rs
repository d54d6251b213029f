//! Turns a policy [`Scope`] into an SQL condition, so scoped lists filter in the database.

use mamori_domain::policy::Scope;
use uuid::Uuid;

/// A condition on an organisation column and the ids it binds, in placeholder order.
pub(crate) struct OrgCondition {
    pub sql: String,
    pub ids: Vec<Uuid>,
}

/// `column` restricted to `scope`, with placeholders numbered from `$first`.
pub(crate) fn org_condition(column: &str, scope: &Scope, first: usize) -> OrgCondition {
    if scope.everything() {
        return OrgCondition {
            sql: "1 = 1".into(),
            ids: vec![],
        };
    }
    if scope.is_empty() {
        return OrgCondition {
            sql: "1 = 0".into(),
            ids: vec![],
        };
    }
    let mut n = first;
    let mut placeholders = |count: usize| {
        let list = placeholders(n, count);
        n += count;
        list
    };
    let mut parts = Vec::new();
    let mut ids = Vec::new();
    if !scope.subtrees().is_empty() {
        parts.push(format!(
            "{column} IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id IN ({}))",
            placeholders(scope.subtrees().len())
        ));
        ids.extend_from_slice(scope.subtrees());
    }
    if !scope.single().is_empty() {
        parts.push(format!(
            "{column} IN ({})",
            placeholders(scope.single().len())
        ));
        ids.extend_from_slice(scope.single());
    }
    OrgCondition {
        sql: format!("({})", parts.join(" OR ")),
        ids,
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` search, and wraps it in `%…%`.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Rows a list counts at most. Counting is the one part of reading a page of ten that
/// grows with the table (every matching row is visited); past this many, a list says
/// "1,000 or more" instead, so a page costs the same at a thousand rows as at a million.
pub const COUNT_CAP: i64 = 1_000;

/// One page of a list and the number of rows in all pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filter in all, up to [`COUNT_CAP`].
    pub total: i64,
    /// Whether `total` is the exact count; if not, at least that many rows match.
    pub exact: bool,
}

impl<T> Page<T> {
    /// A page with the count [`capped_count`] returned.
    pub(crate) fn counted(items: Vec<T>, counted: i64) -> Self {
        Self {
            items,
            total: counted.min(COUNT_CAP),
            exact: counted <= COUNT_CAP,
        }
    }
}

/// A count of `from_where` (`persons p WHERE …`) that stops one row past [`COUNT_CAP`].
pub(crate) fn capped_count(from_where: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from_where} LIMIT {}) AS capped",
        COUNT_CAP + 1
    )
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// Rows per page (clamped to 1..=200).
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

impl PageRequest {
    /// A page request with limits clamped to sane values.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Self {
        Self {
            limit: limit.unwrap_or(50).clamp(1, 200),
            offset: offset.unwrap_or(0).max(0),
        }
    }
}

/// `$first, …` for `count` values: the placeholders of an `IN` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
