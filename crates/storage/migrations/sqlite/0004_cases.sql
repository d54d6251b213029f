-- Procedure libraries, cases and registers.

-- Every library version the server has loaded, with its files, so that a case opened under
-- a version keeps running after a newer version ships.
CREATE TABLE library_versions (
    library_id TEXT NOT NULL,
    version    TEXT NOT NULL,
    digest     TEXT NOT NULL,
    files      TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    PRIMARY KEY (library_id, version)
) STRICT;

CREATE TABLE cases (
    id              BLOB PRIMARY KEY,
    library_id      TEXT NOT NULL,
    library_version TEXT NOT NULL,
    procedure_id    TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    title           TEXT NOT NULL,
    state           TEXT NOT NULL,
    data            TEXT NOT NULL,
    done            TEXT NOT NULL,
    created_by      BLOB NOT NULL REFERENCES persons (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    FOREIGN KEY (library_id, library_version) REFERENCES library_versions (library_id, version)
) STRICT;
CREATE INDEX cases_organisation ON cases (organisation_id, updated_at);
CREATE INDEX cases_created_by ON cases (created_by, updated_at);

-- A case's history: opening, saves, every action with its fields and comment.
CREATE TABLE case_events (
    case_id     BLOB NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor_id    BLOB REFERENCES persons (id),
    action      TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    comment     TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
) STRICT;

-- Whom a case waits on in its present state: one row per role and organisation whose
-- designated people may act. Rewritten by every transition; read by the inbox.
CREATE TABLE case_waits (
    case_id         BLOB NOT NULL REFERENCES cases (id),
    role            TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (case_id, role, organisation_id)
) STRICT;
CREATE INDEX case_waits_role ON case_waits (role, organisation_id);

-- Register (台帳) rows, one per key within the organisation that keeps them.
CREATE TABLE register_rows (
    id              BLOB PRIMARY KEY,
    library_id      TEXT NOT NULL,
    register_id     TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    key_text        TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    retired_at      INTEGER,
    UNIQUE (library_id, register_id, organisation_id, key_text)
) STRICT;

-- Every change to a row, with who made it and the case that made it, if any.
CREATE TABLE register_row_events (
    row_id      BLOB NOT NULL REFERENCES register_rows (id),
    seq         INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor_id    BLOB REFERENCES persons (id),
    case_id     BLOB REFERENCES cases (id),
    change      TEXT NOT NULL,
    PRIMARY KEY (row_id, seq)
) STRICT;
