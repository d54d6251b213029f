//! A form and its fields: kinds, computed values, choices, and the conditions that show,
//! require or check them.

use super::*;

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
    /// For the field of a classification axis: the highest option a record may choose here,
    /// and why (set by mamori from the axis, never written in a form).
    #[serde(skip)]
    pub ceiling: Option<FieldCeiling>,
}

/// The highest option of a classification field, by its place among the options.
#[derive(Debug, Clone)]
pub struct FieldCeiling {
    /// The index of the highest option allowed.
    pub rank: usize,
    /// Why, with its clause.
    pub reason: Text,
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
            ceiling: None,
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
    /// An axis of classification: with `at_least`, the record is classified at that
    /// level of it or higher (`{ class: confidentiality, at_least: c2 }`).
    #[serde(default)]
    pub class: Option<Spanned<String>>,
    /// A level of the `class` axis.
    #[serde(default)]
    pub at_least: Option<Spanned<String>>,
}
