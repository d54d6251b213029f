//! Reading a library's matrices (who holds which mark for each item of the original) as
//! they hold for an organisation, and its corrections of them.
//!
//! The shipped rows are the original's, readable by anyone signed in. An organisation's
//! corrections are its own: they are read with the organisation (whoever may read it sees
//! the corrections of it and of those above it, the nearest and latest in force), and made
//! by whoever the matrix names for it.

use std::collections::BTreeMap;
use std::sync::Arc;

use mamori_domain::policy::{self, Permission};
use mamori_library::matrix::{Confidence, Matrix};
use mamori_library::{Library, Text};
use mamori_storage::matrix_corrections::{self, CorrectionRow, NewCorrection};
use mamori_storage::organisations as orgs;
use serde_json::json;
use uuid::Uuid;

use crate::cases::acting_org;
use crate::error::FormProblem;
use crate::{App, AppError, Caller};

/// The most characters a correction's reason may have.
pub const REASON_LIMIT: usize = 2000;

/// Which rows to list.
#[derive(Debug, Clone, Default)]
pub struct MatrixFilter {
    /// Rows where this column holds a mark (or `mark`, if given).
    pub column: Option<String>,
    /// The same, naming the column by the role it stands for.
    pub role: Option<String>,
    /// Rows holding this mark (in `column`, if given).
    pub mark: Option<String>,
    /// Rows at or under this clause (`5.1`, `6.1(17)`).
    pub clause: Option<String>,
    /// The organisation whose corrections hold; the caller's own when not given.
    pub organisation: Option<Uuid>,
}

/// One row as it holds for the organisation.
#[derive(Debug, Clone)]
pub struct MatrixRowView {
    pub id: String,
    pub category: Option<Text>,
    pub title: Text,
    /// As the original's text gives them.
    pub raw_marks: String,
    /// The reading of the original: column → mark.
    pub original: BTreeMap<String, String>,
    pub confidence: Confidence,
    pub basis: Option<String>,
    /// In force: the original's reading, or the correction.
    pub cells: BTreeMap<String, String>,
    /// The correction in force, if any.
    pub correction: Option<Correction>,
}

/// A correction of a row.
#[derive(Debug, Clone)]
pub struct Correction {
    pub id: Uuid,
    /// The organisation that made it.
    pub organisation: Uuid,
    pub organisation_name: String,
    pub cells: BTreeMap<String, String>,
    pub reason: String,
    pub made_by: Uuid,
    pub made_by_name: String,
    pub made_at: mamori_storage::types::Ts,
}

/// A matrix as it holds for an organisation.
#[derive(Debug, Clone)]
pub struct MatrixView {
    pub library: Arc<Library>,
    pub matrix: String,
    /// The organisation whose corrections hold: id and name.
    pub organisation: (Uuid, String),
    /// The rows the filter keeps, in the original's order.
    pub rows: Vec<MatrixRowView>,
    /// All rows, before the filter.
    pub total: usize,
    /// Whether the caller may correct rows for the organisation.
    pub may_correct: bool,
    /// The organisation and those above it, nearest first: whose corrections count.
    chain: Vec<Uuid>,
}

impl MatrixView {
    /// The matrix itself.
    pub fn matrix(&self) -> &Matrix {
        &self.library.matrices[&self.matrix]
    }
}

/// One row with everything said of it.
#[derive(Debug, Clone)]
pub struct MatrixRowPage {
    pub view: MatrixView,
    /// The row (also `view.rows[0]`).
    pub row: MatrixRowView,
    /// Every correction of it for the organisation and those above it, oldest first.
    pub history: Vec<Correction>,
    /// The procedures of the library that carry it out: id and title.
    pub procedures: Vec<(String, Text)>,
}

/// A correction asked for.
#[derive(Debug, Clone, Default)]
pub struct CorrectInput {
    /// The organisation it is for.
    pub organisation: Uuid,
    /// Column → mark; columns left out hold no mark.
    pub cells: BTreeMap<String, String>,
    /// Why.
    pub reason: String,
}

fn correction(row: CorrectionRow) -> Correction {
    Correction {
        id: row.id,
        organisation: row.organisation_id,
        organisation_name: row.organisation_name,
        cells: serde_json::from_str(&row.cells).unwrap_or_default(),
        reason: row.reason,
        made_by: row.made_by,
        made_by_name: row.made_by_name,
        made_at: row.made_at,
    }
}

impl App {
    /// Every matrix of the current libraries: the library and the matrix's id.
    pub fn matrices(&self) -> Vec<(Arc<Library>, String)> {
        self.libraries
            .current()
            .flat_map(|l| l.matrices.keys().map(|m| (l.clone(), m.clone())))
            .collect()
    }

