-- The desk an organisation keeps for urgent calls (a company's incident desk, a unit's
-- emergency contact): who answers, the number in working hours and the number for nights
-- and holidays. One per organisation; it goes with the organisation.
CREATE TABLE organisation_desks (
    organisation_id UUID PRIMARY KEY REFERENCES organisations (id),
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    night_phone     TEXT,
    updated_at      TIMESTAMPTZ NOT NULL,
    updated_by      UUID
);
