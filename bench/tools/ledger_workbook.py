#!/usr/bin/env python3
"""Writes an information asset ledger as an .xlsx workbook for the ledger case: a header
row of the register's column ids and N assets below it, with Python's standard library
alone. Each asset's owner is one of OWNERS (担当者0001 …), its place one of 20 buildings,
its kind one of six, and its class one level on each of three axes; the columns are
spread independently of each other (by a multiplicative hash of the asset's number), so
that a filter on two of them finds about the product of their shares.

usage: ledger_workbook.py OUT.xlsx N FIRST OWNERS
"""

import sys
import zipfile
from xml.sax.saxutils import escape

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="情報資産台帳" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""

COLUMNS = ["asset", "owner", "location", "kind", "confidentiality", "integrity", "availability", "notes"]
KINDS = ["network", "system", "facility", "media", "information", "documents"]


def letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def row(number: int, cells: list[str]) -> str:
    inner = "".join(
        f'<c r="{letters(col)}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        for col, value in enumerate(cells)
    )
    return f'<row r="{number}">{inner}</row>'


def asset(i: int, owners: int) -> list[str]:
    # Knuth's multiplicative hash: neighbouring numbers land far apart, so no column
    # follows another.
    h = (i * 2654435761) % 2**32
    return [
        f"資産{i:06d}",
        f"担当者{h % owners + 1:04d}",
        f"庁舎{(h // owners) % 20 + 1:02d}",
        KINDS[(h >> 8) % len(KINDS)],
        ["c1", "c2", "c3"][(h >> 12) % 3],
        ["i1", "i2"][(h >> 16) % 2],
        ["a1", "a2"][(h >> 20) % 2],
        f"資産{i:06d}の取扱いに関する備考。保管場所と持出しの可否を記す。",
    ]


def main() -> None:
    out, n, first, owners = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rows = [row(1, COLUMNS)]
    rows += [row(line, asset(i, owners)) for line, i in enumerate(range(first, first + n), start=2)]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)


if __name__ == "__main__":
    main()
