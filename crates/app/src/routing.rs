//! Where a case goes beyond its own organisation, and so who takes part in it.
//!
//! A case's relations across organisations (contracting organisations, prime contractor,
//! service contractors) are reckoned from the organisation that *holds* it: its own, until
//! an action with `pass_on` passes it on (a prime contractor forwarding a subcontractor's
//! report under its own contract). A procedure that telephones first (`phone_first`)
//! addresses the case, once it leaves its first state, to the desks of the organisations the
//! form names and to nobody else; to the last-resort desk when it names none that can be
//! reached, when someone recorded that the desk could not be reached, or when a deadline
//! escalated to it. Organisations an action relayed the case to take part as `relayed_to`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use mamori_domain::policy::CaseFacts;
use mamori_library::condition::normalise;
use mamori_library::form::Data;
use mamori_library::model::{Library, PhoneFirst, Procedure, Register};
use mamori_storage::Src;
use mamori_storage::organisations as orgs;

use crate::{App, AppError};

/// Where a case has been routed, as stored with it (`cases.routing`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Routing {
    /// The organisations it passed on to, in order; the last one holds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<Uuid>,
    /// The organisations it was relayed to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayed: Vec<Uuid>,
    /// It was routed to the last-resort desk.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_resort: bool,
}

impl Routing {
    /// Reads the stored text; an unreadable one routes nowhere.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The text to store.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The organisation holding a case of `own`.
    pub fn holder(&self, own: Uuid) -> Uuid {
        self.passed.last().copied().unwrap_or(own)
    }
}

/// What a case's facts are worked out from.
pub(crate) struct CaseAt<'d> {
    /// The case's organisation.
    pub organisation: Uuid,
    /// Its state.
    pub state: &'d str,
    /// Its data.
    pub data: &'d Data,
    /// Where it has been routed.
    pub routing: &'d Routing,
}

/// The names a directory files under one of its desks.
struct Desk {
    /// The directory's organisation (its key).
    organisation: String,
    /// The organisation keeping the desk, as named in the tree (`staffed_by`, else the
    /// row's organisation).
    keeper: String,
    /// The names it answers for: its organisation and the units filed under it (`covers`).
    names: Vec<String>,
    /// The last-resort desk.
    fallback: bool,
}

fn text_of<'a>(row: &'a serde_json::Map<String, Value>, column: &str) -> &'a str {
    row.get(column)
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
}

/// Whether an organisation's name is the directory's name for it: the same, or the same
/// followed by a qualifier (「防衛装備庁 装備政策部」, 「防衛装備庁（市ヶ谷）」), compared without
/// regard to case and runs of spaces.
fn called(name: &str, directory_name: &str) -> bool {
    let (name, wanted) = (normalise(name), normalise(directory_name));
    match name.strip_prefix(&wanted) {
        Some(rest) => rest.is_empty() || rest.starts_with([' ', '（', '(']),
        None => false,
    }
}

/// The names a cell holds: one per line, or separated by 「、」 or commas.
fn names_in(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['\n', '、', ',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn desks(directory: &Register) -> Vec<Desk> {
    directory
        .rows
        .iter()
        .map(|r| &r.value)
        .filter_map(|row| {
            let organisation = text_of(row, "organisation");
            if organisation.is_empty() {
                return None;
            }
            let staffed_by = text_of(row, "staffed_by");
            let mut names = vec![normalise(organisation)];
            names.extend(names_in(text_of(row, "covers")).map(normalise));
            Some(Desk {
                organisation: organisation.to_owned(),
                keeper: if staffed_by.is_empty() {
                    organisation
                } else {
                    staffed_by
                }
                .to_owned(),
                names,
                fallback: row.get("fallback") == Some(&Value::Bool(true)),
            })
        })
        .collect()
}

/// The desk a name of the form is filed under: the row of that organisation, or the row
/// whose `covers` lists it (a hospital under its service's desk). The last resort is no
/// organisation anyone names.
fn desk_for<'d>(desks: &'d [Desk], name: &str) -> Option<&'d Desk> {
    let wanted = normalise(name);
    desks
        .iter()
        .find(|d| !d.fallback && d.names.contains(&wanted))
}

/// The directory's organisation a name is filed under, for its row of numbers; the name
/// itself when no row answers for it.
pub(crate) fn filed_under(directory: &Register, name: &str) -> String {
    desk_for(&desks(directory), name).map_or_else(|| name.to_owned(), |d| d.organisation.clone())
}

