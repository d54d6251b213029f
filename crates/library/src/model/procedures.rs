//! A procedure: its states, parties, deadlines, documents, prefills and the telephone
//! directory it calls first.

use super::*;
use mamori_domain::recurrence::{Every, EveryError};

/// A procedure: its states and the transitions between them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Id, unique in the library.
    pub id: Spanned<String>,
    /// Its title.
    pub title: Text,
    /// What it is for.
    #[serde(default)]
    pub description: Option<Text>,
    /// The form the case fills.
    pub form: Spanned<String>,
    /// The field whose value names a case in lists (e.g. the service's name).
    #[serde(default)]
    pub title_field: Option<Spanned<String>>,
    /// Fields of the form whose values follow the title field in the case's title (what
    /// happened and when), each shortened to a few words.
    #[serde(default)]
    pub title_with: Vec<Spanned<String>>,
    /// What the person who opens a case is called (報告者 for a report); 申請者 when absent.
    #[serde(default)]
    pub applicant: Option<Text>,
    /// The label of a button offered first on the home page (and the report board) to
    /// whoever may start the procedure for their own organisation: for what is done in a
    /// hurry (事故等を報告する).
    #[serde(default)]
    pub quick_start: Option<Text>,
    /// A form field that no two open cases of the organisation may share (one application
    /// per site): a case opened or saved with the value of another open case is refused,
    /// naming that case. Compared as register keys are (case and runs of spaces aside).
    #[serde(default)]
    pub unique_open: Option<Spanned<String>>,
    /// Who may open a case, relative to the organisation it is opened for.
    pub start: Vec<Party>,
    /// States; the first is where a case starts (a draft).
    pub states: Vec<State>,
    /// Transitions.
    pub transitions: Vec<Transition>,
    /// Deadlines that run while a case is in a state.
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    /// Documents a case renders to.
    #[serde(default)]
    pub documents: Vec<Document>,
    /// A telephone call comes before the form (an incident report): the contacts to call,
    /// picked from a directory register by the organisations the form names.
    #[serde(default)]
    pub phone_first: Option<PhoneFirst>,
    /// Fields filled in when a form is opened, for the person to check rather than type.
    #[serde(default)]
    pub prefill: Vec<Prefill>,
    /// The procedure comes round (a yearly self-check): mamori opens a case for each target
    /// when a round starts.
    #[serde(default)]
    pub recurs: Option<Recurrence>,
    /// Its running round is reported to the bodies an organisation reports to (relation
    /// `reports_to`): the roll-up shows how many of each reporting organisation's targets
    /// have done it. Only a recurring procedure has rounds to report.
    #[serde(default)]
    pub reports_up: bool,
    /// The steps its cases go through, planned in time (a site joining the gateway).
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// How long a closed case is kept, in years from its closing; past it the scheduler
    /// deletes the case unless it is held. Kept for ever when not given.
    #[serde(default)]
    pub retention_years: Option<u32>,
    /// The register row each case is about (the system a system check is of), found by
    /// key among the rows of the case's organisation and those above it: the parties
    /// `of: case_row` hold their role for it.
    #[serde(default)]
    pub about: Option<About>,
    /// The row of one of the library's matrices that the procedure carries out (the
    /// clause whose permission it is): its page links to it, and the row lists it.
    #[serde(default)]
    pub matrix_row: Option<MatrixRow>,
}

/// `matrix_row: { matrix: responsibilities, row: "5.1(1)③(イ)" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    /// A matrix of this library.
    pub matrix: Spanned<String>,
    /// The row's id in it.
    pub row: Spanned<String>,
}

/// The register row a case is about: `{ register, key: { column: $field } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct About {
    /// A register of this library that declares `roles`.
    pub register: Spanned<String>,
    /// Key columns → `$field` or a literal, as in a condition.
    pub key: BTreeMap<String, String>,
    /// The row's class caps the case's: a case about a system classified 注意 may not be
    /// classified above it.
    #[serde(default)]
    pub ceiling: bool,
}

