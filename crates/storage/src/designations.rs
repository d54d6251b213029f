//! Designations (指定): a role held by a person or a post, within an organisation, for a
//! period. Rows are never deleted, so "who held role R in organisation O on day D" can
//! always be answered.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::scope::org_condition;
use crate::types::{Day, Ts};
use crate::{Src, StorageError, Tx, on_src, on_tx};

/// A designation as stored, with the names a reader needs.
#[derive(Debug, Clone, FromRow)]
pub struct DesignationRow {
    pub id: Uuid,
    /// Role id.
    pub role: String,
    /// The organisation it is for (`None`: the whole installation).
    pub organisation_id: Option<Uuid>,
    /// That organisation's name.
    pub organisation_name: Option<String>,
    /// The person designated, if designated by name.
    pub person_id: Option<Uuid>,
    /// That person's name.
    pub person_name: Option<String>,
    /// The organisation that person belongs to.
    pub person_organisation_id: Option<Uuid>,
    /// Its name.
    pub person_organisation_name: Option<String>,
    /// The person belongs to neither the designation's organisation nor one below it: a
    /// role held where one does not work, which both sides should be able to see.
    pub person_outside: bool,
    /// The post designated, if designated by post.
    pub post_id: Option<Uuid>,
    /// That post's name.
    pub post_name: Option<String>,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
    /// Free text (the notice number, for example).
    pub note: String,
    /// Who designated.
    pub designated_by: Option<Uuid>,
    /// Their name.
    pub designated_by_name: Option<String>,
    pub designated_at: Ts,
    /// Who ended it, if ended early.
    pub ended_by: Option<Uuid>,
    /// When it was ended.
    pub ended_at: Option<Ts>,
    /// When it stopped, for a designation ended at once rather than at the end of a day.
    pub revoked_at: Option<Ts>,
    /// The designation its holder delegated it from, for a delegation.
    pub delegated_from: Option<Uuid>,
}

const SELECT: &str = "SELECT d.id, d.role, d.organisation_id, o.name AS organisation_name,
        d.person_id, pe.name AS person_name, d.post_id, po.name AS post_name,
        d.starts_on, d.ends_on, d.note, d.designated_by, db.name AS designated_by_name, d.designated_at,
        d.ended_by, d.ended_at, d.revoked_at, d.delegated_from,
        pe.organisation_id AS person_organisation_id, peo.name AS person_organisation_name,
        (d.organisation_id IS NOT NULL AND pe.id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM organisation_paths op
             WHERE op.ancestor_id = d.organisation_id AND op.descendant_id = pe.organisation_id
        )) AS person_outside
     FROM designations d
     LEFT JOIN organisations o ON o.id = d.organisation_id
     LEFT JOIN persons pe ON pe.id = d.person_id
     LEFT JOIN organisations peo ON peo.id = pe.organisation_id
     LEFT JOIN posts po ON po.id = d.post_id
     LEFT JOIN persons db ON db.id = d.designated_by";

/// A new designation.
pub struct NewDesignation<'a> {
    pub id: Uuid,
    /// Role id.
    pub role: &'a str,
    /// Organisation, or `None` for platform roles.
    pub organisation: Option<Uuid>,
    /// The person (exactly one of person and post).
    pub person: Option<Uuid>,
    /// The post.
    pub post: Option<Uuid>,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
    /// Free text.
    pub note: &'a str,
    /// Who designates (`None` when the command line creates the first administrator).
    pub by: Option<Uuid>,
    pub now: Ts,
    /// The designation its holder delegates it from.
    pub delegated_from: Option<Uuid>,
}

/// Records a designation.
pub async fn insert(tx: &mut Tx, d: &NewDesignation<'_>) -> Result<(), StorageError> {
    const SQL: &str = "INSERT INTO designations (id, role, organisation_id, person_id, post_id, starts_on, ends_on, note,
                         designated_by, designated_at, delegated_from)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(d.id).bind(d.role).bind(d.organisation).bind(d.person).bind(d.post)
        .bind(d.starts_on).bind(d.ends_on).bind(d.note).bind(d.by).bind(d.now).bind(d.delegated_from)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many designations of `role` in `organisation` are in force on some day from
