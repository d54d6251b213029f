//! Registers as Excel workbooks.
//!
//! [`write`] lays a table out for people: a bold, frozen header of column labels, a filter,
//! and widths that fit Japanese text. A hidden `_meta` sheet carries what the table is (its
//! register and column ids), so that [`read`] can tell a workbook exported by mamori from
//! one made by hand, and match columns by id even when the labels were reworded.
//!
//! [`read`] treats the upload as untrusted: it refuses archives whose unpacked size or
//! number of parts is out of proportion, and tables beyond [`Limits`], before any cell is
//! looked at. Cells come back as text exactly as a person would type them into the form
//! (dates as `YYYY-MM-DD`), so that the same form rules check both.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// The sheet that carries the table's identity.
const META: &str = "_meta";

/// The `meta` key of a classification or handling mark (機密性2, 注意 …): when the first
/// table has one, every sheet prints it at the top right of each page and in the footer,
/// where a marked paper document carries it.
pub const MARK: &str = "mark";

/// A column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Stable id (kept in `_meta`).
    pub id: String,
    /// Header label.
    pub label: String,
    /// Width in characters (a full-width character counts as two).
    pub width: f64,
}

/// A table to write.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name (at most 31 characters; Excel forbids `[]:*?/\`).
    pub sheet: String,
    /// What the table is, as (key, value) pairs kept in `_meta`.
    pub meta: Vec<(String, String)>,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows of text cells, as many as there are columns.
    pub rows: Vec<Vec<String>>,
}

/// Why a workbook could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// Not an .xlsx workbook (or a damaged one).
    #[error("not an Excel workbook: {0}")]
    NotAWorkbook(String),
    /// Larger than [`Limits`] allow.
    #[error("the workbook is too large: {0}")]
    TooLarge(&'static str),
    /// The table has no header row.
    #[error("the first sheet has no header row")]
    Empty,
    /// Writing failed.
    #[error("cannot write the workbook: {0}")]
    Write(#[from] XlsxError),
}

/// Bounds on what [`read`] accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Data rows (the header excluded).
    pub rows: usize,
    /// Columns.
    pub columns: usize,
    /// Characters in one cell.
    pub cell_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rows: 5_000,
            columns: 100,
            cell_chars: 10_000,
        }
    }
}

/// Writes `table` as an .xlsx workbook.
pub fn write(table: &Table) -> Result<Vec<u8>, SheetError> {
    write_book(std::slice::from_ref(table))
}

/// Writes several tables, a sheet each, into one workbook; the first table's `meta` and
/// columns describe the workbook in `_meta` (what [`read`] reads back).
pub fn write_book(tables: &[Table]) -> Result<Vec<u8>, SheetError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE6F0")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        // "@": cells stay text when people edit them, so a service named "1-2" is not
        // turned into a date by Excel.
        .set_num_format("@");
    let mark = tables
        .first()
        .and_then(|t| t.meta.iter().find(|(k, _)| k == MARK))
        .map(|(_, label)| label.replace('&', "&&"));
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.sheet))?;
        if let Some(mark) = &mark {
            sheet.set_header(format!("&R&\"-,Bold\"{mark}"));
            sheet.set_footer(format!("&C&\"-,Bold\"{mark}&\"-,Regular\"  &P / &N"));
        }
        let last_col = u16::try_from(table.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
        for (c, column) in table.columns.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| SheetError::TooLarge("columns"))?;
            // Text is always written as text: a value starting with "=" is never a formula.
            sheet.write_string_with_format(0, c, &column.label, &header)?;
            sheet.set_column_width(c, column.width.clamp(6.0, 80.0))?;
            sheet.set_column_format(c, &cell)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| SheetError::TooLarge("rows"))?;
            for (c, value) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| SheetError::TooLarge("columns"))?;
                if !value.is_empty() {
                    sheet.write_string_with_format(r, c, value, &cell)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
        sheet.autofilter(0, 0, last_row, last_col)?;
    }

    let Some(first) = tables.first() else {
        return Err(SheetError::Empty);
    };
    let meta = book.add_worksheet();
    meta.set_name(META)?;
    meta.set_hidden(true);
    let pairs = first
        .meta
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain(std::iter::once((
            "columns",
            first
                .columns
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )));
    for (r, (key, value)) in pairs.enumerate() {
        let r = u32::try_from(r).unwrap_or(u32::MAX);
        meta.write_string(r, 0, key)?;
        meta.write_string(r, 1, &value)?;
    }
    Ok(book.save_to_buffer()?)
}

