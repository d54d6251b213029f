//! What the administrator's setup guide weighs, read for a whole scope at once: a big
//! office has hundreds of organisations, so each read is one query over the scope rather
//! than one per organisation.

use mamori_domain::policy::Scope;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use crate::designations::in_force_sql;
use crate::organisations::RelationRow;
use crate::scope::org_condition;
use crate::types::Day;
use crate::{Db, StorageError};

/// An organisation as the guide needs it.
#[derive(Debug, Clone, FromRow)]
pub struct GuideOrganisation {
    pub id: Uuid,
    pub name: String,
    /// Kind id.
    pub kind: String,
    /// Parent in the tree.
    pub parent_id: Option<Uuid>,
}

/// Every organisation within `scope`, by name.
pub async fn organisations(db: &Db, scope: &Scope) -> Result<Vec<GuideOrganisation>, StorageError> {
    let cond = org_condition("o.id", scope, 1);
    let sql = format!(
        "SELECT o.id, o.name, o.kind, o.parent_id FROM organisations o WHERE {} ORDER BY o.name, o.id",
        cond.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, GuideOrganisation>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}

/// How many active people each organisation within `scope` has: (organisation, count),
/// only organisations that have someone.
pub async fn people_counts(db: &Db, scope: &Scope) -> Result<Vec<(Uuid, i64)>, StorageError> {
    let cond = org_condition("p.organisation_id", scope, 1);
    let sql = format!(
        "SELECT p.organisation_id, COUNT(*) FROM persons p WHERE {} AND p.active
         GROUP BY p.organisation_id",
        cond.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, (Uuid, i64)>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}

/// A role someone actually holds on a day: (role, organisation, person).
pub type Holding = (String, Option<Uuid>, Uuid);

/// The roles held on `day` within `scope` by an active person, directly or through a post
/// they hold that day. A designation of an empty post, or of someone deactivated, gives
/// nobody the role, so it does not count as held.
pub async fn holdings(db: &Db, scope: &Scope, day: Day) -> Result<Vec<Holding>, StorageError> {
    let cond = org_condition("d.organisation_id", scope, 1);
    let n = cond.ids.len() + 1;
    // Platform-wide designations have no organisation: only a scope of everything has them.
    let within = if scope.everything() {
        "1 = 1".to_owned()
    } else {
        cond.sql
    };
    let in_force = in_force_sql("d", n);
    let sql = format!(
        "SELECT d.role, d.organisation_id, pe.id FROM designations d
         JOIN persons pe ON pe.id = d.person_id
         WHERE {within} AND {in_force} AND pe.active
         UNION
         SELECT d.role, d.organisation_id, pe.id FROM designations d
         JOIN post_holders h ON h.post_id = d.post_id AND h.starts_on <= ${n}
              AND (h.ends_on IS NULL OR h.ends_on >= ${n})
         JOIN persons pe ON pe.id = h.person_id
         WHERE {within} AND {in_force} AND pe.active"
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, Holding>(AssertSqlSafe(sql));
        for id in &cond.ids {
            q = q.bind(*id);
        }
        q.bind(day).fetch_all(p).await
    })?)
}

/// Every relation, waiting or accepted, with at least one side within `scope`.
pub async fn relations(db: &Db, scope: &Scope) -> Result<Vec<RelationRow>, StorageError> {
    let from = org_condition("r.from_id", scope, 1);
    let to = org_condition("r.to_id", scope, from.ids.len() + 1);
    let sql = format!(
        "SELECT r.id, r.kind, r.from_id, r.to_id, f.name AS from_name, t.name AS to_name,
                r.created_at, r.accepted_at
         FROM organisation_relations r
         JOIN organisations f ON f.id = r.from_id JOIN organisations t ON t.id = r.to_id
         WHERE {} OR {} ORDER BY f.name, t.name, r.kind",
        from.sql, to.sql
    );
    Ok(crate::on_db!(db, p => {
        let mut q = sqlx::query_as::<_, RelationRow>(AssertSqlSafe(sql));
        for id in from.ids.iter().chain(&to.ids) {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })?)
}