/// `starts_on` to `ends_on` (open-ended without one). A delegation stands in for the
/// holder and is not counted.
pub async fn overlapping(
    tx: &mut Tx,
    role: &str,
    organisation: Uuid,
    starts_on: Day,
    ends_on: Option<Day>,
) -> Result<i64, StorageError> {
    const SQL: &str = "SELECT COUNT(*) FROM designations
        WHERE role = $1 AND organisation_id = $2 AND delegated_from IS NULL
          AND ($4 IS NULL OR starts_on <= $4)
          AND (ends_on IS NULL OR ends_on > $3 OR (ends_on = $3 AND revoked_at IS NULL))";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL)
        .bind(role).bind(organisation).bind(starts_on).bind(ends_on)
        .fetch_one(c).await)?)
}

/// The designations of `role` in `organisation` held by `person` or `post` that are not
/// over on `day`: what a step releasing that holder ends.
pub async fn held_by(
    tx: &mut Tx,
    role: &str,
    organisation: Uuid,
    holder: (Option<Uuid>, Option<Uuid>),
    day: Day,
) -> Result<Vec<DesignationRow>, StorageError> {
    let sql = format!(
        "{SELECT} WHERE d.role = $1 AND d.organisation_id = $3
           AND (d.person_id = $4 OR d.post_id = $5) AND {}",
        not_over_sql("d", 2)
    );
    Ok(on_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(role).bind(day).bind(organisation).bind(holder.0).bind(holder.1)
        .fetch_all(c).await)?)
}

/// The roles `person` holds on `day` only because a holder delegated them: (role,
/// organisation, the delegating holder's name).
pub async fn delegated_to<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
    day: Day,
) -> Result<Vec<(String, Option<Uuid>, String)>, StorageError> {
    let sql = format!(
        "SELECT d.role, d.organisation_id, COALESCE(p.name, '') FROM designations d
           LEFT JOIN persons p ON p.id = d.designated_by
          WHERE d.person_id = $1 AND d.delegated_from IS NOT NULL AND {}",
        in_force_sql("d", 2)
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(person).bind(day).fetch_all(c).await)?,
    )
}

/// Reads one designation.
pub async fn get<'a>(src: impl Into<Src<'a>>, id: Uuid) -> Result<DesignationRow, StorageError> {
    let sql = format!("{SELECT} WHERE d.id = $1");
    on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await)?
        .ok_or(StorageError::NotFound)
}

/// Ends a designation on `ends_on` (inclusive), recording who ended it; `at_once` stops it
/// now as well, so that it gives nothing for the rest of that day.
pub async fn end(
    tx: &mut Tx,
    id: Uuid,
    ends_on: Day,
    at_once: bool,
    by: Uuid,
    now: Ts,
) -> Result<(), StorageError> {
    const SQL: &str = "UPDATE designations SET ends_on = $2, ended_by = $3, ended_at = $4,
        revoked_at = CASE WHEN $5 THEN $4 ELSE NULL END WHERE id = $1";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(ends_on).bind(by).bind(now).bind(at_once).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The SQL condition that designation `d` is in force on the day bound as `$day`: within its
/// days, and not revoked on that day (a revoked designation's `ends_on` is the day it was
/// revoked, so earlier days keep it).
pub fn in_force_sql(d: &str, day: usize) -> String {
    format!(
        "{d}.starts_on <= ${day} AND ({d}.ends_on IS NULL OR {d}.ends_on > ${day} \
         OR ({d}.ends_on = ${day} AND {d}.revoked_at IS NULL))"
    )
}

/// Filters for the designation list.
#[derive(Debug, Default, Clone)]
pub struct DesignationFilter {
    /// Only for this organisation.
    pub organisation: Option<Uuid>,
    /// Only of this person (directly, not through posts).
    pub person: Option<Uuid>,
    /// Only those active on this day.
    pub active_on: Option<Day>,
}

/// Designations whose organisation is within `scope`, newest first (at most 500).
pub async fn list(
    db: &crate::Db,
    scope: &Scope,
    filter: &DesignationFilter,
) -> Result<Vec<DesignationRow>, StorageError> {
    let cond = org_condition("d.organisation_id", scope, 1);
    let mut n = cond.ids.len();
    // Platform-wide designations have no organisation: only a scope of everything shows them.
    let mut wheres = vec![if scope.everything() {
        "1 = 1".to_owned()
    } else {
        cond.sql
    }];
    for (present, sql) in [
        (filter.organisation.is_some(), "d.organisation_id = $"),
        (filter.person.is_some(), "d.person_id = $"),
    ] {
        if present {
            n += 1;
            wheres.push(format!("{sql}{n}"));
        }
    }
    if filter.active_on.is_some() {
        n += 1;
        wheres.push(in_force_sql("d", n));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY d.designated_at DESC LIMIT 500",
        wheres.join(" AND ")
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, DesignationRow>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        for id in [filter.organisation, filter.person].into_iter().flatten() {
            q = q.bind(id);
        }
        if let Some(day) = filter.active_on {
            q = q.bind(day);
        }
        q.fetch_all(p).await
    })?)
}

