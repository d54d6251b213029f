//! A sheet laid out like the paper form it stands for: a title, lines of text and bordered
//! tables, one line to a row, printed on A4 one page wide.
//!
//! A library writes the layout as text, one line per row (see [`Layout::parse`]): the
//! template that produces it sees the case, and every value it prints goes through
//! [`escape_cell`], so what people typed never adds a cell, a row or a title.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::{Limit, SheetError, Table, add_meta, add_tables, mark_of, print_mark, sheet_name};

/// Columns a layout without `columns:` has, each this wide (in characters).
const DEFAULT_COLUMNS: usize = 4;
const DEFAULT_WIDTH: f64 = 20.0;
/// Points per line of text in a row (Excel's default row is 15).
const LINE_HEIGHT: f64 = 15.0;

/// One row of a laid-out sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `# text`: the form's title, bold and larger, centred across the columns.
    Title(String),
    /// `> text`: set to the right across the columns (an addressee's side, a date).
    Right(String),
    /// Plain text across the columns, wrapped.
    Text(String),
    /// `|! a | b |`: a table's heading row, bordered, bold and shaded.
    Header(Vec<String>),
    /// `| a | b |`: a table row, bordered; its last cell spans the columns left.
    Row(Vec<String>),
    /// An empty line.
    Blank,
}

/// A sheet laid out like a paper form.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Column widths in characters (a full-width character counts as two).
    pub widths: Vec<f64>,
    pub lines: Vec<Line>,
}

/// Escapes a value for a layout's text: a backslash, a `|` and a line break are written
/// `\\`, `\|` and `\n`, and read back as themselves inside their cell.
pub fn escape_cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape_cell`] in one piece of a line.
fn unescape(piece: &str) -> String {
    let mut out = String::with_capacity(piece.len());
    let mut chars = piece.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a table line's inside at the `|` that are not escaped.
fn cells(inside: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = inside.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push('\\');
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '|' => out.push(unescape(current.trim())),
            c => current.push(c),
        }
        if c == '|' {
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(unescape(current.trim()));
    }
    out
}

impl Layout {
    /// Reads a layout: an optional first line `columns: 24 16 16 12` (the widths), then one
    /// row per line — `# title`, `> right`, `|! heading | cells |`, `| table | cells |`, an
    /// empty line, or plain text.
    pub fn parse(text: &str) -> Layout {
        let mut widths = Vec::new();
        let mut lines = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            if n == 0
                && let Some(list) = line.trim_start().strip_prefix("columns:")
            {
                widths = list
                    .split_whitespace()
                    .filter_map(|w| w.parse::<f64>().ok())
                    .map(|w| w.clamp(2.0, 80.0))
                    .collect();
                continue;
            }
            let trimmed = line.trim_start();
            lines.push(if trimmed.is_empty() {
                Line::Blank
            } else if let Some(rest) = trimmed.strip_prefix("|!") {
                Line::Header(cells(rest))
            } else if let Some(rest) = trimmed.strip_prefix('|') {
                Line::Row(cells(rest))
            } else if let Some(rest) = trimmed.strip_prefix('#') {
                Line::Title(unescape(rest.trim()))
            } else if let Some(rest) = trimmed.strip_prefix('>') {
                Line::Right(unescape(rest.trim()))
            } else {
                Line::Text(unescape(trimmed))
            });
        }
        // Trailing empty lines print nothing.
        while lines.last() == Some(&Line::Blank) {
            lines.pop();
        }
        if widths.is_empty() {
            widths = vec![DEFAULT_WIDTH; DEFAULT_COLUMNS];
        }
        Layout { widths, lines }
    }
}

/// How wide a text is in Excel's characters: a full-width character counts as two.
fn display_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if (c as u32) < 0x2E80 { 1.0 } else { 2.0 })
        .sum()
}

/// How many printed lines a text takes in a cell `width` characters wide.
fn lines_in(text: &str, width: f64) -> f64 {
    text.split('\n')
        .map(|l| (display_width(l) / width.max(1.0)).ceil().max(1.0))
        .sum()
}

/// Writes `text` across columns `first..=last` of row `r` (merged when they are several).
fn span(
    sheet: &mut Worksheet,
    r: u32,
    first: u16,
    last: u16,
    text: &str,
    format: &Format,
) -> Result<(), SheetError> {
    if first == last {
        sheet.write_string_with_format(r, first, text, format)?;
    } else {
        sheet.merge_range(r, first, r, last, text, format)?;
    }
    Ok(())
}

