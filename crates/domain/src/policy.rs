//! The one place that decides who may do what to which organisation's data.
//!
//! Every use case asks here, with the facts it loaded: the actor's active designations and
//! the target organisation's ancestors and relations. Lists ask for a [`Scope`], which only
//! this module can make and which every scoped repository function demands, so a query
//! cannot forget the tenant boundary.

use uuid::Uuid;

/// Roles of the platform itself; procedure libraries add their own role ids later.
pub mod role {
    /// Runs the whole installation (the first account holds it).
    pub const SYSTEM_ADMIN: &str = "system_admin";
    /// Manages an organisation and everything below it: people, posts, designations.
    pub const ADMINISTRATOR: &str = "administrator";
    /// Reads an organisation's subtree and its audit trail, changes nothing.
    pub const AUDITOR: &str = "auditor";

    /// The roles a designation may name today.
    pub const ALL: [&str; 3] = [SYSTEM_ADMIN, ADMINISTRATOR, AUDITOR];
}

/// One role an actor holds right now, within an organisation (or everywhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// A role id such as [`role::ADMINISTRATOR`].
    pub role: String,
    /// The organisation the designation is for; `None` for platform-wide roles.
    pub organisation: Option<Uuid>,
}

/// Who is acting, with the roles their designations give them today.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The person.
    pub person: Uuid,
    /// The organisation the person belongs to.
    pub organisation: Uuid,
    /// Active designations, resolved through posts as well as directly.
    pub grants: Vec<Grant>,
}

impl Actor {
    /// Whether the actor runs the whole installation.
    pub fn is_system_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == role::SYSTEM_ADMIN)
    }

    /// Organisations whose subtrees the actor holds any of `roles` in.
    fn roots_for(&self, roles: &'static [&'static str]) -> impl Iterator<Item = Uuid> + '_ {
        self.grants
            .iter()
            .filter(move |g| roles.contains(&g.role.as_str()))
            .filter_map(|g| g.organisation)
    }

    /// Whether the actor may act as an administrator somewhere (for menus).
    pub fn administers_anything(&self) -> bool {
        self.is_system_admin() || self.roots_for(&[role::ADMINISTRATOR]).next().is_some()
    }

    /// Whether the actor may read some audit trail (for menus).
    pub fn audits_anything(&self) -> bool {
        self.is_system_admin()
            || self
                .roots_for(&[role::ADMINISTRATOR, role::AUDITOR])
                .next()
                .is_some()
    }
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See an organisation's record and its place in the tree.
    ViewOrganisation,
    /// Create children, rename, move, relate, set login rules.
    ManageOrganisation,
    /// See the people, posts and designations of an organisation.
    ViewPeople,
    /// Add people, reset passwords, manage posts and designations.
    ManagePeople,
    /// Read the audit trail of an organisation.
    ViewAudit,
    /// Read the cases and registers of an organisation.
    ViewCases,
}

impl Permission {
    /// The roles that grant this permission over a subtree.
    fn roles(self) -> &'static [&'static str] {
        match self {
            Permission::ViewOrganisation
            | Permission::ViewPeople
            | Permission::ViewAudit
            | Permission::ViewCases => &[role::ADMINISTRATOR, role::AUDITOR],
            Permission::ManageOrganisation | Permission::ManagePeople => &[role::ADMINISTRATOR],
        }
    }

    /// Whether plain membership of an organisation grants this over its subtree.
    fn granted_to_members(self) -> bool {
        matches!(
            self,
            Permission::ViewOrganisation | Permission::ViewPeople | Permission::ViewCases
        )
    }
}

/// The facts about a target organisation that a decision needs.
#[derive(Debug, Clone, Default)]
pub struct OrgFacts {
    /// The organisation itself and every ancestor.
    pub ancestors: Vec<Uuid>,
    /// Organisations related to it (contracts with, subcontractor of), either direction.
    pub related: Vec<Uuid>,
}

/// Decides one access to one organisation's data.
pub fn allows(actor: &Actor, permission: Permission, target: &OrgFacts) -> bool {
    if actor.is_system_admin() {
        return true;
    }
    if actor
        .roots_for(permission.roles())
        .any(|root| target.ancestors.contains(&root))
    {
        return true;
    }
    if permission.granted_to_members() && target.ancestors.contains(&actor.organisation) {
        return true;
    }
    // A relation shows each side the other's record, and nothing behind it.
    permission == Permission::ViewOrganisation && target.related.contains(&actor.organisation)
}

