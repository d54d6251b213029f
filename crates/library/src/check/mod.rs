//! The checks a library must pass before a server loads it: every reference resolves,
//! every id is unique and well formed, every condition makes sense for what it names. The
//! checks of each part of a library live beside what they check: fields, catalogs,
//! conditions, procedures, and who acts (duties, designations, committees, secrets).

mod about;
mod catalogs;
mod classes;
mod conditions;
mod duties;
mod fields;
mod matrices;
mod procedures;
mod schedules;

use std::collections::BTreeSet;

use serde_saphyr::Spanned;

use crate::catalog::Catalog;
use crate::load::Problem;
use crate::matrix::Matrix;
use crate::model::{Field, FieldType, Form, Manifest, Party, Procedure, Register};

pub(crate) struct Parts<'a> {
    pub manifest: &'a Manifest,
    pub forms: &'a [(&'a str, Form)],
    pub procedures: &'a [(&'a str, Procedure)],
    pub registers: &'a [(&'a str, Register)],
    pub catalogs: &'a [(&'a str, Catalog)],
    pub matrices: &'a [(&'a str, Matrix)],
}

struct Checker<'a> {
    parts: &'a Parts<'a>,
    problems: Vec<Problem>,
    /// Doubts that do not refuse the library.
    warnings: Vec<Problem>,
    file: &'a str,
}

impl<'a> Checker<'a> {
    fn at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message: message.into(),
        });
    }

    fn warn_at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.warnings.push(Problem {
            file: self.file.to_owned(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            message: message.into(),
        });
    }

    fn whole_file(&mut self, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }

    fn id(&mut self, id: &Spanned<String>, what: &str) {
        let ok = !id.value.is_empty()
            && id
                .value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
            && id
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.at(
                id,
                format!(
                    "{what}の id「{}」は英小文字で始まり、英小文字・数字・_ だけにしてください (ids are snake_case)",
                    id.value
                ),
            );
        }
    }

    fn unique<'s>(&mut self, ids: impl IntoIterator<Item = &'s Spanned<String>>, what: &str) {
        let mut seen = BTreeSet::new();
        for id in ids {
            if !seen.insert(id.value.as_str()) {
                self.at(
                    id,
                    format!("{what}「{}」が重複しています (duplicate id)", id.value),
                );
            }
        }
    }

    fn register(&self, id: &str) -> Option<&'a Register> {
        self.parts
            .registers
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.id.value == id)
    }

    fn role(&mut self, role: &Spanned<String>) {
        if !self
            .parts
            .manifest
            .roles
            .iter()
            .any(|r| r.id.value == role.value)
        {
            let known: Vec<&str> = self
                .parts
                .manifest
                .roles
                .iter()
                .map(|r| r.id.value.as_str())
                .collect();
            self.at(
                role,
                format!(
                    "役割「{}」は library.yaml の roles にありません (unknown role; declared: {})",
                    role.value,
                    known.join(", ")
                ),
            );
        }
    }

    fn parties(&mut self, parties: &[Party], what: &str) {
        if parties.is_empty() {
            self.whole_file(format!(
                "{what}: 誰が行えるか (by) を一つ以上書いてください"
            ));
        }
        for p in parties {
            self.role(&p.role);
        }
    }
}

/// Whether a condition looks at actions taken or register rows.
/// Whether the field a rule reads is there: `id`, or `group.column` for a table's column.
fn has_input<'f>(path: &str, find: impl Fn(&str) -> Option<&'f Field>) -> bool {
    let (id, column) = match path.split_once('.') {
        Some((id, column)) => (id, Some(column)),
        None => (path, None),
    };
    match (find(id), column) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(f), Some(column)) => {
            f.kind == FieldType::Group && f.fields.iter().any(|c| c.id() == column)
        }
    }
}

fn has_done_or_register(c: &crate::model::Condition) -> bool {
    c.done.is_some()
        || c.register.is_some()
        || c.all
            .iter()
            .chain(c.any.iter())
            .flatten()
            .any(|i| has_done_or_register(&i.value))
        || c.not
            .as_ref()
            .is_some_and(|i| has_done_or_register(&i.value))
}

