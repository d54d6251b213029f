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

import xlsx

COLUMNS = ["asset", "owner", "location", "kind", "confidentiality", "integrity", "availability", "notes"]
KINDS = ["network", "system", "facility", "media", "information", "documents"]


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
    rows = [COLUMNS] + [asset(i, owners) for i in range(first, first + n)]
    xlsx.write(out, "情報資産台帳", rows)


if __name__ == "__main__":
    main()
