//! Reading a library's files and reporting what is wrong with them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::adapt::{ADAPTATION_FILE, Adaptation, INSTALLATION_FILE};
use crate::catalog::Catalog;
use crate::matrix::Matrix;
use crate::model::{Form, Library, Manifest, Procedure, Register};

/// One file of a library: its path inside the library folder, with `/` separators.
#[derive(Debug, Clone)]
pub struct Source {
    /// `library.yaml`, `forms/application.yaml`, …
    pub path: String,
    /// Its text.
    pub content: String,
}

/// One thing wrong with a library, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the library folder.
    pub file: String,
    /// 1-based line; 0 when the problem is with the file as a whole.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    /// What is wrong, in Japanese, with the English in parentheses where it helps.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (l, 0) => write!(f, "{}:{l}: {}", self.file, self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
        }
    }
}

/// Reads every `.yaml` file of a library folder and loads it.
pub fn load_dir(dir: &Path) -> Result<Library, Vec<Problem>> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    collect(dir, dir, &mut sources, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    load_sources(sources)
}

fn collect(root: &Path, dir: &Path, sources: &mut Vec<Source>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                file: dir.display().to_string(),
                line: 0,
                column: 0,
                message: format!("フォルダを読めません (cannot read the folder): {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            collect(root, &path, sources, problems);
        } else if relative.ends_with(".yaml") || relative.ends_with(".yml") {
            match std::fs::read_to_string(&path) {
                Ok(content) => sources.push(Source {
                    path: relative,
                    content,
                }),
                Err(e) => problems.push(Problem {
                    file: relative,
                    line: 0,
                    column: 0,
                    message: format!(
                        "UTF-8 のテキストとして読めません (not readable as UTF-8): {e}"
                    ),
                }),
            }
        }
    }
}

fn parse<T: DeserializeOwned>(source: &Source, problems: &mut Vec<Problem>) -> Option<T> {
    match serde_saphyr::from_str::<T>(&source.content) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            // The parser's own message is in English; its first line says what it expected.
            let detail = e.to_string();
            let mut detail = detail.lines().next().unwrap_or("").trim();
            detail = detail.strip_prefix("error:").unwrap_or(detail).trim_start();
            // The location is reported apart; drop the parser's own "line N column M:".
            if detail.starts_with("line ")
                && let Some((_, rest)) = detail.split_once(": ")
            {
                detail = rest;
            }
            problems.push(Problem {
                file: source.path.clone(),
                line,
                column,
                message: format!("YAML として読めません (invalid): {detail}"),
            });
            None
        }
    }
}

