-- Personal API tokens: a program acts as the person who made the token, within the
-- token's scope, until the token expires or is revoked. The table keeps the SHA-256 of the
-- token only; `prefix` is the public part of the token that finds its row and lets people
-- recognise it in lists.
CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    person_id    UUID NOT NULL REFERENCES persons (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  BYTEA NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    revoked_by   UUID REFERENCES persons (id)
);
CREATE INDEX api_tokens_person ON api_tokens (person_id, created_at);