/// Whether any person holds the system administrator role today.
pub async fn system_admin_exists<'a>(
    src: impl Into<Src<'a>>,
    today: Day,
) -> Result<bool, StorageError> {
    let sql = format!(
        "SELECT COUNT(*) FROM designations d WHERE d.role = 'system_admin' AND {}",
        in_force_sql("d", 1)
    );
    let (n,): (i64,) = on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(today).fetch_one(c).await)?;
    Ok(n > 0)
}

/// A row found by its key, with the roles its person holds on the day bound as `$2`, in
/// three branches that each use their own indexes: the row alone (its grant columns NULL),
/// the person's own designations, and the designations of the posts the person holds that
/// day. `columns` selects the row, `from` is its table joined to its person, `person` the
/// column naming that person and `key` the condition on `$1` that finds the row. Sessions
/// and API tokens both read their person's power through it, so they never disagree.
pub fn with_grants_sql(columns: &str, from: &str, person: &str, key: &str) -> String {
    let in_force = in_force_sql("d", 2);
    format!(
        "SELECT {columns}, NULL AS grant_role, NULL AS grant_organisation FROM {from} WHERE {key}
         UNION ALL
         SELECT {columns}, d.role, d.organisation_id FROM {from}
         JOIN designations d ON d.person_id = {person}
         WHERE {key} AND {in_force}
         UNION ALL
         SELECT {columns}, d.role, d.organisation_id FROM {from}
         JOIN post_holders h ON h.person_id = {person} AND h.starts_on <= $2
              AND (h.ends_on IS NULL OR h.ends_on >= $2)
         JOIN designations d ON d.post_id = h.post_id
         WHERE {key} AND {in_force}"
    )
}

/// The grants of the rows [`with_grants_sql`] returned: every row but the first branch's
/// carries one.
pub fn grants_of<'a>(
    rows: impl Iterator<Item = (&'a Option<String>, &'a Option<Uuid>)>,
) -> Vec<mamori_domain::policy::Grant> {
    rows.filter_map(|(role, organisation)| {
        Some(mamori_domain::policy::Grant {
            role: role.clone()?,
            organisation: *organisation,
        })
    })
    .collect()
}

/// The SQL condition that designation or holding `d` is not over on the day bound as `$day`:
/// in force or still to come. Power to come counts as power already held when deciding who
/// may manage someone, or a reset today would take over a role that starts tomorrow.
fn not_over_sql(d: &str, day: usize) -> String {
    format!(
        "({d}.ends_on IS NULL OR {d}.ends_on > ${day} \
         OR ({d}.ends_on = ${day} AND {d}.revoked_at IS NULL))"
    )
}

/// The roles a person holds or will hold, directly or through a post: (role, organisation).
pub async fn holdings_of_person<'a>(
    src: impl Into<Src<'a>>,
    person: Uuid,
    today: Day,
) -> Result<Vec<(String, Option<Uuid>)>, StorageError> {
    let sql = format!(
        "SELECT d.role, d.organisation_id FROM designations d
         WHERE d.person_id = $1 AND {d}
         UNION
         SELECT d.role, d.organisation_id FROM designations d
         JOIN post_holders h ON h.post_id = d.post_id
         WHERE h.person_id = $1 AND {d} AND (h.ends_on IS NULL OR h.ends_on >= $2)",
        d = not_over_sql("d", 2)
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(person).bind(today).fetch_all(c).await)?,
    )
}