/// Excel's rules for sheet names.
fn sheet_name(wanted: &str) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if clean.trim().is_empty() {
        "Sheet1".into()
    } else {
        clean
    }
}

/// A table read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTable {
    /// The `_meta` pairs, if the workbook has them (it was exported by mamori).
    pub meta: Vec<(String, String)>,
    /// The header row.
    pub header: Vec<String>,
    /// Data rows with their row number as Excel shows it (the header is row 1); rows with
    /// every cell empty are left out.
    pub rows: Vec<(u32, Vec<String>)>,
}

impl ReadTable {
    /// A `_meta` value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The unpacked size a workbook of [`Limits::default`] can reasonably reach.
const MAX_UNPACKED: u64 = 200 * 1024 * 1024;
/// Parts in the archive.
const MAX_PARTS: usize = 1_000;

/// Reads the first sheet of an .xlsx workbook.
pub fn read(bytes: &[u8], limits: Limits) -> Result<ReadTable, SheetError> {
    check_archive(bytes)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string()))?;
    let names = book.sheet_names();
    let Some(first) = names.iter().find(|n| n.as_str() != META).cloned() else {
        return Err(SheetError::Empty);
    };
    let meta = if names.iter().any(|n| n == META) {
        let range = book
            .worksheet_range(META)
            .map_err(|e| SheetError::NotAWorkbook(e.to_string()))?;
        range
            .rows()
            .take(100)
            .filter_map(|r| {
                let key = r.first().map(text)?;
                let value = r.get(1).map(text).unwrap_or_default();
                (!key.is_empty()).then_some((key, value))
            })
            .collect()
    } else {
        vec![]
    };
    let range = book
        .worksheet_range(&first)
        .map_err(|e| SheetError::NotAWorkbook(e.to_string()))?;
    let (height, width) = range.get_size();
    if height > limits.rows + 1 {
        return Err(SheetError::TooLarge("rows"));
    }
    if width > limits.columns {
        return Err(SheetError::TooLarge("columns"));
    }
    // Rows are numbered as Excel shows them, wherever the used range starts.
    let first_row = range.start().map_or(0, |(r, _)| r) + 1;
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let line = first_row + u32::try_from(i).unwrap_or(u32::MAX);
        (line, cells.iter().map(text).collect::<Vec<_>>())
    });
    let (_, header) = rows.next().ok_or(SheetError::Empty)?;
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_owned()).collect();
    if header.iter().all(String::is_empty) {
        return Err(SheetError::Empty);
    }
    let mut data = Vec::new();
    for (line, cells) in rows {
        if cells.iter().any(|c| c.chars().count() > limits.cell_chars) {
            return Err(SheetError::TooLarge("cell"));
        }
        if cells.iter().any(|c| !c.trim().is_empty()) {
            data.push((line, cells));
        }
    }
    Ok(ReadTable {
        meta,
        header,
        rows: data,
    })
}

/// Refuses an archive that would unpack out of proportion (a "zip bomb").
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    // The central directory is at the end of a ZIP file; its entries give each part's
    // unpacked size. Reading it needs no decompression.
    let not = |m: &str| SheetError::NotAWorkbook(m.to_owned());
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| not("no ZIP directory"))?;
    let field = |at: usize, len: usize| -> Result<u64, SheetError> {
        let b = bytes.get(at..at + len).ok_or_else(|| not("truncated"))?;
        Ok(b.iter().rev().fold(0u64, |acc, x| acc << 8 | u64::from(*x)))
    };
    let parts = usize::try_from(field(eocd + 10, 2)?).unwrap_or(usize::MAX);
    if parts > MAX_PARTS {
        return Err(SheetError::TooLarge("parts"));
    }
    let mut at = usize::try_from(field(eocd + 16, 4)?).map_err(|_| not("offset"))?;
    let mut unpacked = 0u64;
    for _ in 0..parts {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            return Err(not("damaged ZIP directory"));
        }
        unpacked = unpacked.saturating_add(field(at + 24, 4)?);
        let name = usize::try_from(field(at + 28, 2)?).unwrap_or(0);
        let extra = usize::try_from(field(at + 30, 2)?).unwrap_or(0);
        let comment = usize::try_from(field(at + 32, 2)?).unwrap_or(0);
        at += 46 + name + extra + comment;
    }
    if unpacked > MAX_UNPACKED {
        return Err(SheetError::TooLarge("unpacked"));
    }
    Ok(())
}

