-- Organisations, people, designations, sessions and the audit trail.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); days are TEXT 'YYYY-MM-DD'.

CREATE TABLE organisations (
    id           BLOB PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    parent_id    BLOB REFERENCES organisations (id),
    require_totp INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX organisations_parent ON organisations (parent_id, name);

-- The closure of the tree: one row per (ancestor, descendant), itself included at depth 0.
CREATE TABLE organisation_paths (
    ancestor_id   BLOB NOT NULL REFERENCES organisations (id),
    descendant_id BLOB NOT NULL REFERENCES organisations (id),
    depth         INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
) STRICT;
CREATE INDEX organisation_paths_descendant ON organisation_paths (descendant_id, depth);

CREATE TABLE organisation_relations (
    id         BLOB PRIMARY KEY,
    kind       TEXT NOT NULL,
    from_id    BLOB NOT NULL REFERENCES organisations (id),
    to_id      BLOB NOT NULL REFERENCES organisations (id),
    created_at INTEGER NOT NULL,
    created_by BLOB,
    UNIQUE (kind, from_id, to_id)
) STRICT;
CREATE INDEX organisation_relations_to ON organisation_relations (to_id);

CREATE TABLE persons (
    id                   BLOB PRIMARY KEY,
    organisation_id      BLOB NOT NULL REFERENCES organisations (id),
    name                 TEXT NOT NULL,
    email                TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    locale               TEXT NOT NULL DEFAULT 'ja',
    totp_secret          TEXT,
    totp_last_step       INTEGER,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         INTEGER,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;
CREATE INDEX persons_organisation ON persons (organisation_id, name);

CREATE TABLE posts (
    id              BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (organisation_id, name)
) STRICT;

-- Who holds a post, and when.
CREATE TABLE post_holders (
    id          BLOB PRIMARY KEY,
    post_id     BLOB NOT NULL REFERENCES posts (id),
    person_id   BLOB NOT NULL REFERENCES persons (id),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT,
    assigned_by BLOB REFERENCES persons (id),
    assigned_at INTEGER NOT NULL
) STRICT;
CREATE INDEX post_holders_person ON post_holders (person_id);
CREATE INDEX post_holders_post ON post_holders (post_id);

-- A role held by a person or by whoever holds a post, within an organisation, for a period.
-- Rows are never deleted: ending a designation sets ends_on and ended_by.
CREATE TABLE designations (
    id              BLOB PRIMARY KEY,
    role            TEXT NOT NULL,
    organisation_id BLOB REFERENCES organisations (id),
    person_id       BLOB REFERENCES persons (id),
    post_id         BLOB REFERENCES posts (id),
    starts_on       TEXT NOT NULL,
    ends_on         TEXT,
    note            TEXT NOT NULL DEFAULT '',
    designated_by   BLOB REFERENCES persons (id),
    designated_at   INTEGER NOT NULL,
    ended_by        BLOB REFERENCES persons (id),
    ended_at        INTEGER,
    CHECK ((person_id IS NULL) <> (post_id IS NULL)),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
) STRICT;
CREATE INDEX designations_person ON designations (person_id);
CREATE INDEX designations_post ON designations (post_id);
CREATE INDEX designations_organisation ON designations (organisation_id);

-- Server-side sessions, keyed by the SHA-256 of the cookie value.
CREATE TABLE sessions (
    id_hash      BLOB PRIMARY KEY,
    person_id    BLOB NOT NULL REFERENCES persons (id),
    stage        TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    totp_pending TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT
) STRICT;
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,
    occurred_at     INTEGER NOT NULL,
    actor_id        BLOB,
    organisation_id BLOB,
    action          TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target_id       TEXT,
    outcome         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    ip              TEXT,
    prev_hash       BLOB NOT NULL,
    hash            BLOB NOT NULL
) STRICT;
CREATE INDEX audit_events_organisation ON audit_events (organisation_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);

-- The end of the chain; appends lock this row, so events get gapless numbers.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
