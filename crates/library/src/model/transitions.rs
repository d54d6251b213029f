//! A transition (an action): who takes it, what it asks, where it goes, and what it
//! decides beside (designations, resolutions, emergencies, register writes' branches).

use super::*;

/// One transition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Id of the action, unique in the procedure.
    pub action: Spanned<String>,
    /// The button's label.
    pub name: Text,
    /// States it may be taken from.
    pub from: Vec<Spanned<String>>,
    /// Who may take it.
    pub by: Vec<Party>,
    /// Where it goes: the first branch whose condition holds.
    #[serde(default)]
    pub to: Vec<Branch>,
    /// The case stays in the state it is in (an adjustment that may be made at any step);
    /// then `to` is not given.
    #[serde(default)]
    pub stay: bool,
    /// Offered only when this holds.
    #[serde(default)]
    pub when: Option<Spanned<Condition>>,
    /// Refused (with the message) until these hold.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Fields filled when taking it (recorded with the case's data).
    #[serde(default)]
    pub fields: Vec<Field>,
    /// A comment is asked for; `required` makes it mandatory.
    #[serde(default)]
    pub comment: Option<CommentRule>,
    /// Taken at most once per case.
    #[serde(default)]
    pub once: bool,
    /// Whether the case waits on this action, showing in the inbox of who may take it.
    /// `false` for actions that are always possible but never expected (withdrawing).
    #[serde(default = "yes")]
    pub waits: bool,
    /// Register rows written when it is taken.
    #[serde(default)]
    pub writes: Vec<RegisterWrite>,
    /// Participants told when it is taken (`applicant`).
    #[serde(default)]
    pub notify: Vec<Participant>,
    /// Holders of a role relative to the case told when it is taken. Kept apart from
    /// `notify` so that each entry keeps its line for the checker.
    #[serde(default)]
    pub notify_roles: Vec<Party>,
    /// Everyone the case waits on once it is taken is told: whoever the branch taken
    /// routed it to (the prime contractor's desk, or the Ministry's contacts).
    #[serde(default)]
    pub notify_waiting: bool,
    /// Documents of the procedure sent with the notice of this action (a checklist sent
    /// ahead of a visit): the notice names them, and its readers open them on the case.
    #[serde(default)]
    pub sends: Vec<Spanned<String>>,
    /// Taking it reports the case to the bodies its organisation reports to (relation
    /// `reports_to`, a prefecture): from then until it closes, the roll-up counts it there,
    /// and shows them nothing else of it.
    #[serde(default)]
    pub reports_up: bool,
    /// The case passes on to the organisation the actor acts from: from then on, the
    /// relations across organisations (contracting organisations, prime contractor,
    /// service contractors) are reckoned from it, as when a prime contractor forwards its
    /// subcontractor's report under its own contract. The case stays its organisation's.
    #[serde(default)]
    pub pass_on: bool,
    /// Taking it routes the case to the last resort as well (`last_resort`): the desk
    /// could not be reached.
    #[serde(default)]
    pub reach_last_resort: bool,
    /// An `organisation` field of this action naming an organisation, in the actor's own
    /// tree, that the case is relayed to: its holders of roles `of: relayed_to` then take
    /// part.
    #[serde(default)]
    pub relays_to: Option<Spanned<String>>,
    /// The action grants an approval or a permission (承認・許可): the checker warns when it
    /// excludes nobody.
    #[serde(default)]
    pub approves: bool,
    /// People who may not take it, whatever they hold (兼務の禁止).
    #[serde(default)]
    pub excludes: Vec<Spanned<Someone>>,
    /// The unavoidable case (やむを得ない場合): someone excluded may still take it, giving
    /// the reason; the override is marked and listed for, and told to, `overseen_by`.
    /// Without it, an exclusion has no exception.
    #[serde(default)]
    pub unavoidable: Option<Unavoidable>,
    /// It counts once this many different people have taken it (two-person work): until
    /// then each taking is recorded and the case stays where it is.
    #[serde(default)]
    pub persons: Option<Spanned<u32>>,
    /// Every party of `by` must take it, each a different person (a permission the 統括
    /// and the system manager both give): until then each decision is recorded and the
    /// case waits on the parties still to decide.
    #[serde(default)]
    pub jointly: bool,
    /// The emergency path (緊急時の例外措置): its parties may take it before its
    /// requirements hold (the permission not given yet), giving the reason; the case then
    /// waits on `ratified_by` to ratify or reject what was done.
    #[serde(default)]
    pub emergency: Option<Emergency>,
    /// Designations the action makes (指定): a person or a post given a role of this
    /// library in an organisation, from a day, perhaps until one.
    #[serde(default)]
    pub designates: Vec<Appointment>,
    /// Designations the action ends (解除): the role held by that person or post in that
    /// organisation ends on the `until` day, or today.
    #[serde(default)]
    pub releases: Vec<Appointment>,
    /// Each member of a body (the parties of `by`, a committee) casts a vote with it,
    /// once a round: its field `vote` holds `for`, `against` or `abstain`. The case stays.
    #[serde(default)]
    pub ballot: bool,
    /// The chair records the body's resolution with it: the votes of `ballot` are counted
    /// and the case goes to `carried` or `lost`.
    #[serde(default)]
    pub resolves: Option<Resolution>,
}

