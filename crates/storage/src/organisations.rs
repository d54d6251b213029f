//! Organisations, the closure table of their tree, and the relations across it.

use std::collections::HashMap;

use mamori_domain::policy::{OrgFacts, Scope};
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::{Page, PageRequest, capped_count, like_pattern, org_condition, placeholders};
use crate::types::Ts;
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// An organisation as stored.
#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    pub id: Uuid,
    /// Name (組織名).
    pub name: String,
    /// Kind id (`company`, `unit`, …).
    pub kind: String,
    /// Parent in the tree.
    pub parent_id: Option<Uuid>,
    /// Whether members must log in with a second factor.
    pub require_totp: bool,
    pub created_at: Ts,
    /// Last changed.
    pub updated_at: Ts,
}

const COLUMNS: &str =
    "o.id, o.name, o.kind, o.parent_id, o.require_totp, o.created_at, o.updated_at";

/// A new organisation.
pub struct NewOrganisation<'a> {
    /// Id (UUIDv7).
    pub id: Uuid,
    pub name: &'a str,
    /// Kind id.
    pub kind: &'a str,
    /// Parent, if not a root.
    pub parent: Option<Uuid>,
    pub now: Ts,
}

/// Inserts an organisation; a trigger adds its paths to every ancestor.
pub async fn insert(tx: &mut Tx, new: &NewOrganisation<'_>) -> Result<(), StorageError> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO organisations (id, name, kind, parent_id, require_totp, created_at, updated_at)
             VALUES ($1, $2, $3, $4, FALSE, $5, $5)",
        )
        .bind(new.id).bind(new.name).bind(new.kind).bind(new.parent).bind(new.now)
        .execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Reads one organisation.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<OrganisationRow, StorageError> {
    const SQL: &str =
        "SELECT o.id, o.name, o.kind, o.parent_id, o.require_totp, o.created_at, o.updated_at
                       FROM organisations o WHERE o.id = $1";
    on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// The organisation itself and its ancestors, nearest first.
pub async fn ancestors<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    const SQL: &str =
        "SELECT ancestor_id FROM organisation_paths WHERE descendant_id = $1 ORDER BY depth";
    let rows: Vec<(Uuid,)> =
        on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The organisation itself and everything below it.
pub async fn subtree<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    const SQL: &str = "SELECT descendant_id FROM organisation_paths WHERE ancestor_id = $1";
    let rows: Vec<(Uuid,)> =
        on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The organisations of `root`'s subtree (itself included) a case's field names: by id,
/// or by name (several when the name is not unique there).
pub async fn named_in(tx: &mut Tx, root: Uuid, text: &str) -> Result<Vec<Uuid>, StorageError> {
    const SQL: &str =
        "SELECT o.id FROM organisation_paths p JOIN organisations o ON o.id = p.descendant_id
                        WHERE p.ancestor_id = $1 AND (o.id = $2 OR o.name = $3)";
    let text = text.trim();
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL)
        .bind(root).bind(text.parse::<Uuid>().ok()).bind(text).fetch_all(c).await)?)
}

/// Every organisation below `id` with how far below (1: directly), nearest first.
pub async fn below<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
) -> Result<Vec<(Uuid, i64)>, StorageError> {
    const SQL: &str = "SELECT descendant_id, depth FROM organisation_paths
                       WHERE ancestor_id = $1 AND depth > 0 ORDER BY depth, descendant_id";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// Every organisation of the tree `member` is in (its root and all below it): (id, name),
/// by name, in one query.
pub async fn tree_of<'a>(
    src: impl Into<Src<'a>>,
    member: Uuid,
) -> Result<Vec<(Uuid, String)>, StorageError> {
    const SQL: &str = "SELECT o.id, o.name FROM organisation_paths p
                       JOIN organisations o ON o.id = p.descendant_id
                       WHERE p.ancestor_id = (SELECT r.ancestor_id FROM organisation_paths r
                                               WHERE r.descendant_id = $1
                                               ORDER BY r.depth DESC LIMIT 1)
                       ORDER BY o.name";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(member).fetch_all(c).await)?)
}

