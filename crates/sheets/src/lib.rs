//! Registers as Excel workbooks, and documents laid out like their paper forms.
//!
//! [`write_layout`] lays a case's document out as its paper form is (a title, text, bordered
//! tables; see [`Layout`]), for an office that files or prints the form from Excel.
//!
//! [`write`] lays a table out for people: a bold, frozen header of column labels, a filter,
//! and widths that fit Japanese text. A hidden `_meta` sheet carries what the table is (its
//! register and column ids), so that [`read`] can tell a workbook exported by mamori from
//! one made by hand, and match columns by id even when the labels were reworded.
//!
//! [`read`] treats the upload as untrusted: it refuses archives whose unpacked size,
//! packing, number of parts or strings are out of proportion before calamine opens them,
//! then reads the cells one at a time and stops at the first that takes the table beyond
//! [`Limits`], so that nothing large is built for a hostile file. Cells come back as text
//! exactly as a person would type them into the form (dates as `YYYY-MM-DD`), so that the
//! same form rules check both.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

mod layout;

pub use layout::{Layout, Line, escape_cell, write_layout};

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
    /// Larger than [`Limits`] (or the bounds on the archive) allow; says which.
    #[error("the workbook is too large: {0}")]
    TooLarge(Limit),
    /// The table has no header row.
    #[error("the first sheet has no header row")]
    Empty,
    /// Writing failed.
    #[error("cannot write the workbook: {0}")]
    Write(#[from] XlsxError),
}

/// The bound a workbook went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// More data rows than [`Limits::rows`] (cells far apart count the rows between).
    Rows,
    /// More columns than [`Limits::columns`].
    Columns,
    /// More cells than the rows and columns allow (a cell given again and again).
    Cells,
    /// A cell longer than [`Limits::cell_chars`].
    CellChars,
    /// More text in all than [`Limits::text_bytes`].
    Text,
    /// One string (or tag) of the archive's XML longer than any cell can be.
    String,
    /// More shared strings than any register needs.
    Strings,
    /// Too many parts in the archive.
    Parts,
    /// More unpacked content than any register needs.
    Unpacked,
    /// A part packed out of all proportion.
    Compression,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Limit::Rows => "rows",
            Limit::Columns => "columns",
            Limit::Cells => "cells",
            Limit::CellChars => "characters in a cell",
            Limit::Text => "text in all",
            Limit::String => "length of a string",
            Limit::Strings => "shared strings",
            Limit::Parts => "parts",
            Limit::Unpacked => "unpacked size",
            Limit::Compression => "compression ratio",
        };
        f.write_str(name)
    }
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
    /// Bytes of text in all the cells read: a string kept once in the workbook can be
    /// named by every cell, and each cell read is a copy.
    pub text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rows: 5_000,
            columns: 100,
            cell_chars: 10_000,
            text_bytes: 32 * 1024 * 1024,
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
    let Some(first) = tables.first() else {
        return Err(SheetError::Empty);
    };
    let mut book = Workbook::new();
    let mark = mark_of(&first.meta);
    add_tables(&mut book, tables, mark.as_deref())?;
    let columns = first
        .columns
        .iter()
        .map(|c| c.id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    add_meta(&mut book, &first.meta, Some(columns))?;
    Ok(book.save_to_buffer()?)
}

/// The mark a workbook prints (`&` doubled, as Excel's header codes want), if its meta
/// has one.
fn mark_of(meta: &[(String, String)]) -> Option<String> {
    meta.iter()
        .find(|(k, _)| k == MARK)
        .map(|(_, label)| label.replace('&', "&&"))
}

/// Prints the mark at the top right of every page and in the footer, beside the page
/// number, where a marked paper document carries it.
fn print_mark(sheet: &mut rust_xlsxwriter::Worksheet, mark: Option<&str>) {
    if let Some(mark) = mark {
        sheet.set_header(format!("&R&\"-,Bold\"{mark}"));
        sheet.set_footer(format!("&C&\"-,Bold\"{mark}&\"-,Regular\"  &P / &N"));
    }
}

