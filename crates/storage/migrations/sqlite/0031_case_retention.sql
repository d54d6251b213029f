-- A legal hold keeps a closed case past its procedure's retention until it is released.
ALTER TABLE cases ADD COLUMN held_at INTEGER;
ALTER TABLE cases ADD COLUMN held_by BLOB REFERENCES persons (id);
ALTER TABLE cases ADD COLUMN hold_reason TEXT;

-- A case deleted once its retention has run out leaves the search index with it.
CREATE TRIGGER case_search_delete AFTER DELETE ON cases BEGIN
    DELETE FROM case_search WHERE rowid = old.seq;
END;
