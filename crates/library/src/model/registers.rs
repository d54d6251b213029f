//! Registers (ledgers) and the requirements of a checklist.

use super::*;

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

/// In a write's `set`: the name of whoever takes the action (the manager who permitted a
/// take-out, the administrator who registered a user), so that a ledger says who decided.
pub const ACTOR: &str = "$actor";

/// A register row written by a transition: found by key, created when missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterWrite {
    /// A register of this library.
    pub register: Spanned<String>,
    /// Key columns → `$field` or a literal.
    pub key: BTreeMap<String, String>,
    /// Columns set → `$field`, `$today`, [`ACTOR`] or a literal.
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
    /// How long rows are kept, in years: counted from a row's retirement, or from the day
    /// in `retention_from` when that is given. Past it, the scheduler deletes the row and
    /// its history, unless the row is held.
    #[serde(default)]
    pub retention_years: Option<u32>,
    /// A date column recording the event a row is kept until (a system's renewal, 「改修又は
    /// 更新まで」): once filled, the row goes `retention_years` (or no) years after that day,
    /// retired or not.
    #[serde(default)]
    pub retention_from: Option<Spanned<String>>,
    /// Dates each row carries: a day it is due by (a take-out's return day) or a day it
    /// lapses after (an exception's, a permission's), reminded of before and marked after,
    /// like a case's deadline.
    #[serde(default)]
    pub dates: Vec<RowDate>,
    /// Roles held for one row of it (情報システム管理者 for one system), designated on the
    /// row; each a role of the library.
    #[serde(default)]
    pub roles: Vec<Spanned<String>>,
    /// Rows that ship with the library (a directory of contacts, say): every installation
    /// reads them until an organisation keeps its own row under the same key.
    #[serde(default)]
    pub rows: Vec<Spanned<serde_json::Map<String, serde_json::Value>>>,
    /// Documents printed from the rows a reader sees (a ledger laid out as its paper form):
    /// text, PDF or a laid-out workbook, over [`crate::document::sample_register_context`]'s
    /// shape.
    #[serde(default)]
    pub documents: Vec<super::Document>,
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

/// A date a register row carries (`dates`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowDate {
    /// A date column of the register.
    pub column: Spanned<String>,
    /// What the day means.
    pub means: RowDateMeaning,
    /// Reminds this long before the day ends (`3 days before`, `5 business days before`).
    #[serde(default)]
    pub remind: Option<Spanned<String>>,
    /// A column that, once filled, settles the date (`returned_on`: the medium came back).
    #[serde(default)]
    pub settled_by: Option<Spanned<String>>,
    /// Besides the register's editors, who is told (`applicant`: whoever opened the case
    /// that last wrote the row — the borrower of a take-out, say).
    #[serde(default)]
    pub notify: Vec<super::Participant>,
}

/// What a row's date means once it has passed.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RowDateMeaning {
    /// Something is owed by the end of the day (返却日): after it, the row is overdue.
    Due,
    /// The row holds until the end of the day (有効期限): after it, it has lapsed.
    Expires,
}

impl RowDate {
    /// The day the row carries, if the column holds one.
    pub fn day(
        &self,
        row: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<jiff::civil::Date> {
        row.get(&self.column.value)?.as_str()?.parse().ok()
    }

    /// Whether the row has settled what the date asks (its `settled_by` column is filled).
    pub fn settled(&self, row: &serde_json::Map<String, serde_json::Value>) -> bool {
        self.settled_by.as_ref().is_some_and(|c| {
            row.get(&c.value)
                .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        })
    }
}
