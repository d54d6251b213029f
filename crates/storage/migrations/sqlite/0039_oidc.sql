-- Sign-in with the office's directory (OpenID Connect).

-- Sign-ins sent to the directory and not yet back: found again by the SHA-256 of the
-- `state` the browser brings back, on whichever server it reaches. A row is deleted when
-- it is used (a state answers once) and refused after `expires_at`; rows left behind are
-- swept with the sessions.
CREATE TABLE oidc_logins (
    state_hash    BLOB PRIMARY KEY,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);

-- Who a directory's subject (`sub`, its lasting id of a person) is in mamori. Bound at the
-- first sign-in matched by e-mail (or when the sign-in created the person); later
-- sign-ins are matched by it first, whatever the e-mail says then. One subject per person
-- and issuer.
CREATE TABLE oidc_subjects (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    person_id     BLOB NOT NULL REFERENCES persons (id),
    bound_at      INTEGER NOT NULL,
    last_login_at INTEGER,
    PRIMARY KEY (issuer, subject),
    UNIQUE (person_id, issuer)
) STRICT;

-- Whether a session was started by a directory sign-in: its second factor then completes
-- the login without the forced change of a local password the person did not use.
ALTER TABLE sessions ADD COLUMN via_directory INTEGER NOT NULL DEFAULT 0;