/// The records of the organisation and its ancestors, root first (for breadcrumbs).
pub async fn path<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
) -> Result<Vec<OrganisationRow>, StorageError> {
    const SQL: &str =
        "SELECT o.id, o.name, o.kind, o.parent_id, o.require_totp, o.created_at, o.updated_at
                       FROM organisation_paths p JOIN organisations o ON o.id = p.ancestor_id
                       WHERE p.descendant_id = $1 ORDER BY p.depth DESC";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// The relations `id` states of itself that its counterparts accepted: (kind, counterpart).
///
/// A relation still waiting for the other side gives nothing to anyone, so every read that
/// grants something (a record to see, a party to a case, an inbox) reads accepted ones only.
pub async fn outgoing<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
) -> Result<Vec<(String, Uuid)>, StorageError> {
    const SQL: &str = "SELECT kind, to_id FROM organisation_relations
                       WHERE from_id = $1 AND accepted_at IS NOT NULL";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// `outgoing` of each of `ids` at once, by organisation (those with none are absent).
pub async fn outgoing_of<'a>(
    src: impl Into<Src<'a>>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(String, Uuid)>>, StorageError> {
    let mut src = src.into();
    let mut out: HashMap<Uuid, Vec<(String, Uuid)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT from_id, kind, to_id FROM organisation_relations
             WHERE from_id IN ({}) AND accepted_at IS NOT NULL",
            placeholders(1, chunk.len())
        );
        let rows: Vec<(Uuid, String, Uuid)> = on_src!(src.reborrow(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(c).await
        })?;
        for (from, kind, to) in rows {
            out.entry(from).or_default().push((kind, to));
        }
    }
    Ok(out)
}

/// `ancestors` of each of `ids` at once (each itself first, nearest first), by
/// organisation; one that does not exist is absent.
pub async fn ancestors_of<'a>(
    src: impl Into<Src<'a>>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let mut src = src.into();
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT descendant_id, ancestor_id FROM organisation_paths
             WHERE descendant_id IN ({}) ORDER BY descendant_id, depth",
            placeholders(1, chunk.len())
        );
        let rows: Vec<(Uuid, Uuid)> = on_src!(src.reborrow(), c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for id in chunk { q = q.bind(*id); }
            q.fetch_all(c).await
        })?;
        for (of, ancestor) in rows {
            out.entry(of).or_default().push(ancestor);
        }
    }
    Ok(out)
}

/// The organisations that state an accepted relation of `kind` towards `id` (the companies
/// that contract with it, say): (id, name), by name.
pub async fn incoming<'a>(
    src: impl Into<Src<'a>>,
    id: Uuid,
    kind: &str,
) -> Result<Vec<(Uuid, String)>, StorageError> {
    const SQL: &str = "SELECT o.id, o.name FROM organisation_relations r
                       JOIN organisations o ON o.id = r.from_id
                       WHERE r.to_id = $1 AND r.kind = $2 AND r.accepted_at IS NOT NULL
                       ORDER BY o.name";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).bind(kind).fetch_all(c).await)?)
}

