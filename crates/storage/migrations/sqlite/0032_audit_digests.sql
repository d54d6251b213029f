-- Events are now hashed over the SHA-256 of their detail, kept beside it (`encoding` 2), so
-- that when a record is deleted at the end of its retention the details of the events
-- about it can be removed (`redacted_at`) while the chain still verifies. Events written
-- before keep encoding 1: their hash covers the detail itself, which stays.
ALTER TABLE audit_events ADD COLUMN encoding INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN detail_sha256 TEXT;
ALTER TABLE audit_events ADD COLUMN redacted_at INTEGER;