/// Adds each table as a sheet: a bold, frozen header, a filter, text cells.
fn add_tables(book: &mut Workbook, tables: &[Table], mark: Option<&str>) -> Result<(), SheetError> {
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
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.sheet))?;
        print_mark(sheet, mark);
        let last_col = u16::try_from(table.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
        for (c, column) in table.columns.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| SheetError::TooLarge(Limit::Columns))?;
            // Text is always written as text: a value starting with "=" is never a formula.
            sheet.write_string_with_format(0, c, &column.label, &header)?;
            sheet.set_column_width(c, column.width.clamp(6.0, 80.0))?;
            sheet.set_column_format(c, &cell)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| SheetError::TooLarge(Limit::Rows))?;
            for (c, value) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| SheetError::TooLarge(Limit::Columns))?;
                if !value.is_empty() {
                    sheet.write_string_with_format(r, c, value, &cell)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
        sheet.autofilter(0, 0, last_row, last_col)?;
    }
    Ok(())
}

/// Adds the hidden `_meta` sheet: what the workbook is, and its columns' ids if it is a
/// table to read back.
fn add_meta(
    book: &mut Workbook,
    meta: &[(String, String)],
    columns: Option<String>,
) -> Result<(), SheetError> {
    let sheet = book.add_worksheet();
    sheet.set_name(META)?;
    sheet.set_hidden(true);
    let pairs = meta
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain(columns.map(|c| ("columns", c)));
    for (r, (key, value)) in pairs.enumerate() {
        let r = u32::try_from(r).unwrap_or(u32::MAX);
        sheet.write_string(r, 0, key)?;
        sheet.write_string(r, 1, &value)?;
    }
    Ok(())
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

/// What a register import may unpack to, in all: 50 MB. A register at the row and column
/// limits, written by Excel with a cell of text in each place, unpacks to about 30 MB
/// (its sheet's XML and its shared strings); more is not a register but an attempt to
/// make the server hold the file's content several times over in memory.
const MAX_UNPACKED: u64 = 50 * 1024 * 1024;
/// Parts in the archive.
const MAX_PARTS: usize = 1_000;
/// How much smaller than its content a part may be packed. Excel's XML packs 5 to 20
/// times; a part that packs a thousand times (DEFLATE's most) is one string repeated,
/// which is how a small upload is made to unpack to gigabytes. Parts under
/// [`RATIO_FROM`] are not judged: tiny parts of repeated markup pack well too.
const MAX_RATIO: u64 = 200;
/// The unpacked size from which [`MAX_RATIO`] applies.
const RATIO_FROM: u64 = 1024 * 1024;
/// Strings in the shared-strings table. calamine reserves room for as many as the table
/// declares (`uniqueCount`) and keeps each it finds; a table cannot need more than the
/// cells of a register at the limits (5,001 × 100), and twice that leaves room for other
/// sheets of the workbook.
const MAX_STRINGS: u64 = 1_000_000;
/// The bytes of XML text in one string or one cell (and in one tag). A cell holds at
/// most [`Limits::cell_chars`] characters; written as XML, with entities and phonetic
/// readings, that stays well below this. Checked before calamine builds any string, so
/// that one 190 MB string in a 190 kB upload is refused rather than held.
const MAX_STRING_BYTES: u64 = 1024 * 1024;
/// Cells of the `_meta` sheet kept: its key and value columns, 100 rows.
const META_ROWS: u32 = 100;

/// Reads the first sheet of an .xlsx workbook.
///
/// The workbook is checked before calamine opens it ([`check_archive`]), and its cells are
/// read one at a time, each checked against `limits` as it comes, so that a sheet whose
/// cells lie far apart (`A1` and `XFD1048576`) is refused at the second cell instead of
/// being laid out as a grid of seventeen billion cells.
pub fn read(bytes: &[u8], limits: Limits) -> Result<ReadTable, SheetError> {
    check_archive(bytes)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string()))?;
    let names = book.sheet_names();
    let Some(first) = names.iter().find(|n| n.as_str() != META).cloned() else {
        return Err(SheetError::Empty);
    };
    let meta = if names.iter().any(|n| n == META) {
        read_meta(&mut book, limits)?
    } else {
        vec![]
    };
    let cells = read_cells(&mut book, &first, limits)?;
    let Some(area) = cells.area else {
        return Err(SheetError::Empty);
    };
    let width = usize::try_from(area.last_col - area.first_col + 1).unwrap_or(usize::MAX);
    // Rows are numbered as Excel shows them, wherever the used range starts.
    let mut grid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (row, col, value) in cells.found {
        let line = grid
            .entry(row)
            .or_insert_with(|| vec![String::new(); width]);
        if let Some(slot) = usize::try_from(col - area.first_col)
            .ok()
            .and_then(|c| line.get_mut(c))
        {
            *slot = value;
        }
    }
    let header: Vec<String> = grid
        .remove(&area.first_row)
        .unwrap_or_else(|| vec![String::new(); width]);
    if header.iter().all(String::is_empty) {
        return Err(SheetError::Empty);
    }
    let rows = grid
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(row, cells)| (row.saturating_add(1), cells))
        .collect();
    Ok(ReadTable { meta, header, rows })
}

