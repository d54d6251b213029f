-- A designation made by its holder for a period (the CISO to the deputy while away)
-- names the designation it is delegated from; it counts towards no role's cap.
ALTER TABLE designations ADD COLUMN delegated_from UUID REFERENCES designations (id);

-- Secrets handed over in a case (an initial password): sealed under the installation's
-- key, bound to the case, the history entry and the field; wiped once shown to one of
-- the people it is for, who then confirms receiving it.
CREATE TABLE case_secrets (
    case_id     UUID NOT NULL REFERENCES cases (id),
    event_seq   BIGINT NOT NULL,
    field       TEXT NOT NULL,
    sealed      TEXT,
    recipients  TEXT NOT NULL,
    shown_to    UUID REFERENCES persons (id),
    shown_at    TIMESTAMPTZ,
    received_at TIMESTAMPTZ,
    PRIMARY KEY (case_id, event_seq, field)
);