/// How a procedure comes round (`recurs`), and for whom.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// How often: `fiscal year` (毎年度) or a number of months dividing the year (`6 months`).
    #[serde(default)]
    pub every: Option<Spanned<String>>,
    /// Or the days of the year each round starts on (`MM-DD`), instead of `every`.
    #[serde(default)]
    pub on: Vec<Spanned<String>>,
    /// Whom each round is for.
    pub for_each: Spanned<RecurTarget>,
    /// The role of this library whose holder each round is opened for: for `organisation`,
    /// each organisation where it is held; for `holder`, each person holding it; for `row`,
    /// its holder in the organisation keeping the row.
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    /// For `row`: the register of this library whose live rows the round is for.
    #[serde(default)]
    pub register: Option<Spanned<String>>,
    /// Reminds those the case waits on this long before the round ends (`30 days before`).
    #[serde(default)]
    pub remind: Option<Spanned<String>>,
}

impl Recurrence {
    /// How often, as written (`every` or `on`); the checker has refused what cannot be read.
    pub fn every(&self) -> Result<Every, EveryError> {
        match &self.every {
            Some(e) => e.value.parse(),
            None => Every::on_days(&self.on.iter().map(|d| d.value.as_str()).collect::<Vec<_>>()),
        }
    }
}

/// Whom each round of a recurring procedure is for.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecurTarget {
    /// Each organisation where someone holds `role`: a case of that organisation.
    Organisation,
    /// Each person holding `role`: a case of their organisation, for them.
    Holder,
    /// Each live row of `register`: a case of the organisation keeping it.
    Row,
}

/// A field filled in on a new form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefill {
    /// A field of the case's form.
    pub field: Spanned<String>,
    /// Where its value comes from.
    pub from: PrefillSource,
    /// For `from: register`: a register of this library.
    #[serde(default)]
    pub register: Option<Spanned<String>>,
    /// For `from: table`: a group field of the case whose rows it starts from.
    #[serde(default)]
    pub table: Option<Spanned<String>>,
    /// For `from: register` into an action's plain field: the key of the one row it reads
    /// (register column → `$field` or a literal), found as a condition's lookup finds it,
    /// so that the person acting sees what the register holds on this case's subject.
    #[serde(default)]
    pub key: BTreeMap<String, String>,
    /// With `key`: the column of that row the field starts with.
    #[serde(default)]
    pub column: Option<Spanned<String>>,
    /// For `from: register` into a table: each row also takes columns of the row of another
    /// register it matches — the personnel section's list beside each user ID.
    #[serde(default)]
    pub beside: Option<Beside>,
}

/// The row of another register each prefilled table row is set beside (`beside`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beside {
    /// A register of this library.
    pub register: Spanned<String>,
    /// Its key columns, each from a column of the row (`$staff_number`) or a literal.
    pub key: BTreeMap<String, String>,
    /// Table column ← that register's column, copied from the matching row.
    pub columns: BTreeMap<String, String>,
    /// Table column ← the value it takes when no live row matches (「名簿にない」).
    #[serde(default)]
    pub unmatched: BTreeMap<String, String>,
}

impl Prefill {
    /// It reads one row's column by key rather than a register's rows into a table.
    pub fn is_keyed(&self) -> bool {
        !self.key.is_empty() || self.column.is_some()
    }
}

/// Where a prefilled value comes from.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PrefillSource {
    /// The name of the organisation the case is opened for (a text field).
    Organisation,
    /// The name of the person opening it (a text field).
    Person,
    /// The live rows of a register kept by the organisation or one above it, into a group
    /// whose columns share the register's column ids.
    Register,
    /// The rows of another table of the case, into a group of an action whose columns share
    /// its column ids (the final verification's checklist starting from the
    /// self-inspection's items).
    Table,
}

/// Where the numbers to call come from. The directory register has the columns
/// [`DIRECTORY_COLUMNS`]; its key is the organisation a contact serves. Outside office
/// hours a contact's night number is shown; an organisation not in the directory, or none
/// named, sends the caller to the row marked `fallback`. A subcontractor calls its prime
/// contractor instead, which then calls the directory's contacts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneFirst {
    /// The directory: a register of this library.
    pub directory: Spanned<String>,
    /// The organisations named by the form, as `group.column` (or a text field).
    pub organisations: Spanned<String>,
}

