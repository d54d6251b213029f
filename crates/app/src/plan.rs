//! Deciding an action before anything is written.
//!
//! The planner is pure: it is given a case as it stands ([`Standing`]: its procedure,
//! state, data, what was done, where it was routed, the organisations around it and the
//! register rows its conditions read, all loaded by the caller, and the present moment)
//! and who asks. It answers what that person may do now ([`offers`]), whom the case waits
//! on ([`waits`]), which deadlines run ([`timers`]), and, for one action, either why it is
//! refused ([`Refusal`]) or everything taking it changes ([`Plan`]). The use cases in
//! [`crate::cases`] load, ask, and write the plan in one transaction; the case page asks
//! the same questions, so what a page offers and what the server accepts never disagree.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{Timestamp, Zoned};
use mamori_domain::deadline::remind_at;
use mamori_domain::policy::{self, Actor, CaseFacts, CaseRelation};
use mamori_library::condition::{self, Facts, Key, key_text};
use mamori_library::form::{self, Completeness, Data, FieldProblem};
use mamori_library::model::{
    CommentRule, Deadline, FieldType, Keeper, Participant, Party, Procedure, Relation, Resolution,
    Someone, SomeoneNamed, Transition,
};
use mamori_library::{Library, Text};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::routing::Routing;

/// A value read from a library file, with where it was written.
type Spanned<T> = mamori_library::model::Spanned<T>;

/// Register rows found for a case's lookups, by register and canonical key.
pub(crate) type Rows = BTreeMap<(String, String), Data>;

/// Longest comment an action takes, in characters.
pub(crate) const COMMENT_MAX: usize = 4000;

/// A case as it stands, with everything deciding on it reads.
pub(crate) struct Standing<'a> {
    /// The library version the case runs under.
    pub lib: &'a Library,
    /// Its procedure.
    pub procedure: &'a Procedure,
    /// Whoever opened it.
    pub opened_by: Uuid,
    /// Its history, oldest first (who took which action, and as what).
    pub history: &'a [Taken],
    /// Its state.
    pub state: &'a str,
    /// Its data, with the names of the files attached so far.
    pub data: &'a Data,
    /// The actions taken in it.
    pub done: &'a [String],
    /// Where it was routed.
    pub routing: &'a Routing,
    /// The organisations around it, as routed.
    pub facts: &'a CaseFacts,
    /// The register rows its conditions read (see [`lookups`]).
    pub rows: &'a Rows,
    /// The present moment in the installation's zone.
    pub now: &'a Zoned,
    /// How many people may vote in each ballot of the state (its members today), by the
    /// ballot's action (see [`ballots`]).
    pub members: &'a BTreeMap<String, usize>,
    /// The people the `person` fields named by exclusions (`{ subject: field }`) name, by
    /// field: a field holds an id or an e-mail address, and either is the same person.
    pub subjects: &'a BTreeMap<String, Uuid>,
}

impl Standing<'_> {
    fn today(&self) -> String {
        self.now.date().to_string()
    }

    fn form_fields(&self) -> &[mamori_library::model::Field] {
        &self.lib.form_of(self.procedure).fields
    }
}

/// One entry of a case's history, as deciding reads it.
#[derive(Debug, Clone)]
pub(crate) struct Taken {
    /// Its place in the history.
    pub seq: i64,
    pub at: Timestamp,
    /// Who took it.
    pub actor: Option<Uuid>,
    /// The action (`open`, `save`, or a transition's).
    pub action: String,
    /// The state before.
    pub from: Option<String>,
    /// The state after.
    pub to: Option<String>,
    /// What the entry says beyond its action.
    pub detail: Detail,
}

/// What a history entry says beyond its action, kept with it (`case_events.detail`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Detail {
    /// The party of the action (its place in `by`) the actor decided as, for an action
    /// every party takes (`jointly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<usize>,
    /// One person's decision in an action several people take (`persons`, `jointly`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decided: bool,
    /// The decision that made such an action count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub completes: bool,
    /// Taken by someone the action excludes, in the unavoidable case: the reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavoidable: Option<String>,
    /// Taken in an emergency before its requirements held: the reason given. It waits on
    /// the action's `ratified_by` until one of them ratifies or rejects it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<String>,
    /// Ratifies (or, with `rejected`, rejects) the emergency taken at this place in the
    /// history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratifies: Option<i64>,
    /// The emergency was rejected, not ratified.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejected: bool,
    /// Taken by someone holding the role only by delegation: whose it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegated_by: Option<String>,
    /// A member's vote in a ballot (`for`, `against`, `abstain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<String>,
    /// A body's resolution, as counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
    /// Secret fields handed over with the action, by id: sealed apart, never here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<String>,
}

/// The votes of a round of a ballot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    #[serde(rename = "for")]
    pub yes: usize,
    pub against: usize,
    pub abstain: usize,
    /// Who may vote.
    pub members: usize,
    /// How many votes the quorum needs.
    pub quorum: usize,
    /// Whether the votes carry it.
    pub carried: bool,
}

impl Tally {
    /// The votes cast.
    pub fn cast(&self) -> usize {
        self.yes + self.against + self.abstain
    }

    /// Whether enough members voted.
    pub fn quorate(&self) -> bool {
        self.cast() >= self.quorum
    }
}

