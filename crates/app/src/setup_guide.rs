//! The administrator's setup guide: where to start, in order — organisations, people,
//! designations, relations — and, for each step, what is still missing, named.
//!
//! The reads are a handful of queries over the administrator's whole scope; the checks are
//! pure functions over those rows ([`check`]), so a tree of hundreds of organisations costs
//! the same few round trips as a tree of three.

use std::collections::{HashMap, HashSet};

use mamori_domain::organisation::{OrgKind, RelationKind};
use mamori_domain::policy::{self, Actor, Permission, role};
use mamori_library::Library;
use mamori_library::model::Relation;
use mamori_storage::organisations::{self as orgs, RelationRow};
use mamori_storage::setup_guide::{self as reads, GuideOrganisation, Holding};
use uuid::Uuid;

use crate::{App, AppError, Caller};

/// The steps, in the order an administrator takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The tree: ministry, agencies, companies and what is below them.
    Organisations,
    /// The people in them.
    People,
    /// Who holds which role where.
    Designations,
    /// Contracts, subcontracts and engagements between organisations.
    Relations,
}

impl Step {
    /// The id used in message keys and test hooks.
    pub fn id(self) -> &'static str {
        match self {
            Step::Organisations => "organisations",
            Step::People => "people",
            Step::Designations => "designations",
            Step::Relations => "relations",
        }
    }
}

/// An organisation named in a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Id (for the link).
    pub id: Uuid,
    /// Name (for the sentence).
    pub name: String,
}

/// One thing still missing, with what the sentence and its link need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Nothing beyond the administrator's own organisation exists yet; new ones go under
    /// `parent` (none: a system administrator starts a new tree).
    NoOrganisations(Option<Named>),
    /// Nobody but the administrator is registered.
    NoPeople,
    /// Nobody works in this organisation or anywhere below it.
    Empty(Named),
    /// Nobody but the administrator holds any role.
    NoDesignations,
    /// A company whose own administrator has not been designated.
    NoAdministrator(Named),
    /// No relation between organisations exists yet; `at` is where one would be stated
    /// (the first company, else the reader's own organisation, when in scope).
    NoRelations(Option<Named>),
    /// A relation stated but not yet accepted by `to`; `ours` when the reader may accept it.
    Waiting {
        /// Relation kind id.
        kind: String,
        /// The side that stated it.
        from: Named,
        /// The side that must accept it.
        to: Named,
        /// The reader administers `to` and can accept it now.
        ours: bool,
    },
    /// A prime contractor whose subcontractors have no desk to call.
    NoDesk {
        /// The prime.
        prime: Named,
        /// One of its subcontractors (the first by name).
        subcontractor: Named,
        /// How many more subcontractors it has.
        others: usize,
    },
    /// A company that has no contract, no prime and no other relation at all.
    Unrelated(Named),
}

/// One step of the guide.
#[derive(Debug, Clone)]
pub struct StepCheck {
    /// Which step.
    pub step: Step,
    /// Nothing is missing.
    pub done: bool,
    /// What is missing, most specific first.
    pub findings: Vec<Finding>,
}

/// The guide for one administrator.
#[derive(Debug, Clone)]
pub struct SetupGuide {
    /// The four steps, in order.
    pub steps: Vec<StepCheck>,
    /// Roles the procedures act through that nobody holds where they would be needed
    /// (advice: a role may well be held only once the procedure is first used).
    pub unheld_roles: Vec<String>,
}

impl SetupGuide {
    /// Every step is done.
    pub fn complete(&self) -> bool {
        self.steps.iter().all(|s| s.done)
    }

    /// The first step not done: where to go next.
    pub fn next(&self) -> Option<Step> {
        self.steps.iter().find(|s| !s.done).map(|s| s.step)
    }
}

/// The roles one procedure names: those that open it, and those that act in it with
/// whether the actor sits in the case's own organisation or above it (`true`) or in an
/// organisation across a relation (`false`).
#[derive(Debug, Clone, Default)]
pub struct ProcedureRoles {
    /// Roles that open a case.
    pub start: Vec<String>,
    /// Roles that take its transitions.
    pub acting: Vec<(String, bool)>,
}