/// The columns a `phone_first` directory must have.
pub const DIRECTORY_COLUMNS: [&str; 5] =
    ["organisation", "desk", "phone", "night_phone", "fallback"];

/// A document made from a case: the paper form, a notice, a text to send or read out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Id, unique in the procedure; the file is named after it.
    pub id: Spanned<String>,
    /// Its title.
    pub title: Text,
    /// What it renders to.
    pub format: DocumentFormat,
    /// A MiniJinja template over the case (text, or a workbook's layout), or a typst
    /// template (PDF); [`crate::document`] lists what either may use. An Excel workbook
    /// without one is laid out from the form.
    #[serde(default)]
    pub template: Option<Spanned<String>>,
}

/// What a document renders to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// Plain UTF-8 text, to send by e-mail or read out on the phone.
    Text,
    /// A4 PDF, to print, stamp and file: the template is typst markup that reads the
    /// case as JSON from `sys.inputs.context`.
    Pdf,
    /// An Excel workbook of the form's items and the history, to keep working on the data
    /// where the organisation's own files are kept.
    Xlsx,
}

impl DocumentFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Text => "txt",
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Xlsx => "xlsx",
        }
    }

    /// The media type it is sent as.
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentFormat::Text => "text/plain; charset=utf-8",
            DocumentFormat::Pdf => "application/pdf",
            DocumentFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

impl Procedure {
    /// A document by id.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.id.value == id)
    }
}

impl Procedure {
    /// The procedure's id.
    pub fn id(&self) -> &str {
        &self.id.value
    }

    /// The state a new case is in.
    pub fn initial_state(&self) -> &State {
        // The checker refuses a procedure without states.
        &self.states[0]
    }

    /// A state by id.
    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id.value == id)
    }

    /// A transition by action.
    pub fn transition(&self, action: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.action.value == action)
    }

    /// Transitions that leave a state.
    pub fn transitions_from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Transition> {
        self.transitions
            .iter()
            .filter(move |t| t.from.iter().any(|f| f.value == state))
    }

    /// Whether taking `t` sends a draft on: it may lead out of the first state to a state
    /// that is not terminal, or it is expected of someone (`waits`) and ends the case as
    /// its purpose (an announcement made, a yearly record kept). Such an action needs the
    /// form complete and is the one a new form's button takes; one that keeps the draft
    /// (recording a call) or abandons it (withdrawing, which waits on nobody) is neither.
    pub fn sends_on(&self, t: &Transition) -> bool {
        let initial = &self.initial_state().id.value;
        t.to.iter().any(|b| {
            b.state.value != *initial
                && (t.waits || !self.state(&b.state.value).is_some_and(|s| s.terminal))
        })
    }

    /// The date-time field the deadlines count from (an incident's detection), if any.
    pub fn clock_field(&self) -> Option<&str> {
        self.deadlines
            .iter()
            .find_map(|d| d.from.as_ref())
            .map(|f| f.value.as_str())
    }

    /// A field of the case form or of any transition, by id.
    pub fn field<'a>(&'a self, form: &'a Form, id: &str) -> Option<&'a Field> {
        form.fields
            .iter()
            .chain(self.transitions.iter().flat_map(|t| t.fields.iter()))
            .find(|f| f.id.value == id)
    }
}