/// A role the actor holds today only because its holder delegated it to them.
#[derive(Debug, Clone)]
pub(crate) struct Delegation {
    /// The role.
    pub role: String,
    pub organisation: Option<Uuid>,
    /// The holder who delegated it, by name.
    pub from: String,
}

/// A designation an action makes or ends, as its fields give it, before the person, post
/// and organisation named are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Appointing {
    /// The role.
    pub role: String,
    /// Ends the designation rather than makes it.
    pub release: bool,
    /// The person as typed (an e-mail address or an id), and the field it came from.
    pub person: Option<(String, String)>,
    /// The post's name as typed, and the field it came from.
    pub post: Option<(String, String)>,
    /// The organisation as typed (a name or an id) and its field; the case's without one.
    pub within: Option<(String, String)>,
    pub starts_on: jiff::civil::Date,
    /// Until (for a release: the last day).
    pub ends_on: Option<jiff::civil::Date>,
}

impl Detail {
    /// Reads the stored text; an unreadable one says nothing more.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The text to store.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// What someone asks to do.
pub(crate) struct Request<'a> {
    /// The action.
    pub action: &'a str,
    /// Its fields as given.
    pub fields: &'a Data,
    /// The comment as given.
    pub comment: &'a str,
    /// The names of the files attached to the case (evidence is picked from them).
    pub files: &'a [String],
    /// The organisations the actor may relay the case to (see [`relays`]).
    pub relay_targets: &'a [Uuid],
    /// The facts of the organisation the actor acts from, when the action passes the case
    /// on to it (see [`passes_on`]): where the case goes next is reckoned from there.
    pub passing_to: Option<&'a CaseFacts>,
    /// The reason given for taking, in the unavoidable case, an action that excludes the
    /// actor.
    pub unavoidable: Option<&'a str>,
    /// The reason given for taking the action in an emergency, before its requirements
    /// hold.
    pub emergency: Option<&'a str>,
    /// The roles the actor holds today only by delegation.
    pub delegations: &'a [Delegation],
    /// The actor's name, for writes that record who decided (`$actor`); empty when the
    /// action writes none.
    pub actor_name: &'a str,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// The procedure has no such action.
    UnknownAction,
    /// The actor holds none of the action's parties' roles where the case needs them.
    NotTheirs,
    /// The case is no longer in a state the action is taken from.
    StateChanged,
    /// Fields, the form or the comment are wrong; each problem names its field.
    Invalid(Vec<FieldProblem>),
    /// The action is not offered in the case as it stands.
    NotOffered,
    /// The action's requirements do not hold yet: the library's messages.
    Unmet(Vec<Text>),
    /// The action excludes the actor (the applicant may not approve); `unavoidable`: the
    /// library allows it in the unavoidable case, with a reason, which was not given.
    Excluded {
        /// Whether a reason would let them.
        unavoidable: bool,
    },
    /// The actor already took their part in an action several people take: another person
    /// must.
    AlreadyDecided,
    /// An emergency was claimed for an action that has no emergency path.
    NoEmergencyPath,
    /// No emergency awaits ratification at that place in the history.
    NoSuchEmergency,
}

/// A register row an action writes: found by key, created when missing, the change
/// merged over what it held.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowChange {
    /// The register.
    pub register: String,
    /// The organisation whose register it is.
    pub keeper: Uuid,
    /// The canonical key.
    pub key: String,
    /// The columns written.
    pub change: Data,
}

/// Who is told of an action, before the people are looked up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notices {
    /// Whoever opened the case.
    pub applicant: bool,
    /// Holders of a role in organisations, as the case stands after the action.
    pub roles: Vec<Party>,
    /// Everyone the case waits on after the action.
    pub waiting: bool,
}

/// Everything taking an action changes.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The state the case moves to (the same for an action that stays).
    pub to: String,
    /// The case's data afterwards.
    pub data: Data,
    /// The action's own fields, as its history entry records them.
    pub given: Data,
    /// The comment, trimmed.
    pub comment: String,
    /// The actions taken, this one included.
    pub done: Vec<String>,
    /// Where the case is routed afterwards, when the action changes it.
    pub routing: Option<Routing>,
    /// The case ends with this action.
    pub closes: bool,
    /// Register rows written.
    pub writes: Vec<RowChange>,
    /// Who is told.
    pub notices: Notices,
    /// What the history entry says beyond its action.
    pub detail: Detail,
    /// Who oversees the exception, when the action was taken in the unavoidable case.
    pub overseers: Vec<Party>,
    /// Who ratifies it, when it was taken in an emergency.
    pub ratifiers: Vec<Party>,
    /// Designations made or ended.
    pub appointments: Vec<Appointing>,
    /// Secrets handed over, (field, value): written sealed, and nowhere else.
    pub secrets: Vec<(String, String)>,
}

/// An action offered to the reader, with what still keeps it from being taken.
#[derive(Debug, Clone)]
pub(crate) struct Offer<'p> {
    /// The transition.
    pub transition: &'p Transition,
    /// Why taking it now would be refused (the requirements not met yet, an exclusion,
    /// a decision already given).
    pub unmet: Vec<Text>,
    /// The reader is excluded but may take it in the unavoidable case, giving a reason.
    pub unavoidable: bool,
    /// For an action several people take: the decisions given so far, and how many it
    /// needs.
    pub tally: Option<(usize, usize)>,
    /// Its requirements do not hold yet but it has an emergency path: the reader may take
    /// it now, giving the reason, and report afterwards.
    pub emergency: bool,
    /// For a body's resolution: the votes of the round so far.
    pub votes: Option<Tally>,
}