/// Loads a library from its files, checking it as a whole.
pub fn load_sources(mut sources: Vec<Source>) -> Result<Library, Vec<Problem>> {
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    let mut problems = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let mut forms: Vec<(&str, Form)> = Vec::new();
    let mut procedures = Vec::new();
    let mut registers = Vec::new();
    let mut catalogs = Vec::new();
    let mut matrices = Vec::new();
    let mut misplaced = Vec::new();
    let mut adaptation: Option<Adaptation> = None;
    let mut installation: Option<Adaptation> = None;
    for source in &sources {
        let path = source.path.as_str();
        let folder = path.rsplit_once('/').map(|(f, _)| f);
        match (path, folder) {
            ("library.yaml", _) => manifest = parse(source, &mut problems),
            (ADAPTATION_FILE, _) => adaptation = parse(source, &mut problems),
            (INSTALLATION_FILE, _) => installation = parse(source, &mut problems),
            (_, Some("forms")) => forms.extend(parse::<Form>(source, &mut problems).map(|f| (path, f))),
            (_, Some("procedures")) => procedures
                .extend(parse::<Procedure>(source, &mut problems).map(|p| (path, p))),
            (_, Some("registers")) => registers
                .extend(parse::<Register>(source, &mut problems).map(|r| (path, r))),
            (_, Some("catalogs")) => catalogs
                .extend(parse::<Catalog>(source, &mut problems).map(|c| (path, c))),
            (_, Some("matrices")) => matrices
                .extend(parse::<Matrix>(source, &mut problems).map(|m| (path, m))),
            _ => misplaced.push(Problem {
                file: path.to_owned(),
                line: 0,
                column: 0,
                message: "置き場所が分かりません: library.yaml、adaptation.yaml、installation.yaml、forms/、procedures/、registers/、catalogs/、matrices/ のいずれかに置いてください (unknown place for a file)".into(),
            }),
        }
    }
    // References are only checked once every file reads: a file that does not parse
    // would make everything that refers to it look wrong as well.
    if !problems.is_empty() {
        problems.extend(misplaced);
        return Err(problems);
    }
    problems = misplaced;
    let Some(mut manifest) = manifest else {
        if !sources.iter().any(|s| s.path == "library.yaml") {
            problems.push(Problem {
                file: "library.yaml".into(),
                line: 0,
                column: 0,
                message: "library.yaml がありません (missing)".into(),
            });
        }
        return Err(problems);
    };
    // The installation's figures first; an organisation's variant builds on them.
    if let Some(a) = &installation {
        if !a.forms.is_empty() {
            problems.push(Problem {
                file: INSTALLATION_FILE.into(),
                line: 0,
                column: 0,
                message: "設置者の調整 (installation) で変えられるのは deadlines、schedules と ceilings だけです。様式はそれぞれの組織の adaptation で変えます".into(),
            });
        }
        crate::adapt::retime(a, INSTALLATION_FILE, &mut procedures, &mut problems);
        crate::adapt::lower_ceilings(a, INSTALLATION_FILE, &mut manifest, &mut problems);
    }
    if let Some(a) = &adaptation {
        crate::adapt::reshape(a, &mut forms, &mut problems);
        crate::adapt::retime(a, ADAPTATION_FILE, &mut procedures, &mut problems);
        crate::adapt::lower_ceilings(a, ADAPTATION_FILE, &mut manifest, &mut problems);
    }
    // A questionnaire read from a matrix is written out before anything is checked, so the
    // checker sees its requirements as it sees any others.
    for (_, catalog) in &mut catalogs {
        let Some(wanted) = catalog.from_matrix.as_ref().map(|f| f.matrix.value.clone()) else {
            continue;
        };
        if let Some((_, m)) = matrices.iter().find(|(_, m)| m.id.value == wanted) {
            catalog.expand_from(m);
        }
    }
    let parts = crate::check::Parts {
        manifest: &manifest,
        forms: &forms,
        procedures: &procedures,
        registers: &registers,
        catalogs: &catalogs,
        matrices: &matrices,
    };
    let (found, warnings) = crate::check::check(&parts);
    problems.extend(found);
    if !problems.is_empty() {
        return Err(problems);
    }
    if let Some(a) = &adaptation {
        problems =
            crate::adapt::extend(a, &manifest, &mut forms, &procedures, &registers, &catalogs);
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    let mut hasher = Sha256::new();
    for s in &sources {
        hasher.update((s.path.len() as u64).to_be_bytes());
        hasher.update(s.path.as_bytes());
        hasher.update((s.content.len() as u64).to_be_bytes());
        hasher.update(s.content.as_bytes());
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut axes = Vec::new();
    if !manifest.marks.is_empty() {
        axes.push(crate::model::Axis::of_marks(&manifest.marks));
    }
    axes.extend(manifest.classification.iter().cloned());
    let heads: Vec<crate::model::Field> = axes.iter().map(class_field).collect();
    for (_, form) in &mut forms {
        form.fields.splice(0..0, heads.iter().cloned());
    }
    // A register row is classified too, last so that the register's own columns keep their
    // places in exports and imports.
    for (_, register) in &mut registers {
        register.columns.extend(heads.iter().cloned());
    }
    for (_, procedure) in &mut procedures {
        crate::class::resolve_procedure(procedure, &axes);
    }
    for (_, form) in &mut forms {
        crate::class::resolve_fields(&mut form.fields, &axes);
    }
    Ok(Library {
        manifest,
        forms: by_id(forms, |f| &f.id.value),
        procedures: by_id(procedures, |p| &p.id.value),
        registers: by_id(registers, |r| &r.id.value),
        catalogs: by_id(catalogs, |c| &c.id.value),
        matrices: by_id(matrices, |m| &m.id.value),
        digest,
        sources: sources.into_iter().map(|s| (s.path, s.content)).collect(),
        axes,
        warnings,
    })
}

/// The choice of an axis's levels that heads every form of a library that declares it
/// (the marks as 取扱区分). It is a field like any other, so it is validated, shown,
/// printed and kept in the history with the rest of the form; the checker keeps its id free.
fn class_field(axis: &crate::model::Axis) -> crate::model::Field {
    use crate::model::{ChoiceOption, Field, FieldType, Text};
    let mut field = Field::built_in(&axis.id.value, FieldType::Choice, axis.name.clone());
    field.required = axis.required;
    field.options = axis
        .levels
        .iter()
        .map(|m| ChoiceOption {
            id: m.id.clone(),
            label: m.label.clone(),
        })
        .collect();
    field.ceiling = axis.ceiling.as_ref().and_then(|c| {
        Some(crate::model::FieldCeiling {
            rank: axis.rank(&c.level.value)?,
            reason: c.reason.clone(),
        })
    });
    let restricted = |lang: &str, sep: &str| {
        axis.levels
            .iter()
            .filter(|m| m.need_to_know)
            .map(|m| m.label.get(lang))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let mut ja = String::from("文書と出力のすべてに表示されます。");
    let mut en = String::from("Printed on every document and export.");
    if axis.levels.iter().any(|m| m.need_to_know) {
        ja += &format!(
            "{} の案件を読めるのは、作成者と手続の担当者だけです。",
            restricted("ja", "・")
        );
        en += &format!(
            " A case marked {} can be read only by whoever opened it and those handling it.",
            restricted("en", " or ")
        );
    }
    if let Some(c) = &axis.ceiling {
        let top = axis.rank(&c.level.value).map(|r| &axis.levels[r].label);
        if let Some(top) = top {
            ja += &format!("扱えるのは「{}」までです（{}）。", top.ja, c.reason.ja);
            en += &format!(
                " Records up to {} only ({}).",
                top.get("en"),
                c.reason.get("en")
            );
        }
    }
    field.help = Some(Text { ja, en: Some(en) });
    field
}

fn by_id<T>(items: Vec<(&str, T)>, id: impl Fn(&T) -> &String) -> BTreeMap<String, T> {
    items
        .into_iter()
        .map(|(_, item)| (id(&item).clone(), item))
        .collect()
}