/// The roles of every procedure of these libraries.
pub fn procedure_roles<'a>(libraries: impl Iterator<Item = &'a Library>) -> Vec<ProcedureRoles> {
    libraries
        .flat_map(|lib| lib.procedures.values())
        .map(|p| ProcedureRoles {
            start: p.start.iter().map(|s| s.role.value.clone()).collect(),
            acting: p
                .transitions
                .iter()
                .flat_map(|t| &t.by)
                .map(|b| {
                    let local = matches!(b.of, Relation::OwnOrganisation | Relation::ParentChain);
                    (b.role.value.clone(), local)
                })
                .collect(),
        })
        .collect()
}

/// Everything [`check`] weighs, as read for the administrator's scope.
pub struct Facts<'a> {
    /// Who reads the guide.
    pub actor: &'a Actor,
    /// The scope is the whole installation.
    pub everything: bool,
    /// The organisations within the scope, by name.
    pub organisations: &'a [GuideOrganisation],
    /// Active people per organisation.
    pub people: &'a [(Uuid, i64)],
    /// Roles held today.
    pub holdings: &'a [Holding],
    /// Relations touching the scope.
    pub relations: &'a [RelationRow],
    /// Organisations that keep a desk.
    pub desks: &'a HashSet<Uuid>,
    /// The procedures' roles.
    pub procedures: &'a [ProcedureRoles],
}

fn named(o: &GuideOrganisation) -> Named {
    Named {
        id: o.id,
        name: o.name.clone(),
    }
}

/// The guide, from the facts.
pub fn check(f: &Facts<'_>) -> SetupGuide {
    let ids: HashSet<Uuid> = f.organisations.iter().map(|o| o.id).collect();
    let parents: HashMap<Uuid, Option<Uuid>> = f
        .organisations
        .iter()
        .map(|o| (o.id, o.parent_id))
        .collect();
    // The organisation and those above it that are in scope, nearest first.
    let chain = |id: Uuid| {
        std::iter::successors(Some(id), |o| parents.get(o).copied().flatten())
            .take_while(|o| ids.contains(o))
            .take(ids.len())
    };
    let companies = || {
        f.organisations
            .iter()
            .filter(|o| o.kind == OrgKind::Company.as_str())
    };
    SetupGuide {
        steps: vec![
            organisations_step(f),
            people_step(f, &chain),
            designations_step(f, &chain, companies()),
            relations_step(f, &ids, companies()),
        ],
        unheld_roles: unheld_roles(f, &ids),
    }
}

fn organisations_step(f: &Facts<'_>) -> StepCheck {
    // Everyone starts with the one organisation they were placed in; the tree is begun
    // once there is another. A company alone is a whole tree: it need not have units.
    let own = f
        .organisations
        .iter()
        .find(|o| o.id == f.actor.organisation);
    let done = f.organisations.len() > 1
        || (!f.everything && own.is_some_and(|o| o.kind == OrgKind::Company.as_str()));
    StepCheck {
        step: Step::Organisations,
        done,
        findings: if done {
            vec![]
        } else {
            let parent = if f.everything { None } else { own.map(named) };
            vec![Finding::NoOrganisations(parent)]
        },
    }
}

fn people_step<I: Iterator<Item = Uuid>>(f: &Facts<'_>, chain: &impl Fn(Uuid) -> I) -> StepCheck {
    // An organisation with nobody in it but people below it (a ministry whose staff sit in
    // its bureaus) is not empty.
    let mut staffed = HashSet::new();
    let mut total = 0;
    for (org, n) in f.people {
        total += n;
        staffed.extend(chain(*org));
    }
    let others = total - i64::from(f.organisations.iter().any(|o| o.id == f.actor.organisation));
    let mut findings: Vec<Finding> = f
        .organisations
        .iter()
        .filter(|o| !staffed.contains(&o.id))
        .map(|o| Finding::Empty(named(o)))
        .collect();
    if findings.is_empty() && others <= 0 {
        findings.push(Finding::NoPeople);
    }
    StepCheck {
        step: Step::People,
        done: findings.is_empty(),
        findings,
    }
}