/// A cell as the text a person would type into the form.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(true) => "yes".into(),
        Data::Bool(false) => "no".into(),
        Data::DateTime(d) => excel_day(d.as_f64()).unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.get(..10).unwrap_or(s).to_owned(),
    }
}

/// An Excel serial day (1900 system) as `YYYY-MM-DD`. Day 60 is the 29 February 1900
/// Excel believes in, so serials from 61 on count from 30 December 1899.
fn excel_day(serial: f64) -> Option<String> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let epoch = jiff::civil::date(1899, 12, 30);
    let day = epoch.checked_add(jiff::Span::new().days(days)).ok()?;
    Some(day.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            sheet: "外部サービス台帳".into(),
            meta: vec![
                (
                    "register".into(),
                    "mod-external-service/external_services".into(),
                ),
                ("version".into(), "2023.2".into()),
            ],
            columns: vec![
                Column {
                    id: "service_name".into(),
                    label: "外部サービスの名称".into(),
                    width: 24.0,
                },
                Column {
                    id: "nisc_advice_on".into(),
                    label: "NISC助言日".into(),
                    width: 12.0,
                },
            ],
            rows: vec![
                vec!["ChatGPT".into(), "2026-11-20".into()],
                vec!["=HYPERLINK(\"x\")".into(), String::new()],
            ],
        }
    }

    #[test]
    fn a_written_table_reads_back_the_same() {
        let bytes = write(&table()).unwrap();
        let back = read(&bytes, Limits::default()).unwrap();
        assert_eq!(
            back.meta("register"),
            Some("mod-external-service/external_services")
        );
        assert_eq!(back.meta("columns"), Some("service_name,nisc_advice_on"));
        assert_eq!(back.header, ["外部サービスの名称", "NISC助言日"]);
        assert_eq!(
            back.rows,
            [
                (2, vec!["ChatGPT".to_owned(), "2026-11-20".to_owned()]),
                // A value that looks like a formula stays text.
                (3, vec!["=HYPERLINK(\"x\")".to_owned(), String::new()]),
            ]
        );
    }

    #[test]
    fn a_mark_is_printed_on_every_sheet() {
        let mut marked = table();
        marked.meta.push((MARK.into(), "注意 & 部内限り".into()));
        let history = Table {
            sheet: "経過".into(),
            meta: vec![],
            ..table()
        };
        let bytes = write_book(&[marked, history]).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        for part in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(part).unwrap(), &mut xml).unwrap();
            // `&` is doubled for Excel's header codes, then escaped for XML.
            assert!(
                xml.contains(
                    "<oddHeader>&amp;R&amp;\"-,Bold\"注意 &amp;&amp; 部内限り</oddHeader>"
                ),
                "{part}: {xml}"
            );
            assert!(xml.contains("<oddFooter>"), "{part}");
        }
        let plain = write(&table()).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(plain)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(!xml.contains("oddHeader"));
    }

    #[test]
    fn cells_typed_in_excel_read_as_form_text() {
        assert_eq!(text(&Data::Float(3.0)), "3");
        assert_eq!(text(&Data::Float(2.5)), "2.5");
        assert_eq!(text(&Data::Bool(true)), "yes");
        assert_eq!(text(&Data::String("  Zoom ".into())), "Zoom");
        // 46346 is 2026-11-20 in Excel's 1900 date system.
        assert_eq!(excel_day(46346.0).as_deref(), Some("2026-11-20"));
        assert_eq!(excel_day(46346.75).as_deref(), Some("2026-11-20"));
        assert_eq!(excel_day(1.0), None);
    }

    #[test]
    fn refuses_what_is_not_a_reasonable_workbook() {
        assert!(matches!(
            read(b"name,date\nZoom,2026-11-20\n", Limits::default()),
            Err(SheetError::NotAWorkbook(_))
        ));
        let bytes = write(&table()).unwrap();
        let small = Limits {
            rows: 1,
            ..Limits::default()
        };
        assert!(matches!(
            read(&bytes, small),
            Err(SheetError::TooLarge("rows"))
        ));
        // A directory that claims more unpacked bytes than any register needs.
        let mut bomb = bytes.clone();
        let eocd = bomb.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        let cd = u32::from_le_bytes(bomb[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        bomb[cd + 24..cd + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read(&bomb, Limits::default()),
            Err(SheetError::TooLarge("unpacked"))
        ));
    }
}