/// The roles whoever holds a post holds or will hold through it: (role, organisation).
pub async fn holdings_of_post<'a>(
    src: impl Into<Src<'a>>,
    post: Uuid,
    today: Day,
) -> Result<Vec<(String, Option<Uuid>)>, StorageError> {
    let sql = format!(
        "SELECT d.role, d.organisation_id FROM designations d WHERE d.post_id = $1 AND {}",
        not_over_sql("d", 2)
    );
    Ok(
        on_src!(src.into(), c => sqlx::query_as(AssertSqlSafe(sql)).bind(post).bind(today).fetch_all(c).await)?,
    )
}

/// Everyone holding `role` on `today`, in person or through a post, with the organisation
/// they hold it in: by organisation, the longest-held first.
pub async fn holders_everywhere<'a>(
    src: impl Into<Src<'a>>,
    role: &str,
    today: Day,
) -> Result<Vec<(Uuid, Uuid)>, StorageError> {
    const SQL: &str = "SELECT organisation_id, person_id FROM (
        SELECT d.organisation_id, d.person_id, d.starts_on FROM designations d
          WHERE d.role = $1 AND d.person_id IS NOT NULL AND d.delegated_from IS NULL
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
        UNION
        SELECT d.organisation_id, h.person_id, d.starts_on FROM designations d
          JOIN post_holders h ON h.post_id = d.post_id
          WHERE d.role = $1 AND d.delegated_from IS NULL
            AND d.starts_on <= $2 AND (d.ends_on IS NULL OR d.ends_on > $2 OR (d.ends_on = $2 AND d.revoked_at IS NULL))
            AND h.starts_on <= $2 AND (h.ends_on IS NULL OR h.ends_on >= $2)
        ) held ORDER BY organisation_id, starts_on, person_id";
    Ok(on_src!(src.into(), c => sqlx::query_as(SQL).bind(role).bind(today).fetch_all(c).await)?)
}

/// One person holding a role on a day, with the names a contact list prints.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HolderRow {
    pub role: String,
    pub organisation_name: String,
    pub person_name: String,
    pub email: String,
}

/// Everyone active holding any of `roles` on `today` in `under` or an organisation below it,
/// in person or through a post (a delegate is listed as the role's holder is not): the
/// nearest organisations first, then by name and by who has held it longest.
pub async fn holders_under<'a>(
    src: impl Into<Src<'a>>,
    under: Uuid,
    roles: &[&str],
    today: Day,
) -> Result<Vec<HolderRow>, StorageError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = crate::scope::placeholders(3, roles.len());
    let sql = format!(
        "SELECT role, organisation_name, person_name, email FROM (
            SELECT d.role, o.name AS organisation_name, p.name AS person_name, p.email,
                   d.starts_on, t.depth
              FROM designations d
              JOIN organisation_paths t ON t.descendant_id = d.organisation_id AND t.ancestor_id = $1
              JOIN organisations o ON o.id = d.organisation_id
              JOIN persons p ON p.id = d.person_id
             WHERE d.role IN ({wanted}) AND d.delegated_from IS NULL AND p.active AND {}
            UNION
            SELECT d.role, o.name, p.name, p.email, d.starts_on, t.depth
              FROM designations d
              JOIN organisation_paths t ON t.descendant_id = d.organisation_id AND t.ancestor_id = $1
              JOIN organisations o ON o.id = d.organisation_id
              JOIN post_holders h ON h.post_id = d.post_id
              JOIN persons p ON p.id = h.person_id
             WHERE d.role IN ({wanted}) AND d.delegated_from IS NULL AND p.active AND {}
               AND h.starts_on <= $2 AND (h.ends_on IS NULL OR h.ends_on >= $2)
        ) held ORDER BY depth, organisation_name, starts_on, person_name",
        in_force_sql("d", 2),
        in_force_sql("d", 2),
    );
    Ok(on_src!(src.into(), c => {
        let mut q = sqlx::query_as::<_, HolderRow>(AssertSqlSafe(sql)).bind(under).bind(today);
        for role in roles {
            q = q.bind(*role);
        }
        q.fetch_all(c).await
    })?)
}