/// Whether the actor may designate `role` within the target organisation.
///
/// Only a system administrator makes another; everything else follows people management.
pub fn may_designate(actor: &Actor, role_id: &str, target: &OrgFacts) -> bool {
    if role_id == role::SYSTEM_ADMIN {
        return actor.is_system_admin();
    }
    allows(actor, Permission::ManagePeople, target)
}

/// A role a person holds or will hold, with the facts of where: the measure of their power.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The role id.
    pub role: String,
    /// The organisation it is held in; `None` for a platform-wide role.
    pub organisation: Option<OrgFacts>,
}

/// Whether the actor may manage a person or a post whose holdings are `holdings` and whose
/// organisation is `home`: reset their password or second factor, change, deactivate or
/// assign them.
///
/// Managing the organisation is not enough: nobody may manage someone who holds more power
/// than they do. Every role the target holds must be one the actor could have designated
/// where it is held, so an administrator of a unit cannot take over a system administrator
/// or an administrator of the ministry above who happens to sit in that unit.
pub fn may_manage_holder(actor: &Actor, home: &OrgFacts, holdings: &[Holding]) -> bool {
    let nowhere = OrgFacts::default();
    allows(actor, Permission::ManagePeople, home)
        && holdings
            .iter()
            .all(|h| may_designate(actor, &h.role, h.organisation.as_ref().unwrap_or(&nowhere)))
}

/// The part of the organisation tree a list may show: whole subtrees and single records.
///
/// Only [`scope`] makes one; repositories read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    everything: bool,
    subtrees: Vec<Uuid>,
    single: Vec<Uuid>,
}

impl Scope {
    /// True for a system administrator: no filter at all.
    pub fn everything(&self) -> bool {
        self.everything
    }

    /// Roots whose whole subtrees are in scope.
    pub fn subtrees(&self) -> &[Uuid] {
        &self.subtrees
    }

    /// Organisations in scope on their own, without their subtrees.
    pub fn single(&self) -> &[Uuid] {
        &self.single
    }

    /// True when nothing at all is in scope.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.subtrees.is_empty() && self.single.is_empty()
    }
}