/// A deadline timer to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timer {
    /// The deadline's place in the procedure's list.
    pub deadline: usize,
    /// A reminder before it, or the deadline itself.
    pub remind: bool,
    /// When it fires.
    pub at: Timestamp,
}

pub(crate) fn relation(r: Relation) -> CaseRelation {
    match r {
        Relation::OwnOrganisation => CaseRelation::OwnOrganisation,
        Relation::ParentChain => CaseRelation::ParentChain,
        Relation::ContractingOrganisation => CaseRelation::ContractingOrganisation,
        Relation::PrimeContractor => CaseRelation::PrimeContractor,
        Relation::ServiceContractor => CaseRelation::ServiceContractor,
        Relation::LastResort => CaseRelation::LastResort,
        Relation::RelayedTo => CaseRelation::RelayedTo,
        Relation::Children => CaseRelation::Children,
        Relation::Descendants => CaseRelation::Descendants,
        Relation::Siblings => CaseRelation::Siblings,
        Relation::Tree => CaseRelation::Tree,
        Relation::CaseRow => CaseRelation::CaseRow,
    }
}

/// The organisation the actor acts from as one of `parties`, if any.
pub(crate) fn acting(actor: &Actor, parties: &[Party], facts: &CaseFacts) -> Option<Uuid> {
    parties
        .iter()
        .find_map(|p| policy::acting_as(actor, &p.role.value, relation(p.of), facts))
}

/// The conditions' view of a case with `data`.
fn facts<'a>(
    s: &'a Standing<'_>,
    data: &'a Data,
    today: &'a str,
    holder: &'a CaseFacts,
) -> Facts<'a> {
    Facts {
        data,
        done: s.done,
        rows: s.rows,
        today,
        now: Some(s.now),
        organisations: Some(holder),
    }
}

/// The register rows deciding the case's actions from its state needs, with its data as it
/// stands.
pub(crate) fn lookups(
    procedure: &Procedure,
    state: &str,
    data: &Data,
    today: &str,
) -> Vec<(String, Key)> {
    procedure
        .transitions_from(state)
        .flat_map(|t| condition::transition_lookups(t, data, today))
        .collect()
}

/// The actions the reader may take now, each with what keeps it from being taken yet.
pub(crate) fn offers<'p>(s: &'p Standing<'_>, actor: &Actor) -> Vec<Offer<'p>> {
    let today = s.today();
    let f = facts(s, s.data, &today, s.facts);
    s.procedure
        .transitions_from(s.state)
        .filter(|t| condition::offered(t, &f) && acting(actor, &t.by, s.facts).is_some())
        .map(|t| {
            let mut unmet: Vec<Text> = condition::unmet(t, &f).into_iter().cloned().collect();
            let excluded = excluded(s, t, actor);
            if excluded && t.unavoidable.is_none() {
                unmet.push(engine_text(
                    "この操作の当事者（申請した人など）は、この操作を行えません（兼務の禁止）。",
                    "Whoever this action excludes (the applicant, say) may not take it (separation of duties).",
                ));
            }
            if t.gathers() && decided(s, t).iter().any(|d| d.actor == Some(actor.person)) {
                unmet.push(engine_text(
                    "あなたはこの操作をすでに行いました。別の人が行います。",
                    "You have already taken this action; another person takes it now.",
                ));
            }
            if t.ballot && votes(s, &t.action.value).iter().any(|v| v.actor == Some(actor.person)) {
                unmet.push(engine_text(
                    "あなたはこの回の投票を済ませました。",
                    "You have already voted in this round.",
                ));
            }
            let tally = t.resolves.as_ref().map(|r| tally(s, r));
            if let Some(t) = tally.filter(|t| !t.quorate()) {
                unmet.push(no_quorum(&t));
            }
            Offer {
                votes: tally,
                emergency: t.emergency.is_some() && !unmet.is_empty(),
                transition: t,
                unmet,
                unavoidable: excluded && t.unavoidable.is_some(),
                tally: t.gathers().then(|| (decided(s, t).len(), needed(t))),
            }
        })
        .collect()
}

/// A message of the engine's own, in both languages.
fn engine_text(ja: &str, en: &str) -> Text {
    Text {
        ja: ja.to_owned(),
        en: Some(en.to_owned()),
    }
}

/// The engine's message while a body lacks its quorum.
pub(crate) fn no_quorum(t: &Tally) -> Text {
    Text {
        ja: format!(
            "定足数に達していません（投票 {} 人・委員 {} 人、{} 人以上の投票が必要です）。",
            t.cast(),
            t.members,
            t.quorum
        ),
        en: Some(format!(
            "The quorum is not reached ({} voted of {} members; {} must vote).",
            t.cast(),
            t.members,
            t.quorum
        )),
    }
}