/// A deadline: it starts when a case enters a state (or at a date-time field of the case)
/// and stops when the case leaves the state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// The state it runs in.
    #[serde(rename = "in")]
    pub state: Spanned<String>,
    /// What is due, for the inbox and the reminders (the state's name when absent).
    #[serde(default)]
    pub name: Option<Text>,
    /// How long after the start (`10 business days`, `1 hour`, `10営業日`, `1時間`) or a
    /// calendar rule (`end of month`, `end of next month`, `end of fiscal year`, 月末, 年度末).
    pub due: Spanned<String>,
    /// A date-time field of the case counted from, instead of entering the state (an
    /// incident is due an hour after it was detected, not after the form was opened).
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// Reminders to those the case waits on: `3 business days before`, `15分前`.
    #[serde(default)]
    pub remind: Vec<Spanned<String>>,
    /// Holders of these roles are told, with those the case waits on, once it is overdue.
    #[serde(default)]
    pub escalate: Vec<Party>,
    /// Runs only when this holds of the case's data as it enters the state (a detailed
    /// report due only for the kinds of report whose table sets one).
    #[serde(default)]
    pub when: Option<Spanned<Condition>>,
    /// Shown beside the deadline where users see it: where the figure comes from, when the
    /// original sets none and the library supplies it.
    #[serde(default)]
    pub note: Option<Text>,
}

impl Deadline {
    /// When it falls, once the checker has accepted it.
    pub fn due(&self) -> Option<Due> {
        self.due.value.parse().ok()
    }

    /// The reminders' offsets before the deadline, once the checker has accepted them.
    pub fn reminders(&self) -> impl Iterator<Item = Span> + '_ {
        self.remind
            .iter()
            .filter_map(|r| reminder_span(&r.value).ok())
    }
}

/// Reads a reminder's offset: a duration followed by `before` (or `前`).
pub fn reminder_span(text: &str) -> Result<Span, String> {
    let text = text.trim();
    let Some(span) = text
        .strip_suffix("before")
        .or_else(|| text.strip_suffix('前'))
    else {
        return Err(format!(
            "a reminder says how long before the deadline, such as `3 business days before` or `15分前`; found `{text}`"
        ));
    };
    span.parse::<Span>().map_err(|e| e.to_string())
}

/// A state of a case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Id, unique in the procedure.
    pub id: Spanned<String>,
    /// Its name.
    pub name: Text,
    /// The case is finished here.
    #[serde(default)]
    pub terminal: bool,
}

/// Who, relative to a case, may act.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// A role of this library.
    pub role: Spanned<String>,
    /// Where the designation must be, relative to the case's organisation.
    pub of: Relation,
}

/// Where a designation must be, relative to the case's organisation.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The case's organisation itself.
    OwnOrganisation,
    /// The case's organisation or any organisation above it.
    ParentChain,
    /// An organisation the case's organisation has a contract with.
    ContractingOrganisation,
    /// The prime contractor of the case's organisation.
    PrimeContractor,
    /// An organisation engaged (`engages`) by one the case's organisation contracts with:
    /// the Defense Security Gateway's service provider and its works contractor, engaged
    /// by ATLA. Only the engaging organisation declares that relation, so a company cannot
    /// make itself a party to another company's cases.
    ServiceContractor,
    /// The organisation keeping the last-resort desk of the procedure's `phone_first`
    /// directory, found inside the tree of the organisations contracted with. It is reached
    /// only when the case is routed there: the form names no desk it can reach, someone
    /// recorded that the desk could not be reached, or a deadline escalated to it.
    LastResort,
    /// Organisations the case was relayed to by an action with `relays_to`.
    RelayedTo,
    /// The organisations directly below the case's organisation.
    Children,
    /// Every organisation below the case's organisation, at any depth.
    Descendants,
    /// The other organisations under the case organisation's parent.
    Siblings,
    /// Every organisation of the tree the case's organisation is in: its root and all
    /// below it (every system administrator of a ministry). Never another tree: what one
    /// organisation announces reaches no other's people.
    Tree,
    /// Whoever holds the role for the register row the case is about (the procedure's
    /// `about`: the system manager of the case's system), in the organisation keeping it.
    /// Holding the role in the organisation is not enough.
    CaseRow,
}

impl Relation {
    /// Whether finding the organisations means reading below or beside the case's
    /// organisation, which only procedures that name such relations pay for.
    pub fn is_wide(self) -> bool {
        matches!(
            self,
            Relation::Children | Relation::Descendants | Relation::Siblings | Relation::Tree
        )
    }
}
