-- A case number people can read aloud on the phone: the year the case was opened and a
-- sequence that starts again each year (2026-0012). `case_numbers` keeps the last number
-- given in each year; the creating transaction takes the next one with an upsert, whose
-- row lock makes concurrent creations wait for each other's commit, so no two read the
-- same `last`.
CREATE TABLE case_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- Existing cases are numbered in order of creation, by their year in Japan time: the
-- installation's zone is a setting the database does not know, and it is Japan's.
ALTER TABLE cases ADD COLUMN number TEXT;
WITH numbered AS (
    SELECT id, EXTRACT(YEAR FROM created_at AT TIME ZONE 'Asia/Tokyo')::INTEGER AS year,
           ROW_NUMBER() OVER (
               PARTITION BY EXTRACT(YEAR FROM created_at AT TIME ZONE 'Asia/Tokyo')
               ORDER BY created_at, id) AS n
      FROM cases)
UPDATE cases SET number = numbered.year || '-' || lpad(numbered.n::TEXT, GREATEST(4, length(numbered.n::TEXT)), '0')
  FROM numbered WHERE numbered.id = cases.id;
INSERT INTO case_numbers (year, last)
SELECT CAST(substr(number, 1, 4) AS INTEGER), COUNT(*) FROM cases GROUP BY substr(number, 1, 4);
ALTER TABLE cases ALTER COLUMN number SET NOT NULL;
ALTER TABLE cases ADD CONSTRAINT cases_number UNIQUE (number);

-- How a person reads dates on pages: 'seireki' (2026年2月27日) or 'wareki' (令和8年2月27日).
ALTER TABLE persons ADD COLUMN date_style TEXT NOT NULL DEFAULT 'seireki';
