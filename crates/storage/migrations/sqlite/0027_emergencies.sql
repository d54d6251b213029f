-- Actions taken in an emergency before their requirements held (緊急時の例外措置), listed
-- for whoever ratifies them: one row per (role, organisation) to report to, with when the
-- ratification is due and, once one of them ratified or rejected it, when.
CREATE TABLE case_emergencies (
    case_id         BLOB NOT NULL REFERENCES cases (id),
    event_seq       INTEGER NOT NULL,
    role            TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    due_at          INTEGER,
    closed_at       INTEGER,
    PRIMARY KEY (case_id, event_seq, role, organisation_id)
) STRICT;
CREATE INDEX case_emergencies_role ON case_emergencies (role, organisation_id);