/// The votes cast in the round under way of a ballot: since the case last entered its
/// state, or a resolution last counted them.
fn votes<'h>(s: &Standing<'h>, ballot: &str) -> Vec<&'h Taken> {
    let start = s
        .history
        .iter()
        .rposition(|e| {
            (e.to.as_deref() == Some(s.state) && e.from.as_deref() != Some(s.state))
                || e.detail.tally.is_some()
        })
        .map_or(0, |i| i + 1);
    s.history[start..]
        .iter()
        .filter(|e| e.action == ballot && e.detail.vote.is_some())
        .collect()
}

/// The votes of the round under way counted for a resolution.
pub(crate) fn tally(s: &Standing<'_>, r: &Resolution) -> Tally {
    let cast = votes(s, &r.ballot.value);
    let count = |v: &str| {
        cast.iter()
            .filter(|e| e.detail.vote.as_deref() == Some(v))
            .count()
    };
    let members = s.members.get(&r.ballot.value).copied().unwrap_or_default();
    let (n, d) = r.quorum().unwrap_or((1, 2));
    let mut t = Tally {
        yes: count("for"),
        against: count("against"),
        abstain: count("abstain"),
        members,
        // At least that share of the members: the quorum rounds up.
        quorum: (members * n as usize).div_ceil(d as usize).max(1),
        carried: false,
    };
    t.carried = t.quorate() && r.majority.carries(t.yes, t.cast());
    t
}

/// The ballots whose members deciding in `state` counts: the caller loads how many people
/// may vote in each into [`Standing::members`].
pub(crate) fn ballots<'p>(procedure: &'p Procedure, state: &str) -> Vec<&'p Transition> {
    procedure
        .transitions_from(state)
        .filter_map(|t| t.resolves.as_ref())
        .filter_map(|r| procedure.transition(&r.ballot.value))
        .collect()
}

/// Whether deciding in a case of `procedure` reads its history: an action excludes whoever
/// took another, several people take one, a body votes, or one has an emergency path.
pub(crate) fn reads_history(procedure: &Procedure) -> bool {
    procedure.transitions.iter().any(|t| {
        t.gathers()
            || t.ballot
            || t.emergency.is_some()
            || t.excludes
                .iter()
                .any(|e| matches!(e.value, Someone::Took { .. }))
    })
}

/// The actions taken in an emergency that wait on ratification, with the transition.
pub(crate) fn pending_emergencies<'h>(
    procedure: &'h Procedure,
    history: &'h [Taken],
) -> Vec<(&'h Taken, &'h Transition)> {
    history
        .iter()
        .filter(|e| e.detail.emergency.is_some())
        .filter(|e| !history.iter().any(|r| r.detail.ratifies == Some(e.seq)))
        .filter_map(|e| Some((e, procedure.transition(&e.action)?)))
        .filter(|(_, t)| t.emergency.is_some())
        .collect()
}

/// When an action taken in an emergency at `at` must be ratified by.
pub(crate) fn ratify_by(
    t: &Transition,
    at: Timestamp,
    zone: &jiff::tz::TimeZone,
) -> Option<Timestamp> {
    Some(t.emergency.as_ref()?.within()?.at(at, zone))
}

/// Ratifying (or rejecting) the emergency taken at `seq`: the organisation the actor
/// ratifies from and what the history entry says, or why not.
pub(crate) fn ratify(
    s: &Standing<'_>,
    actor: &Actor,
    seq: i64,
    accept: bool,
) -> Result<(Uuid, Detail), Refusal> {
    let (_, t) = pending_emergencies(s.procedure, s.history)
        .into_iter()
        .find(|(e, _)| e.seq == seq)
        .ok_or(Refusal::NoSuchEmergency)?;
    let parties = &t
        .emergency
        .as_ref()
        .ok_or(Refusal::NoSuchEmergency)?
        .ratified_by;
    let acting = acting(actor, parties, s.facts).ok_or(Refusal::NotTheirs)?;
    Ok((
        acting,
        Detail {
            ratifies: Some(seq),
            rejected: !accept,
            ..Detail::default()
        },
    ))
}

/// Whether the action excludes `actor` in this case.
fn excluded(s: &Standing<'_>, t: &Transition, actor: &Actor) -> bool {
    t.excludes.iter().any(|e| match &e.value {
        Someone::Named(SomeoneNamed::Applicant) => s.opened_by == actor.person,
        Someone::Took { took } => s
            .history
            .iter()
            .any(|h| h.action == *took && h.actor == Some(actor.person)),
        Someone::Subject { subject } => s.subjects.get(subject) == Some(&actor.person),
    })
}

/// The `person` fields a procedure's exclusions name (`{ subject: field }`): the people
/// they name are looked up before deciding.
pub(crate) fn subject_fields(procedure: &Procedure) -> BTreeSet<&str> {
    procedure
        .transitions
        .iter()
        .flat_map(|t| &t.excludes)
        .filter_map(|e| match &e.value {
            Someone::Subject { subject } => Some(subject.as_str()),
            _ => None,
        })
        .collect()
}

/// The decisions given so far in an action several people take: since the case last
/// entered its state, or the action last counted.
fn decided<'h>(s: &Standing<'h>, t: &Transition) -> Vec<&'h Taken> {
    let start = s
        .history
        .iter()
        .rposition(|e| {
            (e.to.as_deref() == Some(s.state) && e.from.as_deref() != Some(s.state))
                || (e.action == t.action.value && e.detail.completes)
        })
        .map_or(0, |i| i + 1);
    s.history[start..]
        .iter()
        .filter(|e| e.action == t.action.value && e.detail.decided)
        .collect()
}

