//! The library format, as it is read from YAML.
//!
//! Names that other parts refer to (states, fields, roles, registers) keep their source
//! location, so that the checker can point at the line of a wrong reference.

use std::collections::BTreeMap;

use mamori_domain::deadline::{Due, Span};
use serde::Deserialize;
pub use serde_saphyr::Spanned;

/// A text in Japanese, and in English when the library gives it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Japanese: always present.
    pub ja: String,
    /// English; Japanese is shown where it is missing.
    #[serde(default)]
    pub en: Option<String>,
}

impl Text {
    /// The text for a language tag (`ja`, `en`).
    pub fn get(&self, lang: &str) -> &str {
        match (lang, &self.en) {
            ("en", Some(en)) => en,
            _ => &self.ja,
        }
    }
}

/// A whole library, as loaded and checked.
#[derive(Debug, Clone)]
pub struct Library {
    /// `library.yaml`.
    pub manifest: Manifest,
    /// Forms by id.
    pub forms: BTreeMap<String, Form>,
    /// Procedures by id.
    pub procedures: BTreeMap<String, Procedure>,
    /// Registers by id.
    pub registers: BTreeMap<String, Register>,
    /// Catalogs (checklists, control frameworks) by id.
    pub catalogs: BTreeMap<String, crate::catalog::Catalog>,
    /// SHA-256 over every file, in path order: two loads of the same version must agree.
    pub digest: String,
    /// The files it was read from (path inside the library, content), to keep with cases.
    pub sources: Vec<(String, String)>,
    /// What the checker found doubtful without refusing the library (an approval that
    /// excludes nobody), each with its file and line.
    pub warnings: Vec<crate::Problem>,
}

impl Library {
    /// The library's id.
    pub fn id(&self) -> &str {
        &self.manifest.id.value
    }

    /// The library's version.
    pub fn version(&self) -> &str {
        &self.manifest.version.value
    }

    /// A role declared by the library.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.manifest.roles.iter().find(|r| r.id.value == id)
    }

    /// A mark declared by the library.
    pub fn mark(&self, id: &str) -> Option<&Mark> {
        self.manifest.marks.iter().find(|m| m.id.value == id)
    }

    /// The mark a case's data carries, if any.
    pub fn mark_of(&self, data: &serde_json::Map<String, serde_json::Value>) -> Option<&Mark> {
        data.get(MARK_FIELD)
            .and_then(|v| v.as_str())
            .and_then(|id| self.mark(id))
    }

    /// The form a procedure fills.
    pub fn form_of(&self, procedure: &Procedure) -> &Form {
        // The checker refuses a library whose procedure names a missing form.
        &self.forms[&procedure.form.value]
    }
}

/// `library.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lower-case letters, digits and `-`; the folder's name.
    pub id: Spanned<String>,
    /// Any non-empty text; compared for equality only.
    pub version: Spanned<String>,
    /// The library's title.
    pub title: Text,
    /// What it is for.
    #[serde(default)]
    pub description: Option<Text>,
    /// The original document(s) it carries, as they are cited.
    #[serde(default)]
    pub source: Option<String>,
    /// The roles its procedures name.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Dated notes shown with the procedures (transitional rules and the like).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Classification and handling marks a case may carry (機密性3, 注意, 部内限り …),
    /// least restrictive first. When given, every form of the library gets a choice of
    /// them as its first field, [`MARK_FIELD`].
    #[serde(default)]
    pub marks: Vec<Mark>,
}

/// The id of the field that holds a case's classification or handling mark.
pub const MARK_FIELD: &str = "handling_mark";

/// A classification or handling mark (格付・取扱制限).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    /// Snake-case id, unique in the library.
    pub id: Spanned<String>,
    /// As it is printed on documents.
    pub label: Text,
    /// What it means for the people handling it.
    #[serde(default)]
    pub description: Option<Text>,
    /// Only those who need to know may read a case carrying it: whoever opened it, whoever
    /// acted in it and whoever it waits on. Readers by office (administrators, auditors of
    /// the organisation) no longer see it.
    #[serde(default)]
    pub need_to_know: bool,
}