/// A designation an action makes or ends, read from the case's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// A role of this library.
    pub role: Spanned<String>,
    /// A `person` field naming who (by e-mail address or id).
    #[serde(default)]
    pub person: Option<Spanned<String>>,
    /// A text field naming a post (役職) of the organisation: whoever fills it holds the
    /// role.
    #[serde(default)]
    pub post: Option<Spanned<String>>,
    /// An `organisation` field naming where (the case's organisation or one below it);
    /// without it, the case's organisation.
    #[serde(default)]
    pub within: Option<Spanned<String>>,
    /// A `date` field: from when (today without it).
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// A `date` field: until when, inclusive (open-ended without it or while it is empty).
    #[serde(default)]
    pub until: Option<Spanned<String>>,
    /// A group field: one designation for each of its rows, whose columns the fields
    /// above name (a manager per unit). A row whose person and post are empty is skipped.
    #[serde(default)]
    pub for_each: Option<Spanned<String>>,
}

/// How a body's resolution is counted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// The action its members vote with (`ballot: true`).
    pub ballot: Spanned<String>,
    /// The share of the members who must have voted, as `1/2` (half or more).
    pub quorum: Spanned<String>,
    /// How many of the votes cast must be for it.
    pub majority: Majority,
    /// Where the case goes when the resolution is carried.
    pub carried: Spanned<String>,
    /// Where it goes when it is not.
    pub lost: Spanned<String>,
}

impl Resolution {
    /// The quorum as (numerator, denominator), once the checker has accepted it.
    pub fn quorum(&self) -> Option<(u32, u32)> {
        let (n, d) = self.quorum.value.split_once('/')?;
        let (n, d) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        (d > 0 && n <= d).then_some((n, d))
    }
}

/// How many of the votes cast carry a resolution.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Majority {
    /// More than half of the votes cast (過半数); an abstention counts as a vote cast.
    MoreThanHalf,
    /// Two thirds of the votes cast or more (3分の2以上).
    TwoThirds,
}

impl Majority {
    /// Whether `yes` votes out of `cast` carry it.
    pub fn carries(self, yes: usize, cast: usize) -> bool {
        match self {
            Majority::MoreThanHalf => yes * 2 > cast,
            Majority::TwoThirds => cast > 0 && yes * 3 >= cast * 2,
        }
    }
}

/// The votes a ballot takes.
pub const VOTES: [&str; 3] = ["for", "against", "abstain"];

/// How an action taken in an emergency is reported afterwards.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emergency {
    /// Who ratifies or rejects it (the CISO).
    pub ratified_by: Vec<Party>,
    /// How soon: a duration or calendar rule as a deadline's `due` (「事後速やかに」 has no
    /// figure; the library's, to be labelled in `note`).
    pub within: Spanned<String>,
    /// Where the figure comes from, shown beside it.
    #[serde(default)]
    pub note: Option<Text>,
}

impl Emergency {
    /// How soon it must be ratified, once the checker has accepted it.
    pub fn within(&self) -> Option<Due> {
        self.within.value.parse().ok()
    }
}

impl Transition {
    /// Whether taking it only counts once several people have (`persons`, `jointly`).
    pub fn gathers(&self) -> bool {
        self.jointly || self.persons.is_some()
    }

    /// Every condition deciding it: whether it is offered, where it goes, and what it
    /// requires (a requirement's own `when` and its check).
    pub fn conditions(&self) -> impl Iterator<Item = &Spanned<Condition>> {
        self.when
            .iter()
            .chain(self.to.iter().filter_map(|b| b.when.as_ref()))
            .chain(
                self.requires
                    .iter()
                    .flat_map(|r| r.when.iter().chain([&r.check])),
            )
    }
}

/// Someone a case names: whom an action excludes, or whom a secret is for.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Someone {
    /// `applicant`: whoever opened the case.
    Named(SomeoneNamed),
    /// `{ took: action }`: whoever took that action in the case.
    Took {
        /// The action.
        took: String,
    },
    /// `{ subject: field }`: the person a `person` field of the case names, by id or by e-mail address (the
    /// person audited, the user whose rights are reviewed).
    Subject {
        /// The field.
        subject: String,
    },
}

/// The named kinds of [`Someone`].
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SomeoneNamed {
    /// Whoever opened the case.
    Applicant,
}

/// The exception to a transition's exclusions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unavoidable {
    /// Who oversees the overrides (the CISO): every one is listed for them and they are
    /// told of it.
    pub overseen_by: Vec<Party>,
}

/// A participant of a case named in a library.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    /// The person who opened the case.
    Applicant,
}

/// Whether a transition asks for a comment.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CommentRule {
    /// A comment may be given.
    Optional,
    /// A comment must be given.
    Required,
}

fn yes() -> bool {
    true
}

/// A target state, with the condition under which it is chosen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The state.
    pub state: Spanned<String>,
    /// When it is chosen; the last branch usually has none.
    #[serde(default)]
    pub when: Option<Spanned<Condition>>,
}
