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