/// A role of the library, held by designation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Snake-case id, unique across every loaded library.
    pub id: Spanned<String>,
    /// What the originals call it.
    pub name: Text,
    /// What the role does.
    #[serde(default)]
    pub description: Option<Text>,
    /// The most designations of it in force at once in one organisation (副CISO: one);
    /// none for no limit.
    #[serde(default)]
    pub at_most: Option<Spanned<u32>>,
    /// A holder may delegate it to another person of the organisation for a period (the
    /// CISO to the deputy while away); what the delegate does says so.
    #[serde(default)]
    pub delegable: bool,
}

/// A note, optionally in force only until a date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The note.
    pub text: Text,
    /// Last day it applies (inclusive).
    #[serde(default)]
    pub until: Option<Spanned<String>>,
}

/// A form: numbered fields as on the paper original.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Id, unique in the library.
    pub id: Spanned<String>,
    /// The form's title (様式名).
    pub title: Text,
    /// The fields, in order.
    pub fields: Vec<Field>,
}

/// What a field holds.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A decimal number.
    Number,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// A local date and time, `YYYY-MM-DDTHH:MM`.
    Datetime,
    /// One of `options`.
    Choice,
    /// Any number of `options`.
    MultiChoice,
    /// はい / いいえ.
    YesNo,
    /// A person's e-mail address or id.
    Person,
    /// An organisation's name.
    Organisation,
    /// Who to reach: name, section, telephone and e-mail, held as one object.
    Contact,
    /// A table of rows, each with the group's own `fields` (systems affected, say).
    Group,
    /// Worked out by mamori from the rest of the form (`compute`), never typed.
    Computed,
    /// The files attached to the case for this field; required means at least one.
    Attachment,
    /// A secret handed down the chain (an initial password): sealed at rest, kept out of
    /// the case's data, history, audit trail, exports and documents, and shown once to
    /// one of the people its `for` names, who confirm they received it.
    Secret,
}

impl FieldType {
    /// The name the library files (and the API) use.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Choice => "choice",
            FieldType::MultiChoice => "multi_choice",
            FieldType::YesNo => "yes_no",
            FieldType::Person => "person",
            FieldType::Organisation => "organisation",
            FieldType::Contact => "contact",
            FieldType::Group => "group",
            FieldType::Computed => "computed",
            FieldType::Attachment => "attachment",
            FieldType::Secret => "secret",
        }
    }
}

/// How a `computed` field is worked out.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Compute {
    /// How many rows a group has, or how many options a multi-choice has chosen.
    Count(String),
    /// The total of a number column of a group, written `group.column`.
    Sum(String),
    /// A derivation written in Rust over the whole form ([`crate::rules::derivation_for`]).
    Rule(String),
}

/// The parts of a `contact` field: (id, Japanese label, English label).
pub const CONTACT_PARTS: [(&str, &str, &str); 4] = [
    ("name", "氏名", "Name"),
    ("section", "所属", "Section"),
    ("phone", "電話番号", "Telephone"),
    ("email", "メールアドレス", "E-mail"),
];

/// One field of a form, of a transition or a register column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Snake-case id, unique in its form.
    pub id: Spanned<String>,
    /// The paper form's numbering, kept as printed (①, (1), ア …).
    #[serde(default)]
    pub number: Option<String>,
    /// What it holds.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Its label.
    pub label: Text,
    /// Help shown under it.
    #[serde(default)]
    pub help: Option<Text>,
    /// Must be filled.
    #[serde(default)]
    pub required: bool,
    /// Must be filled when this holds.
    #[serde(default)]
    pub required_when: Option<Spanned<Condition>>,
    /// For `yes_no`: the only acceptable answer is yes (a confirmation).
    #[serde(default)]
    pub must_confirm: bool,
    /// Longest text, in characters.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Smallest number.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest number.
    #[serde(default)]
    pub max: Option<f64>,
    /// For `choice` and `multi_choice`.
    #[serde(default)]
    pub options: Vec<ChoiceOption>,
    /// For `group`: the columns of each row.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// For `group`: the most rows (50 unless given).
    #[serde(default)]
    pub max_rows: Option<usize>,
    /// For `computed`: how.
    #[serde(default)]
    pub compute: Option<Spanned<Compute>>,
    /// For `attachment`: only PDF files (documents submitted as the original asks).
    #[serde(default)]
    pub pdf_only: bool,
    /// For `text`: chosen among the names of the files attached to the case (evidence
    /// named by its file) rather than typed; the name is what is kept, so documents read it.
    #[serde(default)]
    pub from_attachments: bool,
    /// Asked only when this holds: otherwise the field is neither required nor kept (an
    /// item of a paper form that belongs to one kind of report only).
    #[serde(default)]
    pub asked_when: Option<Spanned<Condition>>,
    /// Suggestions offered while typing, from a register's columns (the names a directory
    /// knows); any other text is still accepted.
    #[serde(default)]
    pub suggest: Option<Suggest>,
    /// For a `secret`: whom it is for (`applicant`, `{ subject: field }`, `{ took: action }`).
    #[serde(default, rename = "for")]
    pub secret_for: Vec<Spanned<Someone>>,
}

