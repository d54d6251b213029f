-- Passkeys (WebAuthn credentials), a person's second factor or passwordless login.
-- `public_key` and `flags` hold what the WebAuthn library encodes (key; user-verified,
-- backup and attachment state); `sign_count` is the authenticator's counter, which must
-- move forward so that a cloned authenticator is noticed.
CREATE TABLE passkeys (
    id            UUID PRIMARY KEY,
    person_id     UUID NOT NULL REFERENCES persons (id),
    credential_id BYTEA NOT NULL UNIQUE,
    user_handle   BYTEA NOT NULL,
    public_key    BYTEA NOT NULL,
    sign_count    BIGINT NOT NULL,
    flags         BYTEA NOT NULL,
    transports    BIGINT NOT NULL,
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX passkeys_person ON passkeys (person_id, created_at);

-- Ceremonies started and not yet finished: the library's state, found again by the
-- challenge the browser signs. A row is deleted when it is used (a challenge answers
-- once) and refused after `expires_at`. `person_id` is empty for a passwordless login,
-- where the answer names the person; `session_hash` ties a registration or a second
-- factor to the session that started it.
CREATE TABLE passkey_ceremonies (
    challenge    BYTEA PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('register', 'login', 'second_factor')),
    person_id    UUID REFERENCES persons (id),
    session_hash BYTEA,
    name         TEXT,
    state        BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
