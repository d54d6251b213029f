//! An uploaded workbook, as the register import reads it (`mamori_sheets::read`).
//!
//! Read twice: with the limits the import uses, and with small ones so that every limit
//! is reached by small inputs too. A table read back must keep the promises of
//! `Limits`: anything larger is a limit that did not hold.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_sheets::{Limits, read};

fn within(data: &[u8], limits: Limits) {
    let Ok(table) = read(data, limits) else {
        return;
    };
    assert!(
        table.header.len() <= limits.columns,
        "columns past the limit"
    );
    assert!(table.rows.len() <= limits.rows, "rows past the limit");
    for (_, cells) in &table.rows {
        assert_eq!(
            cells.len(),
            table.header.len(),
            "a row wider than the header"
        );
    }
    let cells = table
        .header
        .iter()
        .chain(table.rows.iter().flat_map(|(_, c)| c));
    let mut text = 0usize;
    for cell in cells {
        assert!(
            cell.chars().count() <= limits.cell_chars,
            "a cell past the limit"
        );
        text += cell.len();
    }
    assert!(text <= limits.text_bytes, "text past the limit");
}

fuzz_target!(|data: &[u8]| {
    within(data, Limits::default());
    within(
        data,
        Limits {
            rows: 8,
            columns: 4,
            cell_chars: 32,
            text_bytes: 256,
        },
    );
});