/// The rectangle the non-empty cells of a sheet span (0-based, inclusive).
#[derive(Debug, Clone, Copy)]
struct Area {
    first_row: u32,
    last_row: u32,
    first_col: u32,
    last_col: u32,
}

impl Area {
    fn add(area: Option<Area>, (row, col): (u32, u32)) -> Area {
        match area {
            None => Area {
                first_row: row,
                last_row: row,
                first_col: col,
                last_col: col,
            },
            Some(a) => Area {
                first_row: a.first_row.min(row),
                last_row: a.last_row.max(row),
                first_col: a.first_col.min(col),
                last_col: a.last_col.max(col),
            },
        }
    }
}

/// The non-empty cells of a sheet, as (row, column, text).
struct Cells {
    found: Vec<(u32, u32, String)>,
    area: Option<Area>,
}

/// Reads a sheet cell by cell, refusing it at the first cell that takes it past `limits`.
fn read_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    sheet: &str,
    limits: Limits,
) -> Result<Cells, SheetError> {
    let damaged = |e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string());
    let mut reader = book.worksheet_cells_reader(sheet).map_err(damaged)?;
    // The header row, then `limits.rows` rows of data, `limits.columns` wide; a cell given
    // twice is counted twice, so a sheet cannot grow the list by repeating one cell.
    let max_cells = limits.rows.saturating_add(1).saturating_mul(limits.columns);
    let mut cells = Cells {
        found: Vec::new(),
        area: None,
    };
    let mut text_bytes = 0usize;
    while let Some(cell) = reader.next_cell().map_err(damaged)? {
        let value = cell.get_value();
        // Excel writes a cell that only carries a format without a value: like calamine's
        // own ranges, such cells do not make the sheet larger.
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let area = Area::add(cells.area, cell.get_position());
        if usize::try_from(area.last_row - area.first_row).unwrap_or(usize::MAX) > limits.rows {
            return Err(SheetError::TooLarge(Limit::Rows));
        }
        if usize::try_from(area.last_col - area.first_col).unwrap_or(usize::MAX) >= limits.columns {
            return Err(SheetError::TooLarge(Limit::Columns));
        }
        if cells.found.len() >= max_cells {
            return Err(SheetError::TooLarge(Limit::Cells));
        }
        let text = cell_text(value);
        // Counted before the text is copied: a shared string is held once by calamine,
        // and copying it into every cell that names it is what must stay bounded.
        if text.chars().count() > limits.cell_chars {
            return Err(SheetError::TooLarge(Limit::CellChars));
        }
        text_bytes = text_bytes.saturating_add(text.len());
        if text_bytes > limits.text_bytes {
            return Err(SheetError::TooLarge(Limit::Text));
        }
        cells.area = Some(area);
        let (row, col) = cell.get_position();
        cells.found.push((row, col, text.into_owned()));
    }
    Ok(cells)
}

/// Reads the `_meta` pairs: the first two columns of its first [`META_ROWS`] rows.
fn read_meta<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    limits: Limits,
) -> Result<Vec<(String, String)>, SheetError> {
    let damaged = |e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string());
    let mut reader = book.worksheet_cells_reader(META).map_err(damaged)?;
    let mut pairs: BTreeMap<u32, (String, String)> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(damaged)? {
        let (row, col) = cell.get_position();
        if row >= META_ROWS || col > 1 {
            continue;
        }
        let text = cell_text(cell.get_value());
        if text.chars().count() > limits.cell_chars {
            return Err(SheetError::TooLarge(Limit::CellChars));
        }
        let pair = pairs.entry(row).or_default();
        if col == 0 {
            pair.0 = text.into_owned();
        } else {
            pair.1 = text.into_owned();
        }
    }
    Ok(pairs.into_values().filter(|(k, _)| !k.is_empty()).collect())
}

