-- Roles held for one register row (the information system manager of one system): kept
-- apart from designations, so that holding a role for a row gives nothing in the
-- organisation at large. The organisation is the row's keeper, copied for the queries.
CREATE TABLE row_designations (
    id              UUID PRIMARY KEY,
    row_id          UUID NOT NULL REFERENCES register_rows (id),
    role            TEXT NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    person_id       UUID NOT NULL REFERENCES persons (id),
    starts_on       DATE NOT NULL,
    ends_on         DATE,
    designated_by   UUID NOT NULL REFERENCES persons (id),
    designated_at   TIMESTAMPTZ NOT NULL,
    ended_by        UUID REFERENCES persons (id),
    ended_at        TIMESTAMPTZ,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX row_designations_row ON row_designations (row_id, role);
CREATE INDEX row_designations_person ON row_designations (person_id);

-- A case about a register row may wait on the holders of a role for that row alone.
ALTER TABLE case_waits ADD COLUMN row_id UUID;
