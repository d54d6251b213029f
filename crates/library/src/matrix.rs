//! Matrices (一覧表): for each item of an original (`5.1(1)③(イ)`), which role holds which
//! mark — authority, mention, permission, approval — as the original's own table gives it.
//!
//! A matrix is read, not run: the procedures route by their own parties. It says what the
//! original assigns, how sure the reading of it is, and (with an organisation's
//! corrections, kept by the server) how the organisation has assigned it instead.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::Text;
use crate::model::Party;

/// `matrices/<id>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    /// Snake-case id, unique in the library.
    pub id: Spanned<String>,
    /// Its title (権限・責任等一覧表, …).
    pub title: Text,
    /// What it is for.
    #[serde(default)]
    pub description: Option<Text>,
    /// The original it is taken from.
    #[serde(default)]
    pub source: Option<String>,
    /// Who may correct a row for their organisation (and the organisations below it).
    #[serde(default)]
    pub corrected_by: Vec<Party>,
    /// The columns, left to right as in the original; most stand for a role of the library.
    pub columns: Vec<Column>,
    /// The marks a cell may hold, with what each means.
    pub marks: Vec<Mark>,
    /// The rows, in the original's order.
    pub rows: Vec<Row>,
}

/// A column: a role of the library, or a heading the original has without one (関係規定).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Snake-case id, unique in the matrix.
    pub id: Spanned<String>,
    /// The role it stands for.
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    /// Its heading in the original.
    pub label: Text,
}

/// A mark (○, 許 …) and what it means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    /// The mark as the original prints it.
    pub id: Spanned<String>,
    /// What it means.
    pub label: Text,
}

/// How sure the reading of a row's columns is.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The row has no marks to place.
    None,
    /// A guess: the clause does not name enough of the actors.
    Low,
    /// Chosen by a reasoned rule (the clause's subject, who it says permits).
    Medium,
    /// Forced: the clause names exactly the actors the marks count.
    High,
}

impl Confidence {
    /// As the API and the pages name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::None => "none",
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// One item of the original.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The original's numbering, unique in the matrix, kept as printed (`5.1(1)③(イ)`).
    pub id: Spanned<String>,
    /// The part of the original it belongs to.
    #[serde(default)]
    pub category: Option<Text>,
    /// The item's title.
    pub title: Text,
    /// The marks as the original's text gives them, left to right, space-separated: where
    /// the text lost the empty cells, which column holds each mark is `cells`' reading.
    #[serde(default)]
    pub marks: String,
    /// Column → mark.
    #[serde(default)]
    pub cells: BTreeMap<String, String>,
    /// How sure `cells` is.
    pub confidence: Confidence,
    /// Why the cells were read so.
    #[serde(default)]
    pub basis: Option<String>,
}

impl Matrix {
    /// The row with this id.
    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id.value == id)
    }

    /// The position of a column, left to right.
    pub fn column_index(&self, id: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.id.value == id)
    }

    /// The column standing for a role.
    pub fn column_of_role(&self, role: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.role.as_ref().is_some_and(|r| r.value == role))
    }

    /// Whether `mark` is one of the matrix's marks.
    pub fn has_mark(&self, mark: &str) -> bool {
        self.marks.iter().any(|m| m.id.value == mark)
    }

    /// The marks of `cells` read left to right across the columns, as the original's
    /// text would give them.
    pub fn sequence(&self, cells: &BTreeMap<String, String>) -> Vec<String> {
        let mut placed: Vec<(usize, &str)> = cells
            .iter()
            .filter_map(|(c, m)| Some((self.column_index(c)?, m.as_str())))
            .collect();
        placed.sort_by_key(|(i, _)| *i);
        placed.into_iter().map(|(_, m)| m.to_owned()).collect()
    }

    /// What is wrong with cells given for a row, each as (column, message): a column the
    /// matrix lacks, a mark it does not know.
    pub fn cell_problems(&self, cells: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (column, mark) in cells {
            if self.column_index(column).is_none() {
                out.push((
                    column.clone(),
                    format!("列「{column}」はこの一覧表にありません"),
                ));
            } else if !self.has_mark(mark) {
                let known: Vec<&str> = self.marks.iter().map(|m| m.id.value.as_str()).collect();
                out.push((
                    column.clone(),
                    format!(
                        "記号「{mark}」は使えません（{}のいずれか）",
                        known.join("・")
                    ),
                ));
            }
        }
        out
    }
}

impl Row {
    /// The raw marks, one by one.
    pub fn raw_marks(&self) -> Vec<&str> {
        self.marks.split_whitespace().collect()
    }

    /// Whether its id is, or lies under, `clause` (`5.1` holds `5.1(1)③`; `1(1)` does
    /// not hold `1(10)`).
    pub fn under(&self, clause: &str) -> bool {
        let id = self.id.value.as_str();
        let Some(rest) = id.strip_prefix(clause) else {
            return false;
        };
        // What follows must start a lower level, not continue a number.
        rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit() || c == ')')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> Matrix {
        serde_saphyr::from_str(
            r#"
id: m
title: { ja: 一覧 }
columns:
  - { id: a, role: r_a, label: { ja: A } }
  - { id: b, label: { ja: B } }
  - { id: c, role: r_c, label: { ja: C } }
marks:
  - { id: "○", label: { ja: 有 } }
  - { id: "許", label: { ja: 許可 } }
rows:
  - { id: "5.1(1)③(イ)", title: { ja: 持出し }, marks: "許 ○", cells: { c: "○", a: "許" }, confidence: high }
  - { id: "1(10)", title: { ja: 十 }, confidence: none }
"#,
        )
        .expect("parses")
    }

    #[test]
    fn cells_read_left_to_right_across_the_columns() {
        let m = matrix();
        let row = m.row("5.1(1)③(イ)").expect("row");
        assert_eq!(m.sequence(&row.cells), row.raw_marks());
        let swapped = BTreeMap::from([("a".to_owned(), "○".to_owned()), ("c".into(), "許".into())]);
        assert_ne!(m.sequence(&swapped), row.raw_marks());
    }

    #[test]
    fn a_clause_holds_the_items_under_it_and_not_its_neighbours() {
        let m = matrix();
        let row = m.row("5.1(1)③(イ)").expect("row");
        assert!(row.under("5.1") && row.under("5.1(1)") && row.under("5.1(1)③(イ)"));
        assert!(!row.under("5.1(1)④") && !row.under("5.11"));
        let ten = m.row("1(10)").expect("row");
        assert!(!ten.under("1(1)") && ten.under("1"));
    }

    #[test]
    fn unknown_columns_and_marks_are_named() {
        let m = matrix();
        let cells = BTreeMap::from([
            ("a".to_owned(), "承".to_owned()),
            ("z".to_owned(), "○".to_owned()),
            ("b".to_owned(), "○".to_owned()),
        ]);
        let found = m.cell_problems(&cells);
        let columns: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(columns, ["a", "z"]);
        assert!(found[0].1.contains("承"));
    }
}