fn designations_step<'a, I: Iterator<Item = Uuid>>(
    f: &Facts<'_>,
    chain: &impl Fn(Uuid) -> I,
    companies: impl Iterator<Item = &'a GuideOrganisation>,
) -> StepCheck {
    let administered: HashSet<Uuid> = f
        .holdings
        .iter()
        .filter(|(r, _, _)| r == role::ADMINISTRATOR)
        .filter_map(|(_, org, _)| *org)
        .collect();
    let mut findings: Vec<Finding> = companies
        .filter(|c| !chain(c.id).any(|o| administered.contains(&o)))
        .map(|c| Finding::NoAdministrator(named(c)))
        .collect();
    let others = f.holdings.iter().any(|(_, _, p)| *p != f.actor.person);
    if findings.is_empty() && !others {
        findings.push(Finding::NoDesignations);
    }
    StepCheck {
        step: Step::Designations,
        done: findings.is_empty(),
        findings,
    }
}

fn relations_step<'a>(
    f: &Facts<'_>,
    ids: &HashSet<Uuid>,
    companies: impl Iterator<Item = &'a GuideOrganisation>,
) -> StepCheck {
    let side = |id: Uuid, name: &str| Named {
        id,
        name: name.to_owned(),
    };
    let mut findings: Vec<Finding> = f
        .relations
        .iter()
        .filter(|r| r.accepted_at.is_none())
        .map(|r| Finding::Waiting {
            kind: r.kind.clone(),
            from: side(r.from_id, &r.from_name),
            to: side(r.to_id, &r.to_name),
            ours: ids.contains(&r.to_id),
        })
        .collect();
    // Subcontractors call their prime's desk first; a prime the reader manages needs one
    // as soon as a subcontract is stated, accepted or not.
    let mut primes: Vec<(Named, Vec<Named>)> = Vec::new();
    for r in f.relations.iter().filter(|r| {
        r.kind == RelationKind::SubcontractorOf.as_str()
            && ids.contains(&r.to_id)
            && !f.desks.contains(&r.to_id)
    }) {
        let sub = side(r.from_id, &r.from_name);
        match primes.iter_mut().find(|(p, _)| p.id == r.to_id) {
            Some((_, subs)) => subs.push(sub),
            None => primes.push((side(r.to_id, &r.to_name), vec![sub])),
        }
    }
    findings.extend(primes.into_iter().map(|(prime, mut subs)| {
        subs.sort_by(|a, b| a.name.cmp(&b.name));
        let others = subs.len() - 1;
        Finding::NoDesk {
            prime,
            subcontractor: subs.swap_remove(0),
            others,
        }
    }));
    let related: HashSet<Uuid> = f
        .relations
        .iter()
        .flat_map(|r| [r.from_id, r.to_id])
        .collect();
    findings.extend(
        companies
            .filter(|c| !related.contains(&c.id))
            .map(|c| Finding::Unrelated(named(c))),
    );
    if findings.is_empty() && f.relations.is_empty() {
        let at = f
            .organisations
            .iter()
            .find(|o| o.kind == OrgKind::Company.as_str())
            .or_else(|| {
                f.organisations
                    .iter()
                    .find(|o| o.id == f.actor.organisation)
            });
        findings.push(Finding::NoRelations(at.map(named)));
    }
    StepCheck {
        step: Step::Relations,
        done: findings.is_empty(),
        findings,
    }
}

/// Roles the procedures act through that nobody holds within the scope. Across the whole
/// installation every acting role counts; within a narrower scope only the roles acted in
/// the case's own organisation or above it, of the procedures someone there can open —
/// a company need not hold the roles its counterparts act through.
fn unheld_roles(f: &Facts<'_>, ids: &HashSet<Uuid>) -> Vec<String> {
    let held: HashSet<&str> = f
        .holdings
        .iter()
        .filter(|(_, org, _)| f.everything || org.is_some_and(|o| ids.contains(&o)))
        .map(|(r, _, _)| r.as_str())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for p in f.procedures {
        let concerned = f.everything || p.start.iter().any(|r| held.contains(r.as_str()));
        if !concerned {
            continue;
        }
        for (r, local) in &p.acting {
            if (f.everything || *local) && !held.contains(r.as_str()) && !out.contains(r) {
                out.push(r.clone());
            }
        }
    }
    out
}