/// Where a text field's suggestions come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suggest {
    /// A register of this library.
    pub register: Spanned<String>,
    /// Its text columns whose values are offered; a column may hold several names, one per
    /// line or separated by 「、」.
    pub columns: Vec<Spanned<String>>,
}

impl Field {
    /// A plain optional field made in code (not read from a file).
    pub fn built_in(id: &str, kind: FieldType, label: Text) -> Self {
        use serde_saphyr::Location;
        Field {
            id: Spanned::new(id.to_owned(), Location::UNKNOWN, Location::UNKNOWN),
            number: None,
            kind,
            label,
            help: None,
            required: false,
            required_when: None,
            must_confirm: false,
            max_length: None,
            min: None,
            max: None,
            options: vec![],
            fields: vec![],
            max_rows: None,
            compute: None,
            pdf_only: false,
            from_attachments: false,
            asked_when: None,
            suggest: None,
            secret_for: vec![],
        }
    }

    /// The field's id.
    pub fn id(&self) -> &str {
        &self.id.value
    }

    /// Its value is worked out by mamori rather than typed: a computed field, or the
    /// files attached for it.
    pub fn is_derived(&self) -> bool {
        matches!(self.kind, FieldType::Computed | FieldType::Attachment)
    }

    /// The label of an option, if it is one.
    pub fn option_label(&self, id: &str) -> Option<&Text> {
        self.options
            .iter()
            .find(|o| o.id.value == id)
            .map(|o| &o.label)
    }
}

/// One choice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stored value.
    pub id: Spanned<String>,
    /// Shown label.
    pub label: Text,
}