/// The scope of `permission` for a list. `related` are the organisations related to the
/// actor's own (only used for [`Permission::ViewOrganisation`]).
pub fn scope(actor: &Actor, permission: Permission, related: &[Uuid]) -> Scope {
    if actor.is_system_admin() {
        return Scope {
            everything: true,
            subtrees: vec![],
            single: vec![],
        };
    }
    let mut subtrees: Vec<Uuid> = actor.roots_for(permission.roles()).collect();
    if permission.granted_to_members() {
        subtrees.push(actor.organisation);
    }
    subtrees.sort();
    subtrees.dedup();
    let single = if permission == Permission::ViewOrganisation {
        related.to_vec()
    } else {
        vec![]
    };
    Scope {
        everything: false,
        subtrees,
        single,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree {
        mod_: Uuid,
        atla: Uuid,
        company_a: Uuid,
        site_a: Uuid,
        company_b: Uuid,
    }

    fn tree() -> Tree {
        Tree {
            mod_: Uuid::now_v7(),
            atla: Uuid::now_v7(),
            company_a: Uuid::now_v7(),
            site_a: Uuid::now_v7(),
            company_b: Uuid::now_v7(),
        }
    }

    fn actor(org: Uuid, grants: &[(&str, Option<Uuid>)]) -> Actor {
        Actor {
            person: Uuid::now_v7(),
            organisation: org,
            grants: grants
                .iter()
                .map(|(r, o)| Grant {
                    role: (*r).to_owned(),
                    organisation: *o,
                })
                .collect(),
        }
    }

    fn facts(ancestors: &[Uuid]) -> OrgFacts {
        OrgFacts {
            ancestors: ancestors.to_vec(),
            related: vec![],
        }
    }

    #[test]
    fn company_a_never_reaches_company_b() {
        let t = tree();
        let b = facts(&[t.company_b]);
        for grants in [
            vec![],
            vec![(role::ADMINISTRATOR, Some(t.company_a))],
            vec![(role::AUDITOR, Some(t.company_a))],
        ] {
            let a = actor(t.company_a, &grants);
            for p in [
                Permission::ViewOrganisation,
                Permission::ManageOrganisation,
                Permission::ViewPeople,
                Permission::ManagePeople,
                Permission::ViewAudit,
            ] {
                assert!(!allows(&a, p, &b), "{p:?} with {grants:?}");
            }
            assert!(
                !scope(&a, Permission::ViewPeople, &[])
                    .subtrees()
                    .contains(&t.company_b)
            );
        }
    }

    #[test]
    fn administrator_of_ancestor_manages_descendants() {
        let t = tree();
        let admin = actor(t.company_a, &[(role::ADMINISTRATOR, Some(t.company_a))]);
        let site = facts(&[t.site_a, t.company_a]);
        assert!(allows(&admin, Permission::ManagePeople, &site));
        assert!(allows(&admin, Permission::ViewAudit, &site));
        // Administering a site does not reach up to the company.
        let site_admin = actor(t.site_a, &[(role::ADMINISTRATOR, Some(t.site_a))]);
        assert!(!allows(
            &site_admin,
            Permission::ManagePeople,
            &facts(&[t.company_a])
        ));
    }

    #[test]
    fn members_read_but_do_not_manage_their_own_subtree() {
        let t = tree();
        let member = actor(t.company_a, &[]);
        let site = facts(&[t.site_a, t.company_a]);
        assert!(allows(&member, Permission::ViewPeople, &site));
        assert!(!allows(&member, Permission::ManagePeople, &site));
        assert!(!allows(&member, Permission::ViewAudit, &site));
    }

    #[test]
    fn auditors_read_audit_but_never_write() {
        let t = tree();
        let auditor = actor(t.atla, &[(role::AUDITOR, Some(t.mod_))]);
        let atla = facts(&[t.atla, t.mod_]);
        assert!(allows(&auditor, Permission::ViewAudit, &atla));
        assert!(!allows(&auditor, Permission::ManageOrganisation, &atla));
        assert!(!may_designate(&auditor, role::AUDITOR, &atla));
    }

    #[test]
    fn a_relation_shows_only_the_record() {
        let t = tree();
        let atla_member = actor(t.atla, &[]);
        let company = OrgFacts {
            ancestors: vec![t.company_a],
            related: vec![t.atla],
        };
        assert!(allows(&atla_member, Permission::ViewOrganisation, &company));
        assert!(!allows(&atla_member, Permission::ViewPeople, &company));
    }

    #[test]
    fn only_system_admins_make_system_admins() {
        let t = tree();
        let admin = actor(t.mod_, &[(role::ADMINISTRATOR, Some(t.mod_))]);
        let target = facts(&[t.atla, t.mod_]);
        assert!(may_designate(&admin, role::ADMINISTRATOR, &target));
        assert!(!may_designate(&admin, role::SYSTEM_ADMIN, &target));
        let root = actor(t.mod_, &[(role::SYSTEM_ADMIN, None)]);
        assert!(may_designate(&root, role::SYSTEM_ADMIN, &target));
        assert!(scope(&root, Permission::ViewAudit, &[]).everything());
    }

    #[test]
    fn nobody_manages_someone_holding_more_power() {
        let t = tree();
        let unit_admin = actor(t.site_a, &[(role::ADMINISTRATOR, Some(t.site_a))]);
        let home = facts(&[t.site_a, t.company_a]);
        let held = |r: &str, org: Option<OrgFacts>| Holding {
            role: r.into(),
            organisation: org,
        };
        // A plain member and a fellow administrator of the unit: manageable.
        assert!(may_manage_holder(&unit_admin, &home, &[]));
        assert!(may_manage_holder(
            &unit_admin,
            &home,
            &[held(role::ADMINISTRATOR, Some(home.clone()))]
        ));
        // A system administrator who sits in the unit: not by the unit's administrator.
        assert!(!may_manage_holder(
            &unit_admin,
            &home,
            &[held(role::SYSTEM_ADMIN, None)]
        ));
        // An administrator or auditor of the company above: not either.
        let company = facts(&[t.company_a]);
        for r in [role::ADMINISTRATOR, role::AUDITOR, "ia_officer"] {
            assert!(!may_manage_holder(
                &unit_admin,
                &home,
                &[held(r, Some(company.clone()))]
            ));
        }
        // The company's administrator covers both; only a system administrator covers one.
        let company_admin = actor(t.company_a, &[(role::ADMINISTRATOR, Some(t.company_a))]);
        assert!(may_manage_holder(
            &company_admin,
            &home,
            &[held(role::AUDITOR, Some(company.clone()))]
        ));
        assert!(!may_manage_holder(
            &company_admin,
            &home,
            &[held(role::SYSTEM_ADMIN, None)]
        ));
        let root = actor(t.mod_, &[(role::SYSTEM_ADMIN, None)]);
        assert!(may_manage_holder(
            &root,
            &home,
            &[held(role::SYSTEM_ADMIN, None)]
        ));
    }

    #[test]
    fn scope_of_a_plain_member_is_their_organisation() {
        let t = tree();
        let member = actor(t.company_a, &[]);
        let s = scope(&member, Permission::ViewPeople, &[t.atla]);
        assert_eq!(s.subtrees(), &[t.company_a]);
        assert!(s.single().is_empty(), "relations never widen people lists");
        assert!(scope(&member, Permission::ViewAudit, &[]).is_empty());
        assert_eq!(
            scope(&member, Permission::ViewOrganisation, &[t.atla]).single(),
            &[t.atla]
        );
    }
}

/// Where a procedure's party must hold its role, relative to a case's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRelation {
    /// The case's organisation itself.
    OwnOrganisation,
    /// The case's organisation or any above it.
    ParentChain,
    /// An organisation the case's organisation has a contract with.
    ContractingOrganisation,
    /// The case organisation's prime contractor.
    PrimeContractor,
    /// An organisation engaged by one the case's organisation contracts with.
    ServiceContractor,
    /// The organisation keeping the last-resort desk, once the case is routed there.
    LastResort,
    /// Organisations the case was relayed to.
    RelayedTo,
    /// The organisations directly below the case's organisation.
    Children,
    /// Every organisation below the case's organisation.
    Descendants,
    /// The other organisations under the case organisation's parent.
    Siblings,
    /// Every organisation of the case organisation's tree.
    Tree,
    /// The holders of the role for the register row the case is about (the manager of
    /// the case's system), in the organisation keeping the row.
    CaseRow,
}

