-- A designation made by its holder for a period (the CISO to the deputy while away)
-- names the designation it is delegated from; it counts towards no role's cap.
ALTER TABLE designations ADD COLUMN delegated_from BLOB REFERENCES designations (id);

-- Secrets handed over in a case (an initial password): sealed under the installation's
-- key, bound to the case, the history entry and the field; wiped once shown to one of
-- the people it is for, who then confirms receiving it.
CREATE TABLE case_secrets (
    case_id     BLOB NOT NULL REFERENCES cases (id),
    event_seq   INTEGER NOT NULL,
    field       TEXT NOT NULL,
    sealed      TEXT,
    recipients  TEXT NOT NULL,
    shown_to    BLOB REFERENCES persons (id),
    shown_at    INTEGER,
    received_at INTEGER,
    PRIMARY KEY (case_id, event_seq, field)
) STRICT;