/// Refuses an archive that would unpack out of proportion (a "zip bomb"), before calamine
/// opens it: too many parts, more than [`MAX_UNPACKED`] in all, a part packed more than
/// [`MAX_RATIO`] times, a shared-strings table declaring more than [`MAX_STRINGS`], or a
/// string longer than [`MAX_STRING_BYTES`].
///
/// The sizes come from the ZIP directory, which costs no decompression; the `zip` crate
/// that calamine reads with stops any part at the size the directory declares, so a part
/// cannot unpack to more than it claims. The XML parts are then read through once, a
/// buffer at a time, to measure their strings without keeping them.
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let not = |m: &str| SheetError::NotAWorkbook(m.to_owned());
    // The directory's own count first: the `zip` crate keeps an entry for every part it
    // lists, so a directory of a million parts is refused before it is read.
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| not("no ZIP directory"))?;
    let parts = bytes
        .get(eocd + 10..eocd + 12)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .ok_or_else(|| not("truncated"))?;
    if parts > MAX_PARTS {
        return Err(SheetError::TooLarge(Limit::Parts));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not(&e.to_string()))?;
    if zip.len() > MAX_PARTS {
        return Err(SheetError::TooLarge(Limit::Parts));
    }
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| not(&e.to_string()))?;
        let size = part.size();
        unpacked = unpacked.saturating_add(size);
        if unpacked > MAX_UNPACKED {
            return Err(SheetError::TooLarge(Limit::Unpacked));
        }
        if size >= RATIO_FROM && size / part.compressed_size().max(1) > MAX_RATIO {
            return Err(SheetError::TooLarge(Limit::Compression));
        }
    }
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| not(&e.to_string()))?;
        let scan = XmlScan::of(&mut part).map_err(|e| not(&e.to_string()))?;
        if scan.strings > MAX_STRINGS || scan.declared_strings > MAX_STRINGS {
            return Err(SheetError::TooLarge(Limit::Strings));
        }
        if scan.longest > MAX_STRING_BYTES {
            return Err(SheetError::TooLarge(Limit::String));
        }
    }
    Ok(())
}

/// What one pass over an XML part found, without keeping its text.
///
/// This is not an XML parser: it follows tags, quoted attribute values, comments,
/// processing instructions and CDATA sections closely enough that text cannot pass for
/// markup, and it errs towards counting more. A part that does not start like XML (an
/// image) is skipped: calamine does not read it as text.
#[derive(Debug, Default)]
struct XmlScan {
    /// Start tags of shared strings (`<si>`).
    strings: u64,
    /// The largest `uniqueCount` a shared-strings table (`<sst>`) declares.
    declared_strings: u64,
    /// The most bytes of text (and CDATA) between two starts of a string or a cell
    /// (`<si>`, `<c>`), or in one tag.
    longest: u64,
}

/// Where [`XmlScan`] is in the markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Text,
    /// Just after `<`, before it is known what follows.
    Open,
    Tag {
        quote: Option<u8>,
    },
    Comment,
    CData,
    Instruction,
    Declaration,
}

/// The bytes of a tag kept to read its name and, for `<sst>`, its attributes.
const TAG_HEAD: usize = 4096;

