-- An organisation's corrections of a library matrix (which role holds which mark for an
-- item of the original): never changed or removed, so the latest for a row is the one in
-- force and the earlier ones are its history. `cells` is a JSON object, column → mark;
-- restoring the original's reading is one more correction.
CREATE TABLE matrix_corrections (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    library_id      TEXT NOT NULL,
    matrix_id       TEXT NOT NULL,
    row_id          TEXT NOT NULL,
    cells           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    made_by         UUID NOT NULL REFERENCES persons (id),
    made_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX matrix_corrections_by_matrix
    ON matrix_corrections (library_id, matrix_id, organisation_id, made_at);
