-- A case number people can read aloud on the phone: the year the case was opened and a
-- sequence that starts again each year (2026-0012). `case_numbers` keeps the last number
-- given in each year; the creating transaction takes the next one (SQLite has one writer,
-- so two cases never read the same `last`).
CREATE TABLE case_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;

-- SQLite cannot add a UNIQUE column, nor a NOT NULL one without a default: the column
-- with an empty default that no case keeps, then a unique index. Existing cases are
-- numbered in order of creation, by their year in Japan time (UTC+9, no summer time): the
-- installation's zone is a setting the database does not know, and it is Japan's.
ALTER TABLE cases ADD COLUMN number TEXT NOT NULL DEFAULT '';
WITH numbered AS (
    SELECT id, strftime('%Y', created_at / 1000000 + 32400, 'unixepoch') AS year,
           ROW_NUMBER() OVER (
               PARTITION BY strftime('%Y', created_at / 1000000 + 32400, 'unixepoch')
               ORDER BY created_at, seq) AS n
      FROM cases)
UPDATE cases SET number = numbered.year || '-' || printf('%04d', numbered.n)
  FROM numbered WHERE numbered.id = cases.id;
INSERT INTO case_numbers (year, last)
SELECT CAST(substr(number, 1, 4) AS INTEGER), COUNT(*) FROM cases GROUP BY substr(number, 1, 4);
CREATE UNIQUE INDEX cases_number ON cases (number);

-- How a person reads dates on pages: 'seireki' (2026年2月27日) or 'wareki' (令和8年2月27日).
ALTER TABLE persons ADD COLUMN date_style TEXT NOT NULL DEFAULT 'seireki';