/// How many decisions an action several people take needs.
fn needed(t: &Transition) -> usize {
    if t.jointly {
        t.by.len()
    } else {
        t.persons.as_ref().map_or(1, |n| n.value as usize)
    }
}

/// The parties of a joint action still to decide.
fn undecided<'t>(s: &Standing<'_>, t: &'t Transition) -> Vec<(usize, &'t Party)> {
    let done: Vec<usize> = decided(s, t)
        .iter()
        .filter_map(|d| d.detail.party)
        .collect();
    t.by.iter()
        .enumerate()
        .filter(|(i, _)| !done.contains(i))
        .collect()
}

/// The actions the case waits on now, whoever may take them.
pub(crate) fn awaited<'p>(s: &'p Standing<'_>) -> Vec<&'p Transition> {
    let today = s.today();
    let f = facts(s, s.data, &today, s.facts);
    s.procedure
        .transitions_from(s.state)
        .filter(|t| t.waits && condition::offered(t, &f))
        .collect()
}

/// Whom the case waits on: a (role, organisation, row) for each party of each action it
/// waits on — the row for a role held for the row the case is about.
pub(crate) fn waits(s: &Standing<'_>) -> Vec<(String, Uuid, Option<Uuid>)> {
    let mut out = Vec::new();
    let mut push = |p: &Party| {
        let of = relation(p.of);
        let row = (of == CaseRelation::CaseRow)
            .then_some(s.facts.row)
            .flatten();
        for org in s.facts.organisations(of) {
            out.push((p.role.value.clone(), *org, row));
        }
    };
    for (_, t) in pending_emergencies(s.procedure, s.history) {
        for p in t.emergency.iter().flat_map(|e| &e.ratified_by) {
            push(p);
        }
    }
    for t in awaited(s) {
        let parties: Vec<&Party> = if t.jointly {
            undecided(s, t).into_iter().map(|(_, p)| p).collect()
        } else {
            t.by.iter().collect()
        };
        for p in parties {
            push(p);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Who may take `action` in the case and from where: the transition and the organisation
/// the actor acts from, or why not. Checked before anything is saved.
pub(crate) fn admits<'p>(
    s: &Standing<'p>,
    actor: &Actor,
    action: &str,
) -> Result<(&'p Transition, Uuid), Refusal> {
    let t = s
        .procedure
        .transition(action)
        .ok_or(Refusal::UnknownAction)?;
    let acting = acting(actor, &t.by, s.facts).ok_or(Refusal::NotTheirs)?;
    if !t.from.iter().any(|f| f.value == s.state) {
        return Err(Refusal::StateChanged);
    }
    Ok((t, acting))
}

/// The action's fields as checked; nothing when they are wrong (the plan then refuses).
fn given(t: &Transition, r: &Request<'_>) -> Result<Data, Vec<FieldProblem>> {
    form::validate(&t.fields, r.fields, Completeness::Complete)
}

/// The case's data once the action's fields are recorded: an action's fields say what was
/// recorded when it was last taken, so taken again (a second notice after a deficiency) a
/// field left empty this time is empty.
fn merged(data: &Data, t: &Transition, given: &Data) -> Data {
    let mut data = data.clone();
    for f in &t.fields {
        data.remove(f.id());
    }
    data.extend(given.clone());
    data
}

/// The register rows deciding `action` needs, with its fields recorded.
pub(crate) fn action_lookups(s: &Standing<'_>, r: &Request<'_>) -> Vec<(String, Key)> {
    let Some(t) = s.procedure.transition(r.action) else {
        return Vec::new();
    };
    let data = merged(s.data, t, &given(t, r).unwrap_or_default());
    condition::transition_lookups(t, &data, &s.today())
}

/// Whether `action` routes the case on to the organisation the actor acts from, so that the
/// caller loads that organisation's facts for [`Request::passing_to`].
pub(crate) fn passes_on(s: &Standing<'_>, action: &str, acting: Uuid, organisation: Uuid) -> bool {
    s.procedure
        .transition(action)
        .is_some_and(|t| t.pass_on && s.routing.holder(organisation) != acting)
}

/// Whether `action` relays the case, so that the caller loads [`Request::relay_targets`].
pub(crate) fn relays(procedure: &Procedure, action: &str) -> bool {
    procedure
        .transition(action)
        .is_some_and(|t| t.relays_to.is_some())
}

/// Decides `r` in the case `s` of `organisation` for `actor`: the whole change, or why not.
pub(crate) fn decide(
    s: &Standing<'_>,
    organisation: Uuid,
    actor: &Actor,
    r: &Request<'_>,
) -> Result<Plan, Refusal> {
    let (t, mut acting) = admits(s, actor, r.action)?;
    let unavoidable = duties(s, t, actor, r.unavoidable)?;
    let mut detail = Detail {
        unavoidable: unavoidable.clone(),
        delegated_by: under_delegation(s, t, actor, r.delegations),
        ..Detail::default()
    };
    if t.ballot
        && votes(s, &t.action.value)
            .iter()
            .any(|v| v.actor == Some(actor.person))
    {
        return Err(Refusal::AlreadyDecided);
    }
    // An action several people take counts once enough different people have taken it.
    let mut complete = true;
    if t.gathers() {
        let decisions = decided(s, t);
        if decisions.iter().any(|d| d.actor == Some(actor.person)) {
            return Err(Refusal::AlreadyDecided);
        }
        if t.jointly {
            // The actor decides as the first party still to decide that they can act as.
            let (party, org) = undecided(s, t)
                .into_iter()
                .find_map(|(i, p)| Some((i, acting_as_party(actor, p, s.facts)?)))
                .ok_or(Refusal::AlreadyDecided)?;
            detail.party = Some(party);
            acting = org;
        }
        detail.decided = true;
        complete = decisions.len() + 1 >= needed(t);
        detail.completes = complete;
    }
    let (mut given, mut found) = match given(t, r) {
        Ok(d) => (d, Vec::new()),
        Err(p) => (Data::new(), p),
    };
    // A secret goes apart, sealed: never into the case's data or its history.
    let mut secrets = Vec::new();
    for f in t.fields.iter().filter(|f| f.kind == FieldType::Secret) {
        if let Some(Value::String(v)) = given.remove(f.id()) {
            detail.sealed.push(f.id().to_owned());
            secrets.push((f.id().to_owned(), v));
        }
    }
    detail.vote = t
        .ballot
        .then(|| given.get("vote").and_then(Value::as_str).map(str::to_owned))
        .flatten();
    found.extend(form_problems(s, t));
    if t.fields
        .iter()
        .flat_map(|f| std::iter::once(f).chain(&f.fields))
        .any(|f| f.from_attachments)
    {
        found.extend(form::unattached(&t.fields, &given, r.files));
    }
    let (routing, problem) = route(s.routing, organisation, t, acting, &given, r.relay_targets);
    found.extend(problem);
    let comment = r.comment.trim().to_owned();
    if t.comment == Some(CommentRule::Required) && comment.is_empty() {
        found.push(problem_of("comment", "required", None));
    }
    if comment.chars().count() > COMMENT_MAX {
        found.push(problem_of(
            "comment",
            "too_long",
            Some(COMMENT_MAX.to_string()),
        ));
    }
    if r.emergency
        .is_some_and(|e| e.trim().chars().count() > COMMENT_MAX)
    {
        found.push(problem_of(
            "emergency",
            "too_long",
            Some(COMMENT_MAX.to_string()),
        ));
    }
    if !found.is_empty() {
        return Err(Refusal::Invalid(found));
    }
    let data = merged(s.data, t, &given);
    let today = s.today();
    let cf = facts(s, &data, &today, s.facts);
    if !condition::offered(t, &cf) {
        return Err(Refusal::NotOffered);
    }
    let mut unmet: Vec<Text> = condition::unmet(t, &cf).into_iter().cloned().collect();
    // A body resolves once enough members have voted; the votes say where the case goes.
    let tally = t.resolves.as_ref().map(|res| tally(s, res));
    if let Some(t) = tally.filter(|t| !t.quorate()) {
        unmet.push(no_quorum(&t));
    }
    // In an emergency the requirements wait: the action is taken now and ratified after.
    let emergency = r.emergency.map(str::trim).filter(|e| !e.is_empty());
    let mut ratifiers = Vec::new();
    match (emergency, &t.emergency) {
        (Some(_), None) => return Err(Refusal::NoEmergencyPath),
        (Some(reason), Some(e)) if !unmet.is_empty() => {
            detail.emergency = Some(reason.to_owned());
            ratifiers = e.ratified_by.clone();
        }
        _ if !unmet.is_empty() => return Err(Refusal::Unmet(unmet)),
        _ => {}
    }
    let resolved = t.resolves.as_ref().zip(tally).map(|(res, tally)| {
        detail.tally = Some(tally);
        if tally.carried {
            &res.carried
        } else {
            &res.lost
        }
    });
    if !complete {
        // One decision recorded: the case stays, and waits on those still to decide.
        return Ok(Plan {
            to: s.state.to_owned(),
            closes: condition::is_terminal(s.procedure, s.state),
            data,
            given,
            comment,
            done: s.done.to_vec(),
            routing: None,
            writes: Vec::new(),
            notices: Notices {
                waiting: true,
                ..Notices::default()
            },
            detail,
            overseers: overseers(t, &unavoidable),
            ratifiers: Vec::new(),
            appointments: Vec::new(),
            secrets,
        });
    }
    let routed = routing != *s.routing;
    let to = if let Some(state) = resolved {
        state.value.clone()
    } else if t.stay {
        s.state.to_owned()
    } else {
        // Where it goes next is reckoned from the organisation that now holds it (a
        // forwarding prime that is itself a subcontractor forwards to its own prime).
        let holder = match r.passing_to {
            Some(passed) if routed => passed,
            _ => s.facts,
        };
        condition::target(t, &facts(s, &data, &today, holder)).to_owned()
    };
    let writes = writes(s, t, &data, &cf, (acting, r.actor_name), organisation);
    let appointments = appointments(s, t, &data).map_err(Refusal::Invalid)?;
    let mut done = s.done.to_vec();
    done.push(t.action.value.clone());
    Ok(Plan {
        closes: condition::is_terminal(s.procedure, &to),
        to,
        data,
        given,
        comment,
        done,
        routing: routed.then_some(routing),
        writes,
        notices: Notices {
            applicant: t.notify.contains(&Participant::Applicant),
            roles: t.notify_roles.clone(),
            waiting: t.notify_waiting,
        },
        detail,
        overseers: overseers(t, &unavoidable),
        ratifiers,
        appointments,
        secrets,
    })
}

/// Whose delegation the actor takes the action under: none when they hold one of its
/// parties' roles in their own right.
fn under_delegation(
    s: &Standing<'_>,
    t: &Transition,
    actor: &Actor,
    delegations: &[Delegation],
) -> Option<String> {
    if delegations.is_empty() {
        return None;
    }
    let mut own = actor.clone();
    for d in delegations {
        if let Some(i) = own
            .grants
            .iter()
            .position(|g| g.role == d.role && g.organisation == d.organisation)
        {
            own.grants.remove(i);
        }
    }
    if acting(&own, &t.by, s.facts).is_some() {
        return None;
    }
    delegations
        .iter()
        .find(|d| t.by.iter().any(|p| p.role.value == d.role))
        .map(|d| d.from.clone())
}

/// The designations the action makes or ends, read from the case's data; a day the wrong
/// way round is a problem of its field.
fn appointments(
    s: &Standing<'_>,
    t: &Transition,
    data: &Data,
) -> Result<Vec<Appointing>, Vec<FieldProblem>> {
    let today = s.now.date();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let all = t.designates.iter().map(|a| (a, false));
    for (a, release) in all.chain(t.releases.iter().map(|a| (a, true))) {
        // Each row of a group reads its own columns first; a problem names the cell.
        let sources: Vec<(Option<String>, Data)> = match &a.for_each {
            None => vec![(None, data.clone())],
            Some(each) => data
                .get(&each.value)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, row)| Some((i, row.as_object()?)))
                .map(|(i, row)| {
                    let mut d = data.clone();
                    d.extend(row.clone());
                    (Some(format!("{}.{i}.", each.value)), d)
                })
                .collect(),
        };
        for (prefix, source) in &sources {
            let path = |id: &str| format!("{}{id}", prefix.as_deref().unwrap_or_default());
            let text = |f: &Option<Spanned<String>>| {
                let f = f.as_ref()?;
                let v = source.get(&f.value)?.as_str()?.trim();
                (!v.is_empty()).then(|| (v.to_owned(), path(&f.value)))
            };
            let day = |f: &Option<Spanned<String>>| {
                text(f).and_then(|(v, _)| v.parse::<jiff::civil::Date>().ok())
            };
            let (person, post) = (text(&a.person), text(&a.post));
            if person.is_none() && post.is_none() {
                continue;
            }
            let starts_on = if release {
                today
            } else {
                day(&a.from).unwrap_or(today)
            };
            let ends_on = day(&a.until).or(release.then_some(today));
            if let Some(end) = ends_on
                && end < starts_on
            {
                let field = a.until.as_ref().map_or(String::new(), |f| path(&f.value));
                problems.push(problem_of(&field, "end_before_start", None));
                continue;
            }
            out.push(Appointing {
                role: a.role.value.clone(),
                release,
                person,
                post,
                within: text(&a.within),
                starts_on,
                ends_on,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The organisation the actor acts from as one party.
fn acting_as_party(actor: &Actor, p: &Party, facts: &CaseFacts) -> Option<Uuid> {
    policy::acting_as(actor, &p.role.value, relation(p.of), facts)
}

/// Separation of duties: whether the action excludes the actor and, if so, whether the
/// unavoidable case lets them take it with the reason given (which is returned).
fn duties(
    s: &Standing<'_>,
    t: &Transition,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<Option<String>, Refusal> {
    if !excluded(s, t, actor) {
        return Ok(None);
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match (&t.unavoidable, reason) {
        (None, _) => Err(Refusal::Excluded { unavoidable: false }),
        (Some(_), None) => Err(Refusal::Excluded { unavoidable: true }),
        (Some(_), Some(r)) if r.chars().count() > COMMENT_MAX => {
            Err(Refusal::Invalid(vec![problem_of(
                "unavoidable",
                "too_long",
                Some(COMMENT_MAX.to_string()),
            )]))
        }
        (Some(_), Some(r)) => Ok(Some(r.to_owned())),
    }
}

/// Who oversees an exception taken in the unavoidable case.
fn overseers(t: &Transition, unavoidable: &Option<String>) -> Vec<Party> {
    match (&t.unavoidable, unavoidable) {
        (Some(u), Some(_)) => u.overseen_by.clone(),
        _ => Vec::new(),
    }
}

fn problem_of(field: &str, code: &'static str, limit: Option<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        code,
        limit,
    }
}

/// Sending the form on (out of the draft, to a state that goes on) needs it complete; an
/// action that keeps the draft (recording a call) or ends it (a withdrawal) does not.
/// Values of actions' fields kept with the draft are not the form's to check.
fn form_problems(s: &Standing<'_>, t: &Transition) -> Vec<FieldProblem> {
    if s.state != s.procedure.initial_state().id.value || !s.procedure.sends_on(t) {
        return Vec::new();
    }
    let fields = s.form_fields();
    let form_part: Data = s
        .data
        .iter()
        .filter(|(k, _)| fields.iter().any(|f| f.id() == k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    form::validate(fields, &form_part, Completeness::Complete)
        .err()
        .unwrap_or_default()
}

/// Where the action routes the case: on to the organisation acting, to the last resort, or
/// to an organisation it relays the case to (one of `targets`).
fn route(
    routing: &Routing,
    organisation: Uuid,
    t: &Transition,
    acting: Uuid,
    given: &Data,
    targets: &[Uuid],
) -> (Routing, Option<FieldProblem>) {
    let mut routing = routing.clone();
    if t.pass_on && routing.holder(organisation) != acting {
        routing.passed.push(acting);
    }
    routing.last_resort |= t.reach_last_resort;
    let mut problem = None;
    if let Some(field) = &t.relays_to
        && let Some(text) = given.get(&field.value).and_then(Value::as_str)
    {
        match text
            .trim()
            .parse::<Uuid>()
            .ok()
            .filter(|o| targets.contains(o))
        {
            Some(org) if !routing.relayed.contains(&org) => routing.relayed.push(org),
            Some(_) => {}
            None => problem = Some(problem_of(&field.value, "unknown_organisation", None)),
        }
    }
    (routing, problem)
}

/// Whether `action` writes who took it into a register (`$actor`).
pub(crate) fn writes_actor(procedure: &Procedure, action: &str) -> bool {
    procedure.transition(action).is_some_and(|t| {
        t.writes
            .iter()
            .any(|w| w.set.values().any(|e| e == mamori_library::model::ACTOR))
    })
}

/// The register rows the action writes, each with its keeper and key.
fn writes(
    s: &Standing<'_>,
    t: &Transition,
    data: &Data,
    cf: &Facts<'_>,
    (acting, actor_name): (Uuid, &str),
    organisation: Uuid,
) -> Vec<RowChange> {
    let today = s.today();
    let mut out = Vec::new();
    for w in &t.writes {
        if let Some(when) = &w.when
            && !condition::holds(&when.value, cf)
        {
            continue;
        }
        let keeper = match w.kept_by {
            Keeper::Actor => acting,
            Keeper::Case => organisation,
        };
        for source in &w.sources(data) {
            let Some(key) = condition::resolve_key(&w.key, source, &today) else {
                continue;
            };
            let mut change = Data::new();
            for (col, expr) in w.key.iter() {
                if let Some(v) = condition::resolve(expr, source, &today) {
                    change.insert(col.clone(), v);
                }
            }
            for (col, expr) in w.set.iter() {
                let value = if expr == mamori_library::model::ACTOR {
                    Some(Value::String(actor_name.to_owned()))
                } else {
                    condition::resolve(expr, source, &today)
                };
                if let Some(v) = value {
                    change.insert(col.clone(), v);
                }
            }
            // A row written from a classified case carries the case's class, unless the
            // write sets a level itself.
            for axis in &s.lib.axes {
                let id = &axis.id.value;
                if let Some(level) = data.get(id)
                    && !change.contains_key(id)
                {
                    change.insert(id.clone(), level.clone());
                }
            }
            out.push(RowChange {
                register: w.register.value.clone(),
                keeper,
                key: key_text(&key),
                change,
            });
        }
    }
    out
}

/// Whether a deadline runs for a case with `data` (its `when`, read of the data alone).
pub(crate) fn applies(d: &Deadline, data: &Data) -> bool {
    let Some(when) = &d.when else { return true };
    let rows = Rows::new();
    let facts = Facts {
        data,
        done: &[],
        rows: &rows,
        today: "",
        now: None,
        organisations: None,
    };
    condition::holds(&when.value, &facts)
}

/// When a deadline falls: counted from its date-time field when it names one (no deadline
/// while that field is empty), else from now.
pub(crate) fn due_of(d: &Deadline, data: &Data, now: &Zoned) -> Option<Timestamp> {
    let due = d.due()?;
    let start = match &d.from {
        None => now.timestamp(),
        Some(field) => {
            let text = data.get(&field.value)?.as_str()?;
            let local: jiff::civil::DateTime = text.parse().ok()?;
            local.to_zoned(now.time_zone().clone()).ok()?.timestamp()
        }
    };
    Some(due.at(start, now.time_zone()))
}

/// The timers of the deadlines running in `state` for a case with `data`: each deadline,
/// and its reminders still ahead.
pub(crate) fn timers(procedure: &Procedure, state: &str, data: &Data, now: &Zoned) -> Vec<Timer> {
    let mut out = Vec::new();
    for (index, d) in procedure.deadlines.iter().enumerate() {
        if d.state.value != state || !applies(d, data) {
            continue;
        }
        let Some(due) = due_of(d, data, now) else {
            continue;
        };
        out.push(Timer {
            deadline: index,
            remind: false,
            at: due,
        });
        for before in d.reminders() {
            let at = remind_at(due, before, now.time_zone());
            // A reminder whose time had passed before the deadline started would only
            // repeat what the case already says.
            if at > now.timestamp() && at < due {
                out.push(Timer {
                    deadline: index,
                    remind: true,
                    at,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
