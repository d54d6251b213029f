-- Attachments: files stored once per content, encrypted, and the cases that hold them.

-- A file's content, sealed with AES-256-GCM under the installation's key. The address is
-- a keyed hash of the plain content, so identical files are kept once.
CREATE TABLE files (
    address    TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- A file attached to a case. Withdrawing one hides it from the case but keeps the row and
-- the content: what was once evidence stays in the record.
CREATE TABLE case_attachments (
    id           BLOB PRIMARY KEY,
    case_id      BLOB NOT NULL REFERENCES cases (id),
    file_address TEXT NOT NULL REFERENCES files (address),
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    added_by     BLOB NOT NULL REFERENCES persons (id),
    added_at     INTEGER NOT NULL,
    withdrawn_by BLOB REFERENCES persons (id),
    withdrawn_at INTEGER
) STRICT;
CREATE INDEX case_attachments_case ON case_attachments (case_id, added_at);