/// Organisations related to `id` in either direction by an accepted relation.
pub async fn related<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    const SQL: &str = "SELECT to_id FROM organisation_relations
                       WHERE from_id = $1 AND accepted_at IS NOT NULL
                       UNION SELECT from_id FROM organisation_relations
                       WHERE to_id = $1 AND accepted_at IS NOT NULL";
    let rows: Vec<(Uuid,)> =
        on_src!(src.into(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The ancestry of an organisation, which is all a decision to change or manage needs
/// (relations only ever widen what may be *seen*); `NotFound` if it is gone.
pub async fn ancestry<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<OrgFacts, StorageError> {
    let ancestors = ancestors(src, id).await?;
    if ancestors.is_empty() {
        return Err(StorageError::NotFound);
    }
    Ok(OrgFacts {
        ancestors,
        related: vec![],
    })
}

/// Everything the policy needs to decide about reading an organisation (its ancestry
/// and its relations); `NotFound` if it is gone.
pub async fn facts_db(db: &crate::Db, id: Uuid) -> Result<OrgFacts, StorageError> {
    let ancestors = ancestors(db, id).await?;
    if ancestors.is_empty() {
        return Err(StorageError::NotFound);
    }
    let related = related(db, id).await?;
    Ok(OrgFacts { ancestors, related })
}

/// Filters for the organisation list.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    /// Only direct children of this organisation.
    pub parent: Option<Uuid>,
    /// Only roots.
    pub roots_only: bool,
    /// Name contains (case-insensitive).
    pub q: Option<String>,
}

/// Lists organisations within `scope`, by name.
pub async fn list(
    db: &crate::Db,
    scope: &Scope,
    filter: &OrganisationFilter,
    page: PageRequest,
) -> Result<Page<OrganisationRow>, StorageError> {
    let cond = org_condition("o.id", scope, 1);
    let mut n = cond.ids.len();
    let mut wheres = vec![cond.sql];
    if filter.parent.is_some() {
        n += 1;
        wheres.push(format!("o.parent_id = ${n}"));
    }
    if filter.roots_only {
        wheres.push("o.parent_id IS NULL".into());
    }
    let pattern = filter.q.as_deref().map(like_pattern);
    if pattern.is_some() {
        n += 1;
        wheres.push(format!("lower(o.name) LIKE ${n} ESCAPE '\\'"));
    }
    let where_sql = wheres.join(" AND ");
    let list_sql = format!(
        "SELECT {COLUMNS} FROM organisations o WHERE {where_sql} ORDER BY o.name, o.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let count_sql = capped_count(&format!("organisations o WHERE {where_sql}"));
    let (items, total) = crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, OrganisationRow>(AssertSqlSafe(list_sql));
        let mut cq = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql));
        for id in &cond.ids {
            q = q.bind(*id);
            cq = cq.bind(*id);
        }
        if let Some(parent) = filter.parent {
            q = q.bind(parent);
            cq = cq.bind(parent);
        }
        if let Some(p) = &pattern {
            q = q.bind(p.clone());
            cq = cq.bind(p.clone());
        }
        let items = q.bind(page.limit).bind(page.offset).fetch_all(p).await?;
        let (total,) = cq.fetch_one(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(Page::counted(items, total))
}

/// The first `limit` direct children of an organisation, by name (a page shows a few; an
/// office may have thousands below it).
pub async fn first_children(
    db: &crate::Db,
    id: Uuid,
    limit: i64,
) -> Result<Vec<OrganisationRow>, StorageError> {
    const SQL: &str =
        "SELECT o.id, o.name, o.kind, o.parent_id, o.require_totp, o.created_at, o.updated_at
                       FROM organisations o WHERE o.parent_id = $1 ORDER BY o.name, o.id LIMIT $2";
    Ok(crate::on_db!(db, p => sqlx::query_as(SQL).bind(id).bind(limit).fetch_all(p).await)?)
}

/// Direct children of an organisation, by name.
pub async fn children(db: &crate::Db, id: Uuid) -> Result<Vec<OrganisationRow>, StorageError> {
    const SQL: &str =
        "SELECT o.id, o.name, o.kind, o.parent_id, o.require_totp, o.created_at, o.updated_at
                       FROM organisations o WHERE o.parent_id = $1 ORDER BY o.name, o.id";
    Ok(crate::on_db!(db, p => sqlx::query_as(SQL).bind(id).fetch_all(p).await)?)
}

/// Changes name, kind and the second-factor rule.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    kind: &str,
    require_totp: bool,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE organisations SET name = $2, kind = $3, require_totp = $4, updated_at = $5 WHERE id = $1";
    let done = on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(name).bind(kind).bind(require_totp).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        Err(StorageError::NotFound)
    } else {
        Ok(())
    }
}