impl App {
    /// The facts of a case as it stands: its organisation's ancestors, and the relations
    /// reckoned from the organisation holding it, narrowed to whom it is addressed.
    pub(crate) async fn facts_of_case<'a>(
        &self,
        src: impl Into<Src<'a>>,
        lib: &Library,
        procedure: &Procedure,
        at: &CaseAt<'_>,
    ) -> Result<CaseFacts, AppError> {
        let mut src = src.into();
        let holder = at.routing.holder(at.organisation);
        let mut facts = self.case_facts(src.reborrow(), holder).await?;
        if holder != at.organisation {
            facts.ancestors = orgs::ancestors(src.reborrow(), at.organisation).await?;
            facts.passed_from = at.routing.passed.clone();
        }
        facts.relayed = at.routing.relayed.clone();
        if reaches_wide(procedure) {
            self.wide_facts(src.reborrow(), at.organisation, &mut facts)
                .await?;
        }
        self.about_row(src.reborrow(), lib, procedure, at.data, &mut facts)
            .await?;
        let Some(pf) = &procedure.phone_first else {
            return Ok(facts);
        };
        let Some(directory) = lib.registers.get(&pf.directory.value) else {
            return Ok(facts);
        };
        let desks = desks(directory);
        let contracted = std::mem::take(&mut facts.contracting);
        let mut unmatched = false;
        if at.state == procedure.initial_state().id.value {
            // A draft is the company's own: any desk it contracts with may take it down.
            facts.contracting = contracted.clone();
        } else {
            let named = named_organisations(pf, at.data);
            unmatched = named.is_empty();
            for name in named {
                let found = match desk_for(&desks, &name) {
                    Some(d) => {
                        self.desk_among(src.reborrow(), &contracted, &d.keeper)
                            .await?
                    }
                    None => None,
                };
                match found {
                    Some(org) if !facts.contracting.contains(&org) => facts.contracting.push(org),
                    Some(_) => {}
                    None => unmatched = true,
                }
            }
        }
        if unmatched || at.routing.last_resort {
            facts.last_resort = self.last_resort(src, &desks, &contracted).await?;
        }
        Ok(facts)
    }

    /// The organisations below, beside and around the case's organisation.
    pub(crate) async fn wide_facts<'a>(
        &self,
        mut src: Src<'a>,
        organisation: Uuid,
        facts: &mut CaseFacts,
    ) -> Result<(), AppError> {
        let below = orgs::below(src.reborrow(), organisation).await?;
        facts.children = below
            .iter()
            .filter(|(_, depth)| *depth == 1)
            .map(|(id, _)| *id)
            .collect();
        facts.descendants = below.into_iter().map(|(id, _)| id).collect();
        let ancestors = orgs::ancestors(src.reborrow(), organisation).await?;
        if let Some(parent) = ancestors.get(1) {
            facts.siblings = orgs::below(src.reborrow(), *parent)
                .await?
                .into_iter()
                .filter(|(id, depth)| *depth == 1 && *id != organisation)
                .map(|(id, _)| id)
                .collect();
        }
        facts.tree = orgs::tree_of(src, organisation)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        Ok(())
    }

    /// The organisation keeping a desk called `keeper`: one of `contracted` or one above it
    /// (a hospital contracts, its service's desk takes the report).
    async fn desk_among<'a>(
        &self,
        mut src: Src<'a>,
        contracted: &[Uuid],
        keeper: &str,
    ) -> Result<Option<Uuid>, AppError> {
        for org in contracted {
            // The organisation itself first, then those above it.
            let path = orgs::path(src.reborrow(), *org).await?;
            if let Some(desk) = path.iter().rev().find(|o| called(&o.name, keeper)) {
                return Ok(Some(desk.id));
            }
        }
        Ok(None)
    }

    /// The organisation keeping the last-resort desk, looked for only inside the trees of
    /// the organisations contracted with: a company cannot name itself into the role.
    async fn last_resort<'a>(
        &self,
        mut src: Src<'a>,
        desks: &[Desk],
        contracted: &[Uuid],
    ) -> Result<Vec<Uuid>, AppError> {
        let Some(desk) = desks.iter().find(|d| d.fallback) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for org in contracted {
            for (id, name) in orgs::tree_of(src.reborrow(), *org).await? {
                if !out.contains(&id) && called(&name, &desk.keeper) {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// The organisations of the tree `org` is in (its root and everything below), by name:
    /// where an action taken from `org` may relay a case.
    pub(crate) async fn tree_of(&self, org: Uuid) -> Result<Vec<(Uuid, String)>, AppError> {
        Ok(orgs::tree_of(&self.db, org).await?)
    }
}

/// Whether any party of the procedure is found below or beside the case's organisation.
fn reaches_wide(procedure: &Procedure) -> bool {
    procedure
        .start
        .iter()
        .chain(procedure.transitions.iter().flat_map(|t| {
            t.by.iter()
                .chain(&t.notify_roles)
                .chain(t.unavoidable.iter().flat_map(|u| &u.overseen_by))
        }))
        .chain(procedure.deadlines.iter().flat_map(|d| &d.escalate))
        .any(|p| p.of.is_wide())
}

/// The distinct organisations a case's form names, in the order typed.
pub(crate) fn named_organisations(
    pf: &PhoneFirst,
    data: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let path = &pf.organisations.value;
    let mut out: Vec<String> = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(s) = v
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            && !out.iter().any(|o| o == s)
        {
            out.push(s.to_owned());
        }
    };
    match path.split_once('.') {
        Some((group, column)) => {
            for row in data
                .get(group)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                push(row.get(column));
            }
        }
        None => push(data.get(path.as_str())),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::called;

    #[test]
    fn a_name_matches_itself_or_itself_qualified() {
        assert!(called("防衛装備庁", "防衛装備庁"));
        assert!(called("防衛装備庁 装備政策部", "防衛装備庁"));
        assert!(called("防衛装備庁（市ヶ谷）", "防衛装備庁"));
        assert!(!called("防衛装備庁長官官房", "防衛装備庁"));
        assert!(!called("陸上自衛隊", "防衛装備庁"));
    }
}
