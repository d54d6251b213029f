-- One row per round of a recurring procedure and per target (an organisation, a holder of
-- a role, a register row): the case mamori opened for it. The key is claimed in the
-- transaction that inserts the case, so when several servers tick at once the round is
-- opened once and the others' transactions roll back. The reminder and the overdue notice
-- are claimed the same way (`reminded_at`, `overdue_at`); a notice no longer owed (its case
-- closed, or the round ended before its reminder went out) is settled with the same column
-- and no notice, so the pending indexes hold only what may still be sent.
CREATE TABLE recurring_rounds (
    library_id      TEXT NOT NULL,
    procedure_id    TEXT NOT NULL,
    starts_on       TEXT NOT NULL,
    target          TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    person_id       BLOB NOT NULL REFERENCES persons (id),
    row_id          BLOB REFERENCES register_rows (id),
    case_id         BLOB NOT NULL REFERENCES cases (id),
    opened_at       INTEGER NOT NULL,
    remind_at       INTEGER,
    reminded_at     INTEGER,
    due_at          INTEGER NOT NULL,
    overdue_at      INTEGER,
    PRIMARY KEY (library_id, procedure_id, starts_on, target)
) STRICT;
CREATE INDEX recurring_rounds_remind ON recurring_rounds (remind_at) WHERE reminded_at IS NULL;
CREATE INDEX recurring_rounds_due ON recurring_rounds (due_at) WHERE overdue_at IS NULL;
CREATE INDEX recurring_rounds_case ON recurring_rounds (case_id);
CREATE INDEX recurring_rounds_organisation ON recurring_rounds (organisation_id);