/// Moves an organisation (with its subtree) under a new parent, or to the top.
///
/// The caller has checked that the new parent is not inside the subtree.
pub async fn reparent(
    tx: &mut Tx,
    id: Uuid,
    parent: Option<Uuid>,
    now: Ts,
) -> Result<(), StorageError> {
    on_tx!(tx, c => {
        sqlx::query("UPDATE organisations SET parent_id = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(parent).bind(now).execute(&mut *c).await.map(|r| r.rows_affected())?;
        // Cut every path from outside the subtree into it…
        sqlx::query(
            "DELETE FROM organisation_paths
             WHERE descendant_id IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id = $1)
               AND ancestor_id NOT IN (SELECT descendant_id FROM organisation_paths WHERE ancestor_id = $1)",
        )
        .bind(id).execute(&mut *c).await.map(|r| r.rows_affected())?;
        // …and join the subtree under the new parent's ancestors.
        sqlx::query(
            "INSERT INTO organisation_paths (ancestor_id, descendant_id, depth)
             SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1
             FROM organisation_paths a, organisation_paths d
             WHERE a.descendant_id = $2 AND d.ancestor_id = $1",
        )
        .bind(id).bind(parent).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// What still hangs off an organisation, in the order a person would clear it.
pub async fn dependants(tx: &mut Tx, id: Uuid) -> Result<Option<&'static str>, StorageError> {
    const SQL: &str = "SELECT
        (SELECT COUNT(*) FROM organisations WHERE parent_id = $1),
        (SELECT COUNT(*) FROM persons WHERE organisation_id = $1),
        (SELECT COUNT(*) FROM posts WHERE organisation_id = $1),
        (SELECT COUNT(*) FROM designations WHERE organisation_id = $1),
        (SELECT COUNT(*) FROM organisation_relations WHERE from_id = $1 OR to_id = $1)";
    let counts: (i64, i64, i64, i64, i64) =
        on_tx!(tx, c => sqlx::query_as(SQL).bind(id).fetch_one(c).await)?;
    Ok(match counts {
        (n, ..) if n > 0 => Some("children"),
        (_, n, ..) if n > 0 => Some("persons"),
        (_, _, n, ..) if n > 0 => Some("posts"),
        (_, _, _, n, _) if n > 0 => Some("designations"),
        (.., n) if n > 0 => Some("relations"),
        _ => None,
    })
}

/// Deletes an organisation that nothing depends on.
pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<(), StorageError> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM organisation_paths WHERE descendant_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())?;
        // Its form variants are its settings and go with it; the versions built from them
        // stay, for the cases that ran under them.
        sqlx::query("DELETE FROM library_adaptations WHERE organisation_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())?;
        // So are its corrections of the libraries' matrices (the trail keeps each one).
        sqlx::query("DELETE FROM matrix_corrections WHERE organisation_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())?;
        sqlx::query("DELETE FROM organisation_desks WHERE organisation_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())?;
        sqlx::query("DELETE FROM organisations WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The desk an organisation keeps for urgent calls.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeskRow {
    /// The organisation.
    pub organisation_id: Uuid,
    /// Who answers (総務部 情報セキュリティ担当 …).
    pub name: String,
    /// The number in working hours.
    pub phone: String,
    /// The number for nights and holidays, where it has one.
    pub night_phone: Option<String>,
}

/// The desks of these organisations, where they keep one.
pub async fn desks<'a>(
    src: impl Into<Src<'a>>,
    ids: &[Uuid],
) -> Result<Vec<DeskRow>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT organisation_id, name, phone, night_phone FROM organisation_desks
         WHERE organisation_id IN ({})",
        placeholders(1, ids.len())
    );
    on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, DeskRow>(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
    .map_err(Into::into)
}

/// Keeps an organisation's desk, replacing the one it had.
pub async fn set_desk(tx: &mut Tx, desk: &DeskRow, by: Uuid, now: Ts) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO organisation_desks (organisation_id, name, phone, night_phone, updated_at, updated_by)
                       VALUES ($1, $2, $3, $4, $5, $6)
                       ON CONFLICT (organisation_id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
                           night_phone = excluded.night_phone, updated_at = excluded.updated_at, updated_by = excluded.updated_by";
    on_tx!(tx, c => sqlx::query(SQL).bind(desk.organisation_id).bind(&desk.name).bind(&desk.phone)
        .bind(&desk.night_phone).bind(now).bind(by).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes an organisation's desk.
pub async fn clear_desk(tx: &mut Tx, id: Uuid) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM organisation_desks WHERE organisation_id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A relation as stored.
#[derive(Debug, Clone, FromRow)]
pub struct RelationRow {
    pub id: Uuid,
    /// `contracts_with`, `subcontractor_of` or `engages`.
    pub kind: String,
    /// The organisation the relation is stated for.
    pub from_id: Uuid,
    /// Its counterpart.
    pub to_id: Uuid,
    /// Name of `from_id`.
    pub from_name: String,
    /// Name of `to_id`.
    pub to_name: String,
    pub created_at: Ts,
    /// When the counterpart accepted it; `None` while it waits and gives nothing.
    pub accepted_at: Option<Ts>,
}

/// Records a relation, accepted at once when `accepted` (its maker administers both sides).
#[allow(clippy::too_many_arguments)]
pub async fn insert_relation(
    tx: &mut Tx,
    id: Uuid,
    kind: &str,
    from: Uuid,
    to: Uuid,
    accepted: bool,
    by: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO organisation_relations
        (id, kind, from_id, to_id, created_at, created_by, accepted_at, accepted_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let (at, accepter) = if accepted {
        (Some(now), Some(by))
    } else {
        (None, None)
    };
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(kind).bind(from).bind(to).bind(now).bind(by).bind(at).bind(accepter).execute(c).await.map(|r| r.rows_affected()))
        .map_err(StorageError::unique("other"))?;
    Ok(())
}

/// Marks a waiting relation accepted by the counterpart's administrator.
pub async fn accept_relation(tx: &mut Tx, id: Uuid, by: Uuid, now: Ts) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE organisation_relations SET accepted_at = $2, accepted_by = $3
                       WHERE id = $1 AND accepted_at IS NULL";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(now).bind(by).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

const RELATION_SQL: &str = "SELECT r.id, r.kind, r.from_id, r.to_id, f.name AS from_name,
        t.name AS to_name, r.created_at, r.accepted_at
     FROM organisation_relations r
     JOIN organisations f ON f.id = r.from_id JOIN organisations t ON t.id = r.to_id";

/// Relations of an organisation, both directions.
pub async fn relations<'a>(
    src: impl Into<Src<'a>>,
    org: Uuid,
) -> Result<Vec<RelationRow>, StorageError> {
    let sql = format!(
        "{RELATION_SQL} WHERE r.from_id = $1 OR r.to_id = $1 ORDER BY r.kind, f.name, t.name"
    );
    Ok(on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(org).fetch_all(c).await)?)
}

/// One relation.
pub async fn get_relation(tx: &mut Tx, id: Uuid) -> Result<RelationRow, StorageError> {
    let sql = format!("{RELATION_SQL} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// Removes a relation.
pub async fn delete_relation(tx: &mut Tx, id: Uuid) -> Result<(), StorageError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM organisation_relations WHERE id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether the person's organisation, or any ancestor, requires a second factor.
pub async fn totp_required<'a>(src: impl Into<Src<'a>>, org: Uuid) -> Result<bool, StorageError> {
    const SQL: &str =
        "SELECT COUNT(*) FROM organisation_paths p JOIN organisations o ON o.id = p.ancestor_id
                       WHERE p.descendant_id = $1 AND o.require_totp";
    let (n,): (i64,) = on_src!(src.into(), c => sqlx::query_as(SQL).bind(org).fetch_one(c).await)?;
    Ok(n > 0)
}
