//! Workbooks made to hurt the server that reads them: each is refused with the limit it
//! passed, quickly, and without the memory it was made to cost.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use mamori_sheets::{Limit, Limits, SheetError, read};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// A 1.5 kB workbook whose only sheet holds cell `A1` and cell `XFD1048576`, the last cell
/// Excel has (made once with Python's `zipfile` from the parts in [`parts`], with the two
/// cells as numbers). Laid out as a grid, its cells would take 549 GB: reading it used to
/// abort the server.
const FAR_CORNER: &[u8] = include_bytes!("data/far-corner.xlsx");

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// The parts every workbook needs, besides its sheet and shared strings.
fn parts() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_vec(),
        ),
    ]
}

/// A workbook whose sheet holds `cells` (the XML of `<c>` elements, rows implied by
/// their references) and, if given, the shared strings `sst`.
fn workbook(cells: &str, sst: Option<&str>) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    let mut all = parts();
    all.push((
        "xl/worksheets/sheet1.xml",
        format!("{SHEET_HEAD}<row>{cells}</row>{SHEET_TAIL}").into_bytes(),
    ));
    if let Some(sst) = sst {
        all.push(("xl/sharedStrings.xml", sst.as_bytes().to_vec()));
    }
    for (name, content) in all {
        zip.start_file(name, options).unwrap();
        zip.write_all(&content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn sst(strings: &[&str], unique_count: &str) -> String {
    let items: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{unique_count}">{items}</sst>"#,
        n = strings.len()
    )
}

fn refused(bytes: &[u8], limits: Limits) -> Limit {
    let started = Instant::now();
    let outcome = read(bytes, limits);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    match outcome {
        Err(SheetError::TooLarge(limit)) => limit,
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[test]
fn cells_in_far_corners_are_refused_at_the_second_cell() {
    assert!(FAR_CORNER.len() < 2_000, "{}", FAR_CORNER.len());
    assert_eq!(refused(FAR_CORNER, Limits::default()), Limit::Rows);
    // 92 MB as a grid: 30,000 rows.
    let tall = workbook(r#"<c r="A1"><v>1</v></c><c r="CV30000"><v>1</v></c>"#, None);
    assert_eq!(refused(&tall, Limits::default()), Limit::Rows);
    // One row, as wide as Excel goes.
    let wide = workbook(r#"<c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c>"#, None);
    assert_eq!(refused(&wide, Limits::default()), Limit::Columns);
    // The same cell given again and again grows nothing either.
    let again = workbook(&r#"<c r="A1"><v>1</v></c>"#.repeat(3), None);
    let tiny = Limits {
        rows: 0,
        columns: 1,
        ..Limits::default()
    };
    assert_eq!(refused(&again, tiny), Limit::Cells);
}

#[test]
fn a_shared_string_named_by_every_cell_is_copied_only_up_to_the_bound() {
    let long = "長".repeat(600);
    let cells: String = (1..=4)
        .map(|c| format!(r#"<c r="{}1" t="s"><v>0</v></c>"#, char::from(b'A' + c - 1)))
        .collect();
    let bytes = workbook(&cells, Some(&sst(&[&long], "1")));
    let small = Limits {
        text_bytes: 3 * long.len(),
        ..Limits::default()
    };
    assert_eq!(refused(&bytes, small), Limit::Text);
    // Within the bound, the same workbook reads.
    let table = read(&bytes, Limits::default()).unwrap();
    assert_eq!(table.header, vec![long; 4]);
}

#[test]
fn a_declared_count_of_strings_is_not_trusted() {
    // calamine reserves room for `uniqueCount` strings before reading one: 10¹⁰ of them
    // is 240 GB, and the allocation's failure aborts the process.
    let bytes = workbook(
        r#"<c r="A1" t="s"><v>0</v></c>"#,
        Some(&sst(&["名称"], "10000000000")),
    );
    assert_eq!(refused(&bytes, Limits::default()), Limit::Strings);
    // Hidden after other attributes, with spaces around `=`, or with a namespace prefix.
    let hidden = r#"<?xml version="1.0"?><!-- <sst uniqueCount="1"> --><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount = '0000009999999999'><x:si><x:t>名称</x:t></x:si></x:sst>"#;
    let bytes = workbook(r#"<c r="A1" t="s"><v>0</v></c>"#, Some(hidden));
    assert_eq!(refused(&bytes, Limits::default()), Limit::Strings);
    // An honest count reads.
    let bytes = workbook(
        r#"<c r="A1" t="s"><v>0</v></c>"#,
        Some(&sst(&["名称"], "1")),
    );
    assert_eq!(read(&bytes, Limits::default()).unwrap().header, ["名称"]);
}

#[test]
fn a_string_longer_than_any_cell_is_refused_before_it_is_built() {
    // 2 MB of text in one shared string: under the archive's bound, over a string's.
    let long = noise(2 * 1024 * 1024);
    let bytes = workbook(r#"<c r="A1" t="s"><v>0</v></c>"#, Some(&sst(&[&long], "1")));
    assert_eq!(refused(&bytes, Limits::default()), Limit::String);
    // Split into rich-text runs, with comments and CDATA that look like new strings.
    let runs = format!(
        "<r><t>{}</t></r><!-- <si> --><r><t><![CDATA[<si>{}]]></t></r>",
        noise(600 * 1024),
        noise(600 * 1024)
    );
    let bytes = workbook(r#"<c r="A1" t="s"><v>0</v></c>"#, Some(&sst(&[&runs], "1")));
    assert_eq!(refused(&bytes, Limits::default()), Limit::String);
    // The same in a cell's own (inline) string.
    let inline = format!(
        r#"<c r="A1" t="inlineStr"><is><t>{}</t></is></c>"#,
        noise(2 * 1024 * 1024)
    );
    assert_eq!(
        refused(&workbook(&inline, None), Limits::default()),
        Limit::String
    );
}

/// Letters that do not pack much, as real text does not.
fn noise(len: usize) -> String {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect()
}

#[test]
fn a_part_packed_out_of_proportion_is_refused() {
    // 4 MB of one letter packs about a thousand times.
    let long = "z".repeat(4 * 1024 * 1024);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts() {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(&content).unwrap();
    }
    zip.start_file("xl/media/padding.bin", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(long.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert_eq!(refused(&bytes, Limits::default()), Limit::Compression);
}

#[test]
fn one_huge_shared_string_is_refused_from_the_directory() {
    // The attack: a small upload whose shared strings unpack to one 190 MB string, which
    // calamine held three times over (550 MB) for each request.
    const HUGE: usize = 190 * 1024 * 1024;
    let head = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#;
    let tail = "</t></si></sst>";
    let (packed, unpacked) = deflate_run(head.as_bytes(), b'a', HUGE, tail.as_bytes());
    assert!(packed.len() < 2 * 1024 * 1024, "{}", packed.len());
    let mut entries: Vec<(&str, u16, Vec<u8>, u64)> = parts()
        .into_iter()
        .map(|(name, content)| {
            let size = content.len() as u64;
            (name, 0, content, size)
        })
        .collect();
    entries.push((
        "xl/worksheets/sheet1.xml",
        0,
        format!(r#"{SHEET_HEAD}<row><c r="A1" t="s"><v>0</v></c></row>{SHEET_TAIL}"#).into_bytes(),
        0,
    ));
    let sheet_size = entries[4].2.len() as u64;
    entries[4].3 = sheet_size;
    entries.push(("xl/sharedStrings.xml", 8, packed, unpacked));
    let bytes = zip_by_hand(&entries);

    // The bomb is real: the part opens and starts as a shared-strings table.
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut start = [0u8; 4];
    archive
        .by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_exact(&mut start)
        .unwrap();
    assert_eq!(&start, b"<sst");

    assert_eq!(refused(&bytes, Limits::default()), Limit::Unpacked);
}

/// A raw DEFLATE stream (fixed Huffman codes) of `head`, then `count` times `fill`, then
/// `tail`, built without holding the `count` bytes: the run is one literal followed by
/// copies of 258 bytes at distance 1. Returns the stream and its unpacked size.
fn deflate_run(head: &[u8], fill: u8, count: usize, tail: &[u8]) -> (Vec<u8>, u64) {
    let mut bits = Bits::default();
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed codes
    for &b in head {
        bits.literal(b);
    }
    bits.literal(fill);
    let mut left = count - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length symbol 285: 258 bytes
        bits.code(0, 5); // distance symbol 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.literal(fill);
    }
    for &b in tail {
        bits.literal(b);
    }
    bits.code(0, 7); // end of block
    let unpacked = (head.len() + count + tail.len()) as u64;
    (bits.finish(), unpacked)
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `count` bits of `value`, least significant first (headers and extra bits).
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(u64::from(reversed), len);
    }

    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b - 144), 9);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A ZIP written field by field, so that a part can carry a DEFLATE stream made by hand:
/// (name, method 0 stored or 8 deflated, data as stored, unpacked size). Stored parts get
/// their CRC; the deflated one is never unpacked to the end (CRC 0).
fn zip_by_hand(entries: &[(&str, u16, Vec<u8>, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, method, data, size) in entries {
        let offset = out.len() as u32;
        let crc = if *method == 0 { crc32(data) } else { 0 };
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend(0u32.to_le_bytes()); // time and date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((*size as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        directory.extend(header(0x0201_4b50, true));
    }
    let at = out.len() as u32;
    out.extend(&directory);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disks
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((directory.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_register_at_the_limits_still_reads() {
    // The bounds on packing and on strings must leave room for the largest honest
    // register: 5,000 rows of repetitive, well-packing cells.
    let columns: Vec<mamori_sheets::Column> = (0..20)
        .map(|c| mamori_sheets::Column {
            id: format!("c{c}"),
            label: format!("列{c}"),
            width: 10.0,
        })
        .collect();
    let rows: Vec<Vec<String>> = (0..5_000)
        .map(|r| {
            (0..20)
                .map(|c| format!("外部サービス{}", (r + c) % 7))
                .collect()
        })
        .collect();
    let bytes = mamori_sheets::write(&mamori_sheets::Table {
        sheet: "台帳".into(),
        meta: vec![],
        columns,
        rows,
    })
    .unwrap();
    let table = read(&bytes, Limits::default()).unwrap();
    assert_eq!(table.rows.len(), 5_000);
    assert_eq!(table.rows[4_999].0, 5_001);
}