impl App {
    /// The setup guide of an administrator, over what they may manage; `None` for anyone
    /// who manages nothing.
    pub async fn setup_guide(&self, caller: &Caller) -> Result<Option<SetupGuide>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ManageOrganisation, &[]);
        if scope.is_empty() {
            return Ok(None);
        }
        let organisations = reads::organisations(&self.db, &scope).await?;
        let people = reads::people_counts(&self.db, &scope).await?;
        let holdings = reads::holdings(&self.db, &scope, self.today()).await?;
        let relations = reads::relations(&self.db, &scope).await?;
        let mut primes: Vec<Uuid> = relations
            .iter()
            .filter(|r| r.kind == RelationKind::SubcontractorOf.as_str())
            .map(|r| r.to_id)
            .collect();
        primes.sort();
        primes.dedup();
        let desks = orgs::desks(&self.db, &primes)
            .await?
            .into_iter()
            .map(|d| d.organisation_id)
            .collect();
        let procedures = procedure_roles(self.libraries().current().map(|l| &**l));
        Ok(Some(check(&Facts {
            actor: &caller.actor,
            everything: scope.everything(),
            organisations: &organisations,
            people: &people,
            holdings: &holdings,
            relations: &relations,
            desks: &desks,
            procedures: &procedures,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_domain::policy::Grant;
    use mamori_storage::Ts;

    fn org(name: &str, kind: &str, parent: Option<Uuid>) -> GuideOrganisation {
        GuideOrganisation {
            id: Uuid::now_v7(),
            name: name.into(),
            kind: kind.into(),
            parent_id: parent,
        }
    }

    fn relation(
        kind: &str,
        from: &GuideOrganisation,
        to: &GuideOrganisation,
        accepted: bool,
    ) -> RelationRow {
        let now = Ts(jiff::Timestamp::UNIX_EPOCH);
        RelationRow {
            id: Uuid::now_v7(),
            kind: kind.into(),
            from_id: from.id,
            to_id: to.id,
            from_name: from.name.clone(),
            to_name: to.name.clone(),
            created_at: now,
            accepted_at: accepted.then_some(now),
        }
    }

    struct World {
        actor: Actor,
        orgs: Vec<GuideOrganisation>,
        people: Vec<(Uuid, i64)>,
        holdings: Vec<Holding>,
        relations: Vec<RelationRow>,
        desks: HashSet<Uuid>,
        procedures: Vec<ProcedureRoles>,
    }

    impl World {
        fn fresh() -> Self {
            let home = org("運用管理室", "unit", None);
            let person = Uuid::now_v7();
            World {
                actor: Actor {
                    person,
                    organisation: home.id,
                    grants: vec![Grant {
                        role: role::SYSTEM_ADMIN.into(),
                        organisation: None,
                    }],
                },
                people: vec![(home.id, 1)],
                holdings: vec![(role::SYSTEM_ADMIN.into(), None, person)],
                orgs: vec![home],
                relations: vec![],
                desks: HashSet::new(),
                procedures: vec![ProcedureRoles {
                    start: vec!["reporter".into()],
                    acting: vec![("reporter".into(), true), ("desk".into(), false)],
                }],
            }
        }

        fn guide(&self, everything: bool) -> SetupGuide {
            check(&Facts {
                actor: &self.actor,
                everything,
                organisations: &self.orgs,
                people: &self.people,
                holdings: &self.holdings,
                relations: &self.relations,
                desks: &self.desks,
                procedures: &self.procedures,
            })
        }
    }

    fn findings(g: &SetupGuide, step: Step) -> &[Finding] {
        &g.steps.iter().find(|s| s.step == step).unwrap().findings
    }

    #[test]
    fn a_fresh_installation_has_every_step_to_do_starting_with_organisations() {
        let w = World::fresh();
        let w_home = w.orgs[0].clone();
        let g = w.guide(true);
        assert_eq!(g.next(), Some(Step::Organisations));
        assert!(g.steps.iter().all(|s| !s.done));
        assert_eq!(findings(&g, Step::People), [Finding::NoPeople]);
        assert_eq!(
            findings(&g, Step::Organisations),
            [Finding::NoOrganisations(None)]
        );
        assert_eq!(
            findings(&g, Step::Relations),
            [Finding::NoRelations(Some(named(&w_home)))]
        );
        assert_eq!(g.unheld_roles, ["reporter", "desk"]);
    }

    #[test]
    fn a_parent_with_staff_below_it_is_not_empty_but_a_bare_company_is() {
        let mut w = World::fresh();
        let ministry = org("防衛省", "ministry", None);
        let bureau = org("整備計画局", "bureau", Some(ministry.id));
        let company = org("甲重工業株式会社", "company", None);
        w.people.push((bureau.id, 3));
        w.orgs.extend([ministry, bureau, company.clone()]);
        let g = w.guide(true);
        assert_eq!(
            findings(&g, Step::People),
            [Finding::Empty(named(&company))]
        );
        assert_eq!(
            findings(&g, Step::Designations),
            [Finding::NoAdministrator(named(&company))]
        );
        assert_eq!(
            findings(&g, Step::Relations),
            [Finding::Unrelated(named(&company))]
        );
    }

    #[test]
    fn a_subcontract_names_the_primes_missing_desk_and_who_must_accept() {
        let mut w = World::fresh();
        let prime = org("甲重工業株式会社", "company", None);
        let sub = org("丙電子株式会社", "company", None);
        let sub2 = org("丁通信株式会社", "company", None);
        w.relations = vec![
            relation("subcontractor_of", &sub, &prime, false),
            relation("subcontractor_of", &sub2, &prime, true),
        ];
        w.orgs.extend([prime.clone(), sub.clone(), sub2.clone()]);
        let g = w.guide(true);
        assert_eq!(
            findings(&g, Step::Relations),
            [
                Finding::Waiting {
                    kind: "subcontractor_of".into(),
                    from: named(&sub),
                    to: named(&prime),
                    ours: true
                },
                Finding::NoDesk {
                    prime: named(&prime),
                    // The first by name (丁 sorts before 丙).
                    subcontractor: named(&sub2),
                    others: 1
                }
            ]
        );
        w.desks.insert(prime.id);
        w.relations[0].accepted_at = w.relations[1].accepted_at;
        let g = w.guide(true);
        assert!(findings(&g, Step::Relations).is_empty());
        assert!(
            g.steps
                .iter()
                .find(|s| s.step == Step::Relations)
                .unwrap()
                .done
        );
    }

    #[test]
    fn a_company_scope_weighs_only_the_roles_acted_at_home_of_procedures_it_opens() {
        let mut w = World::fresh();
        let company = org("甲重工業株式会社", "company", None);
        w.actor = Actor {
            person: w.actor.person,
            organisation: company.id,
            grants: vec![Grant {
                role: role::ADMINISTRATOR.into(),
                organisation: Some(company.id),
            }],
        };
        w.orgs = vec![company.clone()];
        w.holdings = vec![(role::ADMINISTRATOR.into(), Some(company.id), w.actor.person)];
        let g = w.guide(false);
        assert!(g.steps[0].done, "a company alone is a whole tree");
        assert!(g.unheld_roles.is_empty(), "opens nothing yet");
        w.procedures[0].start.push(role::ADMINISTRATOR.into());
        assert_eq!(w.guide(false).unheld_roles, ["reporter"]);
    }

    #[test]
    fn a_ministry_administrator_begins_the_tree_under_their_ministry() {
        let mut w = World::fresh();
        let ministry = org("防衛省", "ministry", None);
        w.actor.organisation = ministry.id;
        w.orgs = vec![ministry.clone()];
        let g = w.guide(false);
        assert_eq!(
            findings(&g, Step::Organisations),
            [Finding::NoOrganisations(Some(named(&ministry)))]
        );
        w.orgs.push(org("防衛装備庁", "agency", Some(ministry.id)));
        assert!(w.guide(false).steps[0].done);
    }

    #[test]
    fn everything_set_up_is_complete() {
        let mut w = World::fresh();
        let company = org("甲重工業株式会社", "company", None);
        let admin = Uuid::now_v7();
        w.people.push((company.id, 1));
        w.holdings
            .push((role::ADMINISTRATOR.into(), Some(company.id), admin));
        w.relations = vec![relation("contracts_with", &company, &w.orgs[0], true)];
        w.orgs.push(company);
        let g = w.guide(true);
        assert!(g.complete(), "{:?}", g.steps);
        assert_eq!(g.next(), None);
    }
}