/// Writes the laid-out sheet named `sheet`, then each of `more` as a table of its own, and
/// `meta` in the hidden `_meta` sheet. A `MARK` in `meta` prints on every page.
pub fn write_layout(
    sheet: &str,
    layout: &Layout,
    meta: &[(String, String)],
    more: &[Table],
) -> Result<Vec<u8>, SheetError> {
    let mut book = Workbook::new();
    let mark = mark_of(meta);
    let ws = book.add_worksheet();
    ws.set_name(sheet_name(sheet))?;
    print_mark(ws, mark.as_deref());
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.6, 0.6, 0.7, 0.7, 0.3, 0.3);
    let columns = layout.widths.len().max(1);
    let last = u16::try_from(columns - 1).map_err(|_| SheetError::TooLarge(Limit::Columns))?;
    for (c, w) in layout.widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let total: f64 = layout.widths.iter().sum();

    let text = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_num_format("@");
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let right = text.clone().set_align(FormatAlign::Right);
    let cell = text.clone().set_border(FormatBorder::Thin);
    let heading = cell
        .clone()
        .set_bold()
        .set_background_color("#EEEEEE")
        .set_align(FormatAlign::Center);

    for (r, line) in layout.lines.iter().enumerate() {
        let r = u32::try_from(r).map_err(|_| SheetError::TooLarge(Limit::Rows))?;
        let height = match line {
            Line::Blank => continue,
            Line::Title(t) => {
                span(ws, r, 0, last, t, &title)?;
                24.0
            }
            Line::Right(t) => {
                span(ws, r, 0, last, t, &right)?;
                LINE_HEIGHT * lines_in(t, total)
            }
            Line::Text(t) => {
                span(ws, r, 0, last, t, &text)?;
                LINE_HEIGHT * lines_in(t, total)
            }
            Line::Header(cells) | Line::Row(cells) => {
                let format = if matches!(line, Line::Header(_)) {
                    &heading
                } else {
                    &cell
                };
                let mut tallest: f64 = 1.0;
                let n = cells.len().clamp(1, columns);
                for c in 0..n {
                    // The last cell given spans the columns the line leaves.
                    let to = if c + 1 == n { columns - 1 } else { c };
                    let value = if c + 1 == n {
                        cells[c..].join(" ")
                    } else {
                        cells.get(c).cloned().unwrap_or_default()
                    };
                    let width: f64 = layout.widths[c..=to].iter().sum();
                    tallest = tallest.max(lines_in(&value, width));
                    span(ws, r, c as u16, to as u16, &value, format)?;
                }
                LINE_HEIGHT * tallest + 4.0
            }
        };
        ws.set_row_height(r, height.max(LINE_HEIGHT))?;
    }
    add_tables(&mut book, more, mark.as_deref())?;
    add_meta(&mut book, meta, None)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_reads_its_titles_tables_and_text_line_by_line() {
        let layout = Layout::parse(
            "columns: 30 18 18 14\n> 付紙様式第1\n# 指定について（通知）\n\n標記について通知する。\n|! 運用管理者等 | 部署名 | 役職名 | 備考 |\n| システム担当者 | 〇〇課 | 〇〇係長 | |\n\n",
        );
        assert_eq!(layout.widths, [30.0, 18.0, 18.0, 14.0]);
        assert_eq!(
            layout.lines,
            [
                Line::Right("付紙様式第1".into()),
                Line::Title("指定について（通知）".into()),
                Line::Blank,
                Line::Text("標記について通知する。".into()),
                Line::Header(vec![
                    "運用管理者等".into(),
                    "部署名".into(),
                    "役職名".into(),
                    "備考".into()
                ]),
                Line::Row(vec![
                    "システム担当者".into(),
                    "〇〇課".into(),
                    "〇〇係長".into(),
                    "".into()
                ]),
            ]
        );
    }

    #[test]
    fn what_people_typed_stays_in_its_cell() {
        let typed = "A|B\\C\n# not a title";
        let line = format!("| {} | 次 |", escape_cell(typed));
        assert_eq!(
            Layout::parse(&line).lines,
            [Line::Row(vec![typed.into(), "次".into()])]
        );
        let text = format!("> {}", escape_cell("右\n| 表ではない"));
        assert_eq!(
            Layout::parse(&text).lines,
            [Line::Right("右\n| 表ではない".into())]
        );
    }

    #[test]
    fn a_laid_out_workbook_opens_with_its_cells_and_its_history() {
        let layout = Layout::parse(
            "columns: 20 20\n# 申請書\n|! 項目 | 内容 |\n| 変更種別 | ソフトウェア |",
        );
        let history = Table {
            sheet: "経過".into(),
            meta: vec![],
            columns: vec![crate::Column {
                id: "at".into(),
                label: "日時".into(),
                width: 18.0,
            }],
            rows: vec![vec!["2026-06-01".into()]],
        };
        let bytes = write_layout(
            "付紙様式第3",
            &layout,
            &[(crate::MARK.into(), "注意".into())],
            &[history],
        )
        .unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        use calamine::Reader;
        assert_eq!(book.sheet_names(), ["付紙様式第3", "経過", "_meta"]);
        let sheet = book.worksheet_range("付紙様式第3").unwrap();
        let text = |r: u32, c: u32| sheet.get_value((r, c)).map(|v| v.to_string());
        assert_eq!(text(0, 0).as_deref(), Some("申請書"));
        assert_eq!(text(2, 1).as_deref(), Some("ソフトウェア"));
    }
}