impl XmlScan {
    fn of(part: &mut impl std::io::Read) -> std::io::Result<XmlScan> {
        let mut scan = XmlScan::default();
        let mut buf = vec![0u8; 64 * 1024];
        let mut at = At::Text;
        // The last bytes seen, to recognise the ends of comments and CDATA (`-->`, `]]>`).
        let mut tail = [0u8; 2];
        let mut head: Vec<u8> = Vec::with_capacity(TAG_HEAD);
        let mut tag_bytes = 0u64;
        let mut text = 0u64;
        let mut started = false;
        loop {
            let n = part.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let mut chunk = &buf[..n];
            if !started {
                let body = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
                match body.iter().find(|b| !b.is_ascii_whitespace()) {
                    Some(b'<') => started = true,
                    Some(_) => return Ok(scan),
                    None => continue,
                }
                chunk = body;
            }
            for &b in chunk {
                let was = at;
                match at {
                    At::Text => {
                        if b == b'<' {
                            at = At::Open;
                            head.clear();
                        } else {
                            text += 1;
                        }
                    }
                    At::Open => {
                        head.push(b);
                        at = match head.as_slice() {
                            [b'?'] => At::Instruction,
                            b"!--" => At::Comment,
                            b"![CDATA[" => At::CData,
                            h if b"![CDATA[".starts_with(h) || b"!--".starts_with(h) => At::Open,
                            [b'!', ..] => At::Declaration,
                            _ => {
                                tag_bytes = head.len() as u64;
                                At::Tag { quote: None }
                            }
                        };
                    }
                    At::Tag { quote } => {
                        tag_bytes += 1;
                        if head.len() < TAG_HEAD {
                            head.push(b);
                        }
                        match (quote, b) {
                            (None, b'"' | b'\'') => at = At::Tag { quote: Some(b) },
                            (Some(q), _) if q == b => at = At::Tag { quote: None },
                            (None, b'>') => {
                                at = At::Text;
                                if scan.tag(&head, tag_bytes) {
                                    scan.longest = scan.longest.max(text);
                                    text = 0;
                                }
                            }
                            _ => {}
                        }
                        if tag_bytes > MAX_STRING_BYTES {
                            scan.longest = tag_bytes;
                            return Ok(scan);
                        }
                    }
                    At::Comment if tail == *b"--" && b == b'>' => at = At::Text,
                    At::CData if tail == *b"]]" && b == b'>' => {
                        at = At::Text;
                        text = text.saturating_sub(2);
                    }
                    At::CData => text += 1,
                    At::Instruction if tail[1] == b'?' && b == b'>' => at = At::Text,
                    At::Declaration if b == b'>' => at = At::Text,
                    At::Comment | At::Instruction | At::Declaration => {}
                }
                // An end is looked for only after the start: `<!-->` does not close.
                tail = if at != was && matches!(at, At::Comment | At::CData | At::Instruction) {
                    [0, 0]
                } else {
                    [tail[1], b]
                };
            }
            scan.longest = scan.longest.max(text);
        }
        Ok(scan)
    }

    /// Takes note of a complete tag (`head` holds its first bytes, from its name); true
    /// when it starts a string or a cell.
    fn tag(&mut self, head: &[u8], bytes: u64) -> bool {
        self.longest = self.longest.max(bytes);
        if head.first() == Some(&b'/') {
            return false;
        }
        let name_end = head
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
            .unwrap_or(head.len());
        let name = &head[..name_end];
        let local = name
            .iter()
            .rposition(|b| *b == b':')
            .map_or(name, |i| &name[i + 1..]);
        match local {
            b"si" => {
                self.strings += 1;
                true
            }
            b"c" => true,
            b"sst" => {
                // calamine reserves what `uniqueCount` says; an attribute past the bytes
                // kept cannot be read, so such a tag counts as declaring too many.
                self.declared_strings = if head.len() >= TAG_HEAD {
                    u64::MAX
                } else {
                    declared_count(head)
                };
                false
            }
            _ => false,
        }
    }
}

/// The `uniqueCount` of a `<sst …>` tag, read as calamine does (leading zeros skipped);
/// 0 when absent or not a number.
fn declared_count(tag: &[u8]) -> u64 {
    let key = b"uniqueCount";
    let mut from = 0;
    let mut most = 0u64;
    while let Some(i) = tag[from..].windows(key.len()).position(|w| w == key) {
        let mut rest = &tag[from + i + key.len()..];
        from += i + key.len();
        rest = rest.trim_ascii_start();
        let Some(after_eq) = rest.strip_prefix(b"=") else {
            continue;
        };
        let rest = after_eq.trim_ascii_start();
        let Some((&q, value)) = rest.split_first() else {
            continue;
        };
        if q != b'"' && q != b'\'' {
            continue;
        }
        let digits = value.iter().take_while(|b| b.is_ascii_digit());
        let n = digits.fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        most = most.max(n);
    }
    most
}

/// A cell as the text a person would type into the form, borrowed when calamine holds it
/// (shared strings), so that a long one is measured before it is copied.
fn cell_text<'a>(cell: &'a DataRef<'_>) -> Cow<'a, str> {
    match cell {
        DataRef::SharedString(s) => Cow::Borrowed(s.trim()),
        DataRef::String(s) => Cow::Borrowed(s.trim()),
        other => Cow::Owned(text(&Data::from(other.clone()))),
    }
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
            Err(SheetError::TooLarge(Limit::Rows))
        ));
        // A directory that claims more unpacked bytes than any register needs.
        let mut bomb = bytes.clone();
        let eocd = bomb.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        let cd = u32::from_le_bytes(bomb[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        bomb[cd + 24..cd + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read(&bomb, Limits::default()),
            Err(SheetError::TooLarge(Limit::Unpacked))
        ));
    }
}