/// A condition on a case. Exactly one of its forms is given:
///
/// - `{ field: F, is: V }`, `{ field: F, in: [V, …] }`, `{ field: F, filled: true }`,
///   `{ field: F, not_before: $G }`, `{ field: F, not_after: $today }`;
/// - `{ register: R, key: { column: $field }, has: column }` — a row exists whose column is
///   filled, among the registers of the case's organisation and its parents (or of the
///   organisations the register's `read_from` names);
/// - `{ done: action }` — the action was taken earlier in this case;
/// - `{ rule: name }` — a rule written in Rust;
/// - `{ all: [...] }`, `{ any: [...] }`, `{ not: ... }`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A field of the case's form or of an earlier action.
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    /// The value the field must have.
    #[serde(default)]
    pub is: Option<serde_json::Value>,
    /// The values the field may have.
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// Whether the field is filled (true) or empty (false).
    #[serde(default)]
    pub filled: Option<bool>,
    /// A date field is on or after this day: `$field`, `$today` or `YYYY-MM-DD` (dates in
    /// their order: the works after the survey). Holds while either is empty.
    #[serde(default)]
    pub not_before: Option<String>,
    /// A date field is on or before this day (an erasure recorded for today at the latest).
    #[serde(default)]
    pub not_after: Option<String>,
    /// A register of this library.
    #[serde(default)]
    pub register: Option<Spanned<String>>,
    /// The key of the row: register column → `$field` or a literal.
    #[serde(default)]
    pub key: BTreeMap<String, String>,
    /// The column that must be filled in that row.
    #[serde(default)]
    pub has: Option<Spanned<String>>,
    /// An action of the procedure.
    #[serde(default)]
    pub done: Option<Spanned<String>>,
    /// A rule written in Rust ([`crate::rules::rule_for`]).
    #[serde(default)]
    pub rule: Option<Spanned<String>>,
    /// Every one holds.
    #[serde(default)]
    pub all: Option<Vec<Spanned<Condition>>>,
    /// At least one holds.
    #[serde(default)]
    pub any: Option<Vec<Spanned<Condition>>>,
    /// It does not hold.
    #[serde(default)]
    pub not: Option<Box<Spanned<Condition>>>,
}

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
    /// A MiniJinja template over the case (text), or a typst template (PDF);
    /// [`crate::document`] lists what either may use. An Excel workbook has none: it is
    /// laid out from the form.
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
    /// that is not terminal. Such an action needs the form complete and is the one a new
    /// form's button takes; one that keeps the draft (recording a call) or ends it
    /// (withdrawing) is neither.
    pub fn sends_on(&self, t: &Transition) -> bool {
        let initial = &self.initial_state().id.value;
        t.to.iter().any(|b| {
            b.state.value != *initial && !self.state(&b.state.value).is_some_and(|s| s.terminal)
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
    /// `{ subject: field }`: the person a `person` field of the case names by id (the
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

/// A condition a transition waits for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Only required when this holds.
    #[serde(default)]
    pub when: Option<Spanned<Condition>>,
    /// What must hold.
    pub check: Spanned<Condition>,
    /// What the user is told while it does not.
    pub message: Text,
}

/// A register row written by a transition: found by key, created when missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterWrite {
    /// A register of this library.
    pub register: Spanned<String>,
    /// Key columns → `$field` or a literal.
    pub key: BTreeMap<String, String>,
    /// Columns set → `$field`, `$today` or a literal.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// A group field: one row is written for each of its rows, whose columns `$column`
    /// reads before the case's fields (every terminal of an application).
    #[serde(default)]
    pub for_each: Option<Spanned<String>>,
    /// Whose register the row goes to.
    #[serde(default)]
    pub kept_by: Keeper,
    /// Written only when this holds (the verification passed).
    #[serde(default)]
    pub when: Option<Spanned<Condition>>,
}

impl RegisterWrite {
    /// What each row written reads its `$field`s from: the case's data, or, with
    /// `for_each`, one copy per row of the group with that row's columns read first.
    pub fn sources(&self, data: &crate::form::Data) -> Vec<crate::form::Data> {
        let Some(each) = &self.for_each else {
            return vec![data.clone()];
        };
        data.get(&each.value)
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_object)
            .map(|row| {
                let mut d = data.clone();
                d.extend(row.clone());
                d
            })
            .collect()
    }
}

/// Whose register a written row is kept in.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Keeper {
    /// The organisation the actor acts from (an officer's own ledger).
    #[default]
    Actor,
    /// The case's organisation: an approval by another organisation is entered in the
    /// applicant's ledger (ATLA approving a company's terminal).
    Case,
}

/// A register (台帳): typed rows with a key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Id, unique in the library.
    pub id: Spanned<String>,
    /// Its title.
    pub title: Text,
    /// Columns, in order.
    pub columns: Vec<Field>,
    /// The columns that identify a row.
    pub key: Vec<Spanned<String>>,
    /// Roles that may edit rows by hand (besides the transitions that write them); no other
    /// role may, an organisation's administrators included.
    #[serde(default)]
    pub editors: Vec<Spanned<String>>,
    /// Where a case's conditions read its rows: organisations in these relations to the
    /// case's organisation (a list kept by the service provider). Empty: the case's
    /// organisation and those above it.
    #[serde(default)]
    pub read_from: Vec<Relation>,
    /// How long retired rows are kept, in years.
    #[serde(default)]
    pub retention_years: Option<u32>,
    /// Rows that ship with the library (a directory of contacts, say): every installation
    /// reads them until an organisation keeps its own row under the same key.
    #[serde(default)]
    pub rows: Vec<Spanned<serde_json::Map<String, serde_json::Value>>>,
}

impl Register {
    /// The shipped row under `key`, a key as [`crate::condition::resolve_key`] makes it.
    pub fn shipped_row(
        &self,
        key: &crate::condition::Key,
    ) -> Option<&serde_json::Map<String, serde_json::Value>> {
        let columns: BTreeMap<String, String> = self
            .key
            .iter()
            .map(|k| (k.value.clone(), format!("${}", k.value)))
            .collect();
        self.rows
            .iter()
            .map(|r| &r.value)
            .find(|row| crate::condition::resolve_key(&columns, row, "").as_ref() == Some(key))
    }

    /// A column by id.
    pub fn column(&self, id: &str) -> Option<&Field> {
        self.columns.iter().find(|c| c.id.value == id)
    }
}