    /// A matrix as it holds for an organisation, its rows kept by the filter. An unknown
    /// column, role or mark is named as the field it came in.
    pub async fn matrix(
        &self,
        caller: &Caller,
        library: &str,
        matrix: &str,
        filter: MatrixFilter,
    ) -> Result<MatrixView, AppError> {
        let lib = self
            .libraries
            .latest(library)
            .filter(|l| l.matrices.contains_key(matrix))
            .cloned()
            .ok_or(AppError::NotFound)?;
        let m = &lib.matrices[matrix];
        let mut errors = mamori_domain::FieldErrors::default();
        let mut column = filter.column.clone().filter(|c| !c.is_empty());
        if let Some(c) = &column
            && m.column_index(c).is_none()
        {
            errors.push("column", "not-found");
        }
        if let Some(role) = filter.role.as_deref().filter(|r| !r.is_empty()) {
            match m.column_of_role(role) {
                Some(c) => column = Some(c.id.value.clone()),
                None => errors.push("role", "not-found"),
            }
        }
        let mark = filter.mark.clone().filter(|x| !x.is_empty());
        if mark.as_deref().is_some_and(|x| !m.has_mark(x)) {
            errors.push("mark", "invalid-choice");
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let organisation = filter.organisation.unwrap_or(caller.actor.organisation);
        let (ancestors, name, may_correct) =
            self.matrix_reader(caller, &lib, m, organisation).await?;
        let found = matrix_corrections::among(&self.db, &ancestors, lib.id(), matrix, None).await?;
        let in_force = nearest(&ancestors, found);
        let total = m.rows.len();
        let clause = filter
            .clause
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let rows = m
            .rows
            .iter()
            .filter(|r| clause.is_none_or(|c| r.under(c)))
            .map(|r| row_view(r, in_force.get(r.id.value.as_str()).cloned()))
            .filter(|r| match (&column, &mark) {
                (Some(c), Some(x)) => r.cells.get(c) == Some(x),
                (Some(c), None) => r.cells.contains_key(c),
                (None, Some(x)) => r.cells.values().any(|v| v == x),
                (None, None) => true,
            })
            .collect();
        Ok(MatrixView {
            library: lib.clone(),
            matrix: matrix.to_owned(),
            organisation: (organisation, name),
            rows,
            total,
            may_correct,
            chain: ancestors,
        })
    }

    /// One row as it holds for an organisation, with the history of its corrections and the
    /// procedures that carry it out.
    pub async fn matrix_row(
        &self,
        caller: &Caller,
        library: &str,
        matrix: &str,
        row: &str,
        organisation: Option<Uuid>,
    ) -> Result<MatrixRowPage, AppError> {
        let view = self
            .matrix(
                caller,
                library,
                matrix,
                MatrixFilter {
                    organisation,
                    ..Default::default()
                },
            )
            .await?;
        let found = view
            .rows
            .iter()
            .find(|r| r.id == row)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let history = matrix_corrections::among(&self.db, &view.chain, library, matrix, Some(row))
            .await?
            .into_iter()
            .map(correction)
            .collect();
        let procedures = view
            .library
            .procedures
            .values()
            .filter(|p| {
                p.matrix_row
                    .as_ref()
                    .is_some_and(|l| l.matrix.value == matrix && l.row.value == row)
            })
            .map(|p| (p.id.value.clone(), p.title.clone()))
            .collect();
        let mut view = view;
        view.rows = vec![found.clone()];
        Ok(MatrixRowPage {
            view,
            row: found,
            history,
            procedures,
        })
    }

    /// Records an organisation's own reading of a row: whoever the matrix names for the
    /// organisation makes it, with the reason. A mark the matrix lacks, a column it lacks,
    /// no reason, or the reading already in force is refused with each problem named.
    pub async fn correct_matrix_row(
        &self,
        caller: &Caller,
        library: &str,
        matrix: &str,
        row: &str,
        input: CorrectInput,
    ) -> Result<Uuid, AppError> {
        let page = self
            .matrix_row(caller, library, matrix, row, Some(input.organisation))
            .await?;
        let m = page.view.matrix();
        if !page.view.may_correct {
            return self
                .deny(
                    caller,
                    "library.matrix_correct",
                    Some(input.organisation),
                    "matrix_row",
                    Some(format!("{library}/{matrix}/{row}")),
                )
                .await;
        }
        let cells: BTreeMap<String, String> = input
            .cells
            .into_iter()
            .map(|(c, x)| (c, x.trim().to_owned()))
            .filter(|(_, x)| !x.is_empty())
            .collect();
        let mut problems = Vec::new();
        let label_of = |c: &str| {
            m.columns
                .iter()
                .find(|x| x.id.value == c)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| Text {
                    ja: c.to_owned(),
                    en: None,
                })
        };
        for (column, mark) in &cells {
            let code = if m.column_index(column).is_none() {
                "unknown-field"
            } else if !m.has_mark(mark) {
                "unknown-option"
            } else {
                continue;
            };
            problems.push(FormProblem {
                field: format!("cells.{column}"),
                label: label_of(column),
                code,
                limit: None,
            });
        }
        let reason = input.reason.trim();
        let reason_label = Text {
            ja: "改める理由".into(),
            en: Some("Why".into()),
        };
        if reason.is_empty() {
            problems.push(FormProblem {
                field: "reason".into(),
                label: reason_label.clone(),
                code: "required",
                limit: None,
            });
        } else if reason.chars().count() > REASON_LIMIT {
            problems.push(FormProblem {
                field: "reason".into(),
                label: reason_label,
                code: "too-long",
                limit: Some(REASON_LIMIT.to_string()),
            });
        }
        if problems.is_empty() && cells == page.row.cells {
            problems.push(FormProblem {
                field: "cells".into(),
                label: page.row.title.clone(),
                code: "matrix-unchanged",
                limit: None,
            });
        }
        if !problems.is_empty() {
            return Err(AppError::FormInvalid(problems));
        }
        let encoded =
            serde_json::to_string(&cells).map_err(|e| AppError::Internal(format!("cells: {e}")))?;
        let mut tx = self.db.begin().await?;
        let id = matrix_corrections::insert(
            &mut tx,
            &NewCorrection {
                organisation: input.organisation,
                library,
                matrix,
                row,
                cells: &encoded,
                reason,
                by: caller.actor.person,
                now: self.now(),
            },
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "library.matrix_correct",
            input.organisation,
            ("matrix_row", format!("{library}/{matrix}/{row}")),
            json!({
                "library": library,
                "matrix": matrix,
                "row": row,
                "title": page.row.title.ja,
                "before": page.row.cells,
                "after": cells,
                "reason": reason,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The organisation's chain (itself first) and name, and whether the caller may
    /// correct rows for it; refuses whoever may not read it.
    async fn matrix_reader(
        &self,
        caller: &Caller,
        lib: &Library,
        m: &Matrix,
        organisation: Uuid,
    ) -> Result<(Vec<Uuid>, String, bool), AppError> {
        let facts = match orgs::facts_db(&self.db, organisation).await {
            Ok(f) => f,
            Err(mamori_storage::StorageError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let case_facts = self.case_facts(&self.db, organisation).await?;
        let may_correct = acting_org(caller, &m.corrected_by, &case_facts).is_some();
        if !may_correct && !policy::allows(&caller.actor, Permission::ViewCases, &facts) {
            return self
                .deny(
                    caller,
                    "library.matrix_read",
                    Some(organisation),
                    "matrix",
                    Some(format!("{}/{}", lib.id(), m.id.value)),
                )
                .await;
        }
        let name = orgs::get(&self.db, organisation).await?.name;
        Ok((facts.ancestors, name, may_correct))
    }
}

/// The correction in force for each row: the latest of the nearest organisation that made
/// one (`found` is oldest first; `ancestors` nearest first).
fn nearest(ancestors: &[Uuid], found: Vec<CorrectionRow>) -> BTreeMap<String, Correction> {
    let mut out: BTreeMap<String, (usize, Correction)> = BTreeMap::new();
    for row in found {
        let Some(depth) = ancestors.iter().position(|a| *a == row.organisation_id) else {
            continue;
        };
        let keep = out.get(&row.row_id).is_none_or(|(d, _)| depth <= *d);
        if keep {
            out.insert(row.row_id.clone(), (depth, correction(row)));
        }
    }
    out.into_iter().map(|(k, (_, c))| (k, c)).collect()
}

fn row_view(r: &mamori_library::matrix::Row, correction: Option<Correction>) -> MatrixRowView {
    MatrixRowView {
        id: r.id.value.clone(),
        category: r.category.clone(),
        title: r.title.clone(),
        raw_marks: r.marks.clone(),
        original: r.cells.clone(),
        confidence: r.confidence,
        basis: r.basis.clone(),
        cells: correction
            .as_ref()
            .map_or_else(|| r.cells.clone(), |c| c.cells.clone()),
        correction,
    }
}
