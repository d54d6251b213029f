//! Matrices: columns that stand for roles of the library, known marks, rows with unique
//! ids whose cells read back as the marks the original gives; and procedures' links to
//! their rows.

use super::Checker;
use crate::matrix::{Confidence, Matrix};
use crate::model::MatrixRow;

impl Checker<'_> {
    /// A matrix on its own.
    pub(super) fn matrix(&mut self, matrix: &Matrix) {
        self.id(&matrix.id, "一覧表");
        for p in &matrix.corrected_by {
            self.role(&p.role);
        }
        self.unique(matrix.columns.iter().map(|c| &c.id), "列");
        for column in &matrix.columns {
            self.id(&column.id, "列");
            if let Some(role) = &column.role {
                self.role(role);
            }
        }
        self.unique(matrix.marks.iter().map(|m| &m.id), "記号");
        for mark in &matrix.marks {
            if mark.id.value.trim().is_empty() || mark.id.value.contains(char::is_whitespace) {
                self.at(&mark.id, "記号は空白を含まない一文字以上にしてください");
            }
        }
        if matrix.columns.is_empty() || matrix.marks.is_empty() {
            self.at(&matrix.id, "一覧表には columns と marks が要ります");
        }
        self.unique(matrix.rows.iter().map(|r| &r.id), "行");
        for row in &matrix.rows {
            if row.id.value.trim().is_empty() {
                self.at(&row.id, "行の id が空です");
            }
            for (column, message) in matrix.cell_problems(&row.cells) {
                self.at(
                    &row.id,
                    format!("行「{}」: {message}（{column}）", row.id.value),
                );
            }
            for raw in row.raw_marks() {
                if !matrix.has_mark(raw) {
                    self.at(
                        &row.id,
                        format!("行「{}」: 記号「{raw}」は marks にありません", row.id.value),
                    );
                }
            }
            // The reading may place the marks, never change them: read left to right, the
            // cells must give back the marks as the original's text has them.
            if matrix.sequence(&row.cells) != row.raw_marks() {
                self.at(
                    &row.id,
                    format!(
                        "行「{}」: cells を列の順に読むと「{}」で、marks「{}」と合いません",
                        row.id.value,
                        matrix.sequence(&row.cells).join(" "),
                        row.marks
                    ),
                );
            }
            let unmarked = row.raw_marks().is_empty();
            if unmarked != (row.confidence == Confidence::None) {
                self.at(
                    &row.id,
                    format!(
                        "行「{}」: confidence: none は記号のない行だけに使います",
                        row.id.value
                    ),
                );
            }
        }
    }

    /// A procedure's `matrix_row`: a row of a matrix of this library.
    pub(super) fn matrix_row(&mut self, link: &MatrixRow) {
        match self
            .parts
            .matrices
            .iter()
            .find(|(_, m)| m.id.value == link.matrix.value)
        {
            None => self.at(
                &link.matrix,
                format!(
                    "一覧表「{}」はこのライブラリにありません",
                    link.matrix.value
                ),
            ),
            Some((_, m)) if m.row(&link.row.value).is_none() => self.at(
                &link.row,
                format!(
                    "一覧表「{}」に行「{}」がありません",
                    link.matrix.value, link.row.value
                ),
            ),
            Some(_) => {}
        }
    }
}