/// The problems that refuse the library, and the warnings that do not.
pub(crate) fn check(parts: &Parts<'_>) -> (Vec<Problem>, Vec<Problem>) {
    let mut c = Checker {
        parts,
        problems: Vec::new(),
        warnings: Vec::new(),
        file: "library.yaml",
    };
    let m = parts.manifest;
    let id_ok = !m.id.value.is_empty()
        && m.id
            .value
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if !id_ok {
        c.at(
            &m.id,
            "ライブラリの id は英小文字・数字・- だけにしてください",
        );
    }
    if m.version.value.trim().is_empty() {
        c.at(&m.version, "version が空です");
    }
    c.unique(m.roles.iter().map(|r| &r.id), "役割");
    for r in &m.roles {
        c.id(&r.id, "役割");
        if let Some(n) = &r.at_most
            && n.value == 0
        {
            c.at(
                n,
                "at_most は 1 以上にしてください（0 では誰も指定できません）",
            );
        }
    }
    c.unique(m.marks.iter().map(|r| &r.id), "取扱区分");
    for mark in &m.marks {
        c.id(&mark.id, "取扱区分");
    }
    c.axes(m);
    for n in &m.notes {
        if let Some(until) = &n.until
            && until.value.parse::<jiff::civil::Date>().is_err()
        {
            c.at(
                until,
                format!("日付「{}」は YYYY-MM-DD で書いてください", until.value),
            );
        }
    }
    for (kind, ids) in [
        (
            "様式",
            parts
                .forms
                .iter()
                .map(|(f, x)| (*f, &x.id))
                .collect::<Vec<_>>(),
        ),
        (
            "手続",
            parts.procedures.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
        (
            "台帳",
            parts.registers.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
        (
            "点検項目集",
            parts.catalogs.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
        (
            "一覧表",
            parts.matrices.iter().map(|(f, x)| (*f, &x.id)).collect(),
        ),
    ] {
        let mut seen = BTreeSet::new();
        for (file, id) in ids {
            if !seen.insert(id.value.as_str()) {
                c.file = file;
                c.at(id, format!("{kind}「{}」が重複しています", id.value));
            }
        }
    }
    for (file, form) in parts.forms {
        c.file = file;
        c.id(&form.id, "様式");
        for f in form.fields.iter() {
            if !c.classes(&f.id.value) {
                continue;
            }
            c.at(
                &f.id,
                format!(
                    "項目 id「{}」は格付・取扱区分のために予約されています (reserved)",
                    f.id.value
                ),
            );
        }
        c.fields(&form.fields, &format!("様式「{}」", form.id.value));
        c.no_secrets(&form.fields);
    }
    for (file, register) in parts.registers {
        c.file = file;
        c.id(&register.id, "台帳");
        for f in register.columns.iter() {
            if !c.classes(&f.id.value) {
                continue;
            }
            c.at(
                &f.id,
                format!(
                    "列 id「{}」は格付・取扱区分のために予約されています (reserved)",
                    f.id.value
                ),
            );
        }
        c.only_typed(&register.columns);
        c.fields(&register.columns, &format!("台帳「{}」", register.id.value));
        c.no_secrets(&register.columns);
        for column in &register.columns {
            if matches!(column.kind, FieldType::Group | FieldType::Contact) {
                c.at(
                    &column.id,
                    format!(
                        "台帳の列に group や contact は使えません（「{}」）: 一行に一つの値を持たせてください",
                        column.id.value
                    ),
                );
            }
        }
        if register.key.is_empty() {
            c.at(&register.id, "台帳の key（行を特定する列）がありません");
        }
        for k in &register.key {
            if register.column(&k.value).is_none() {
                c.at(k, format!("key の列「{}」は columns にありません", k.value));
            }
        }
        for e in register.editors.iter().chain(&register.roles) {
            c.role(e);
        }
        let date_column = |c: &mut Checker<'_>, at: &Spanned<String>, what: &str| match register
            .column(&at.value)
        {
            None => c.at(
                at,
                format!("{what}の列「{}」は columns にありません", at.value),
            ),
            Some(f) if f.kind != FieldType::Date => c.at(
                at,
                format!(
                    "{what}の列「{}」は日付 (type: date) ではありません",
                    at.value
                ),
            ),
            Some(_) => {}
        };
        if let Some(from) = &register.retention_from {
            date_column(&mut c, from, "retention_from ");
        }
        for d in &register.dates {
            date_column(&mut c, &d.column, "dates ");
            if let Some(s) = &d.settled_by
                && register.column(&s.value).is_none()
            {
                c.at(
                    s,
                    format!("settled_by の列「{}」は columns にありません", s.value),
                );
            }
            if let Some(r) = &d.remind
                && let Err(e) = crate::model::reminder_span(&r.value)
            {
                c.at(r, format!("remind「{}」を読めません: {e}", r.value));
            }
        }
        // A register's rows as a plain table are its export; a document lays them out.
        for d in &register.documents {
            if d.format == crate::model::DocumentFormat::Xlsx && d.template.is_none() {
                c.at(
                    &d.id,
                    format!(
                        "台帳の文書「{}」には template が要ります（表のままの Excel は書き出しで得られます）",
                        d.id.value
                    ),
                );
            }
        }
        c.documents(
            &register.documents,
            &crate::document::sample_register_context(&register.columns),
        );
        // Shipped rows are held to the columns like a row typed on the register's page,
        // and two rows may not share a key.
        let mut keys = BTreeSet::new();
        for row in &register.rows {
            if let Err(found) = crate::form::validate(
                &register.columns,
                &row.value,
                crate::form::Completeness::Complete,
            ) {
                for p in found {
                    c.at(
                        row,
                        format!(
                            "台帳「{}」の行: 列「{}」が正しくありません（{}）",
                            register.id.value, p.field, p.code
                        ),
                    );
                }
            }
            let key: Vec<String> = register
                .key
                .iter()
                .map(|k| {
                    row.value
                        .get(&k.value)
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                })
                .collect();
            if !keys.insert(key) {
                c.at(
                    row,
                    format!(
                        "台帳「{}」の行の key が重複しています (duplicate key)",
                        register.id.value
                    ),
                );
            }
        }
    }
    for (file, procedure) in parts.procedures {
        c.file = file;
        c.procedure(procedure);
    }
    for (file, catalog) in parts.catalogs {
        c.file = file;
        c.catalog(catalog);
    }
    for (file, matrix) in parts.matrices {
        c.file = file;
        c.matrix(matrix);
    }
    (c.problems, c.warnings)
}

/// Checks the fields an organisation's variant adds to a form (already checked without
/// them), naming the variant's file: each added field gets the checks a shipped one does,
/// and may not take an id the form already uses.
pub(crate) fn check_added(parts: &Parts<'_>, file: &str, form: &Form) -> Vec<Problem> {
    let mut c = Checker {
        parts,
        problems: Vec::new(),
        warnings: Vec::new(),
        file,
    };
    for f in &form.fields {
        if c.classes(&f.id.value) && f.id.referenced.line() > 0 {
            c.at(
                &f.id,
                format!(
                    "項目 id「{}」は格付・取扱区分のために予約されています (reserved)",
                    f.id.value
                ),
            );
        }
    }
    // The form's own fields passed already; what is found now is about the added ones.
    c.fields(&form.fields, &format!("様式「{}」", form.id.value));
    c.problems
}