/// The organisations around a case that its procedure's parties are found in.
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    /// The case's organisation and its ancestors, nearest first.
    pub ancestors: Vec<Uuid>,
    /// Organisations the case's organisation contracts with.
    pub contracting: Vec<Uuid>,
    /// The case organisation's prime contractors.
    pub primes: Vec<Uuid>,
    /// Organisations those it contracts with have themselves contracted.
    pub service: Vec<Uuid>,
    /// The last-resort desk's organisation, when the case is routed there.
    pub last_resort: Vec<Uuid>,
    /// Organisations the case was relayed to.
    pub relayed: Vec<Uuid>,
    /// Organisations the case was passed on to (each prime that forwarded it), whose
    /// forwarding desks keep reading it.
    pub passed_from: Vec<Uuid>,
    /// The organisations directly below the case's organisation (worked out only for
    /// procedures that name them, as are the next three).
    pub children: Vec<Uuid>,
    /// Every organisation below the case's organisation.
    pub descendants: Vec<Uuid>,
    /// The other organisations under its parent.
    pub siblings: Vec<Uuid>,
    /// Every organisation of its tree.
    pub tree: Vec<Uuid>,
    /// The register row the case is about, if its procedure names one and it is found.
    pub row: Option<Uuid>,
    /// The organisation keeping that row (one at most).
    pub row_keeper: Vec<Uuid>,
    /// Who holds which role for that row today: (role, person).
    pub row_holders: Vec<(String, Uuid)>,
    /// The class that row carries, as its library stores a class, when the procedure
    /// caps its cases at it (`about: { ceiling: true }`).
    pub row_class: Option<String>,
}

impl CaseFacts {
    /// The organisations a designation may be in for `relation`.
    pub fn organisations(&self, relation: CaseRelation) -> &[Uuid] {
        match relation {
            CaseRelation::OwnOrganisation => &self.ancestors[..self.ancestors.len().min(1)],
            CaseRelation::ParentChain => &self.ancestors,
            CaseRelation::ContractingOrganisation => &self.contracting,
            CaseRelation::PrimeContractor => &self.primes,
            CaseRelation::ServiceContractor => &self.service,
            CaseRelation::LastResort => &self.last_resort,
            CaseRelation::RelayedTo => &self.relayed,
            CaseRelation::Children => &self.children,
            CaseRelation::Descendants => &self.descendants,
            CaseRelation::Siblings => &self.siblings,
            CaseRelation::Tree => &self.tree,
            CaseRelation::CaseRow => &self.row_keeper,
        }
    }
}

