#!/usr/bin/env python3
"""Writes an HR staff list as an .xlsx workbook for the import case: a header row
(氏名, メールアドレス) and N staff below it, with Python's standard library alone.

usage: staff_workbook.py OUT.xlsx N [FIRST]   (FIRST: the first staff number, default 1)
"""

import sys

import xlsx


def main() -> None:
    out, n = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rows = [["氏名", "メールアドレス"]]
    rows += [[f"職員 {i:06d}", f"staff{i:06d}@import.example.jp"] for i in range(first, first + n)]
    xlsx.write(out, "職員一覧", rows)


if __name__ == "__main__":
    main()
