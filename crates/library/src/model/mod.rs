//! The library format, as it is read from YAML.
//!
//! Names that other parts refer to (states, fields, roles, registers) keep their source
//! location, so that the checker can point at the line of a wrong reference.

use std::collections::BTreeMap;

use mamori_domain::deadline::{Due, Span};
use serde::Deserialize;
pub use serde_saphyr::Spanned;

mod classes;
mod fields;
mod procedures;
mod registers;
mod schedules;
mod transitions;

pub use classes::*;
pub use fields::*;
pub use procedures::*;
pub use registers::*;
pub use schedules::*;
pub use transitions::*;

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
    /// Matrices (who holds which mark for each item of an original) by id.
    pub matrices: BTreeMap<String, crate::matrix::Matrix>,
    /// SHA-256 over every file, in path order: two loads of the same version must agree.
    pub digest: String,
    /// The files it was read from (path inside the library, content), to keep with cases.
    pub sources: Vec<(String, String)>,
    /// The axes records are classified on: the marks (as [`MARK_AXIS`]) and the declared
    /// axes, each with the ceiling in force here.
    pub axes: Vec<Axis>,
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

    /// An axis of classification.
    pub fn axis(&self, id: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.id.value == id)
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
    /// Axes of classification (機密性, 完全性, 可用性), each a choice of ordered levels at
    /// the head of every form and the end of every register, after the marks.
    #[serde(default)]
    pub classification: Vec<Axis>,
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
