-- Organisations, people, designations, sessions and the audit trail.
-- Timestamps are TIMESTAMPTZ; days are DATE.

CREATE TABLE organisations (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    parent_id    UUID REFERENCES organisations (id),
    require_totp BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX organisations_parent ON organisations (parent_id, name);

-- The closure of the tree: one row per (ancestor, descendant), itself included at depth 0.
CREATE TABLE organisation_paths (
    ancestor_id   UUID NOT NULL REFERENCES organisations (id),
    descendant_id UUID NOT NULL REFERENCES organisations (id),
    depth         BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX organisation_paths_descendant ON organisation_paths (descendant_id, depth);

CREATE TABLE organisation_relations (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    from_id    UUID NOT NULL REFERENCES organisations (id),
    to_id      UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    UNIQUE (kind, from_id, to_id)
);
CREATE INDEX organisation_relations_to ON organisation_relations (to_id);

CREATE TABLE persons (
    id                   UUID PRIMARY KEY,
    organisation_id      UUID NOT NULL REFERENCES organisations (id),
    name                 TEXT NOT NULL,
    email                TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    locale               TEXT NOT NULL DEFAULT 'ja',
    totp_secret          TEXT,
    totp_last_step       BIGINT,
    failed_logins        BIGINT NOT NULL DEFAULT 0,
    locked_until         TIMESTAMPTZ,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX persons_organisation ON persons (organisation_id, name);

CREATE TABLE posts (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, name)
);

-- Who holds a post, and when.
CREATE TABLE post_holders (
    id          UUID PRIMARY KEY,
    post_id     UUID NOT NULL REFERENCES posts (id),
    person_id   UUID NOT NULL REFERENCES persons (id),
    starts_on   DATE NOT NULL,
    ends_on     DATE,
    assigned_by UUID REFERENCES persons (id),
    assigned_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX post_holders_person ON post_holders (person_id);
CREATE INDEX post_holders_post ON post_holders (post_id);

-- A role held by a person or by whoever holds a post, within an organisation, for a period.
-- Rows are never deleted: ending a designation sets ends_on and ended_by.
CREATE TABLE designations (
    id              UUID PRIMARY KEY,
    role            TEXT NOT NULL,
    organisation_id UUID REFERENCES organisations (id),
    person_id       UUID REFERENCES persons (id),
    post_id         UUID REFERENCES posts (id),
    starts_on       DATE NOT NULL,
    ends_on         DATE,
    note            TEXT NOT NULL DEFAULT '',
    designated_by   UUID REFERENCES persons (id),
    designated_at   TIMESTAMPTZ NOT NULL,
    ended_by        UUID REFERENCES persons (id),
    ended_at        TIMESTAMPTZ,
    CHECK ((person_id IS NULL) <> (post_id IS NULL)),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX designations_person ON designations (person_id);
CREATE INDEX designations_post ON designations (post_id);
CREATE INDEX designations_organisation ON designations (organisation_id);

-- Server-side sessions, keyed by the SHA-256 of the cookie value.
CREATE TABLE sessions (
    id_hash      BYTEA PRIMARY KEY,
    person_id    UUID NOT NULL REFERENCES persons (id),
    stage        TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    totp_pending TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE audit_events (
    seq             BIGINT PRIMARY KEY,
    occurred_at     TIMESTAMPTZ NOT NULL,
    actor_id        UUID,
    organisation_id UUID,
    action          TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target_id       TEXT,
    outcome         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    ip              TEXT,
    prev_hash       BYTEA NOT NULL,
    hash            BYTEA NOT NULL
);
CREATE INDEX audit_events_organisation ON audit_events (organisation_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);

-- The end of the chain; appends lock this row, so events get gapless numbers.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
