-- Each value a register row carries, one per column (and one per item of a multiple
-- choice), so that a register of 100,000 rows is filtered by its columns in the database:
-- "C2 rows of this owner" reads the owner's entries from an index and checks the class of
-- each by the row's id, instead of reading every row's JSON. Only what equality can match is
-- kept: strings of up to 200 characters (a long description is not), numbers, and yes/no
-- as `true`/`false`. Rewritten in the transaction that writes the row
-- (`storage::registers::write`), and deleted with it.
--
-- The row's key, keeper and retirement are copied so that the first filter's entries are
-- read live (or retired) in key order, the reader's scope checked, and the rows counted,
-- from the index alone; a page stops after its rows instead of sorting every match.
CREATE TABLE register_row_values (
    row_id          BLOB NOT NULL REFERENCES register_rows (id),
    library_id      TEXT NOT NULL,
    register_id     TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    column_id       TEXT NOT NULL,
    value           TEXT NOT NULL,
    key_text        TEXT NOT NULL,
    retired_at      INTEGER,
    PRIMARY KEY (row_id, column_id, value)
) STRICT, WITHOUT ROWID;
CREATE INDEX register_row_values_by_value
    ON register_row_values (library_id, register_id, column_id, value, retired_at, key_text, row_id,
                            organisation_id);

-- A register's first page without a filter, read in key order.
CREATE INDEX register_rows_by_key ON register_rows (library_id, register_id, key_text);

-- The rows stored so far: the top-level values, then the items of lists.
INSERT INTO register_row_values
    (row_id, library_id, register_id, organisation_id, column_id, value, key_text, retired_at)
SELECT DISTINCT r.id, r.library_id, r.register_id, r.organisation_id, j.key,
       CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END,
       r.key_text, r.retired_at
  FROM register_rows r, json_each(r.data) j
 WHERE json_valid(r.data) AND json_type(r.data) = 'object'
   AND j.type IN ('text', 'integer', 'real', 'true', 'false')
   AND length(CAST(j.value AS TEXT)) <= 200;

INSERT INTO register_row_values
    (row_id, library_id, register_id, organisation_id, column_id, value, key_text, retired_at)
SELECT DISTINCT r.id, r.library_id, r.register_id, r.organisation_id, j.key,
       CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(e.value AS TEXT) END,
       r.key_text, r.retired_at
  FROM register_rows r, json_each(r.data) j, json_each(j.value) e
 WHERE json_valid(r.data) AND json_type(r.data) = 'object' AND j.type = 'array'
   AND e.type IN ('text', 'integer', 'real', 'true', 'false')
   AND length(CAST(e.value AS TEXT)) <= 200;