/// The organisation in which the actor holds `role` as `relation` requires, if any: the
/// nearest one, which is where what the actor writes is kept.
///
/// Taking part in a procedure needs the designation itself; being a system administrator
/// or an administrator above does not make anyone a procedure's officer.
pub fn acting_as(
    actor: &Actor,
    role_id: &str,
    relation: CaseRelation,
    facts: &CaseFacts,
) -> Option<Uuid> {
    if relation == CaseRelation::CaseRow {
        // Held for the row, not in the organisation: a designation in the keeping
        // organisation does not make anyone the manager of each of its systems.
        let holds = facts
            .row_holders
            .iter()
            .any(|(role, person)| role == role_id && *person == actor.person);
        return facts.row_keeper.first().copied().filter(|_| holds);
    }
    facts.organisations(relation).iter().copied().find(|org| {
        actor
            .grants
            .iter()
            .any(|g| g.role == role_id && g.organisation == Some(*org))
    })
}

#[cfg(test)]
mod case_tests {
    use super::*;

    fn actor(role_id: &str, org: Uuid) -> Actor {
        Actor {
            person: Uuid::now_v7(),
            organisation: org,
            grants: vec![Grant {
                role: role_id.into(),
                organisation: Some(org),
            }],
        }
    }

    #[test]
    fn parties_below_and_beside_are_found_only_where_the_facts_put_them() {
        let (ministry, ground, maritime, army) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let facts = CaseFacts {
            ancestors: vec![ground, ministry],
            children: vec![army],
            descendants: vec![army],
            siblings: vec![maritime],
            tree: vec![ministry, ground, maritime, army],
            ..CaseFacts::default()
        };
        let at = |org| actor("ia_assistant", org);
        let found = |org, relation| acting_as(&at(org), "ia_assistant", relation, &facts);
        assert_eq!(found(maritime, CaseRelation::Siblings), Some(maritime));
        assert_eq!(found(ground, CaseRelation::Siblings), None, "not itself");
        assert_eq!(found(army, CaseRelation::Siblings), None);
        assert_eq!(found(army, CaseRelation::Children), Some(army));
        assert_eq!(found(army, CaseRelation::Descendants), Some(army));
        assert_eq!(found(maritime, CaseRelation::Descendants), None);
        assert_eq!(found(maritime, CaseRelation::Tree), Some(maritime));
        assert_eq!(
            found(Uuid::now_v7(), CaseRelation::Tree),
            None,
            "another tree"
        );
    }

    #[test]
    fn a_party_must_hold_the_role_where_the_relation_points() {
        let (ministry, bureau, unit, other) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let facts = CaseFacts {
            ancestors: vec![unit, bureau, ministry],
            contracting: vec![other],
            ..CaseFacts::default()
        };
        let chief = actor("chief_ia_officer", ministry);
        assert_eq!(
            acting_as(
                &chief,
                "chief_ia_officer",
                CaseRelation::ParentChain,
                &facts
            ),
            Some(ministry)
        );
        assert_eq!(
            acting_as(
                &chief,
                "chief_ia_officer",
                CaseRelation::OwnOrganisation,
                &facts
            ),
            None
        );
        assert_eq!(
            acting_as(&chief, "ia_officer", CaseRelation::ParentChain, &facts),
            None
        );
        let officer = actor("ia_officer", unit);
        assert_eq!(
            acting_as(
                &officer,
                "ia_officer",
                CaseRelation::OwnOrganisation,
                &facts
            ),
            Some(unit)
        );
        let elsewhere = actor("ia_officer", other);
        assert_eq!(
            acting_as(
                &elsewhere,
                "ia_officer",
                CaseRelation::OwnOrganisation,
                &facts
            ),
            None
        );
        assert_eq!(
            acting_as(
                &elsewhere,
                "ia_officer",
                CaseRelation::ContractingOrganisation,
                &facts
            ),
            Some(other)
        );
        let mut admin = actor("system_admin", ministry);
        admin.grants[0].organisation = None;
        assert_eq!(
            acting_as(
                &admin,
                "chief_ia_officer",
                CaseRelation::ParentChain,
                &facts
            ),
            None
        );
    }
}
