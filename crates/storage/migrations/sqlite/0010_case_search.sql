-- Searching cases by what they say: the title and every value of the form, lower-cased,
-- in `search_text` (written by the application), indexed by trigrams so that Japanese,
-- which has no spaces between words, is found by any three characters in a row.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE cases SET search_text = lower(title) || char(10) || data;

-- The index needs a stable integer key; a table's rowid may change on VACUUM, so cases
-- get their own, assigned in order of creation (SQLite has one writer at a time).
ALTER TABLE cases ADD COLUMN seq INTEGER;
UPDATE cases SET seq = rowid;
CREATE UNIQUE INDEX cases_seq ON cases (seq);

CREATE VIRTUAL TABLE case_search USING fts5(search_text, tokenize = 'trigram');
INSERT INTO case_search (rowid, search_text) SELECT seq, search_text FROM cases;

CREATE TRIGGER case_search_insert AFTER INSERT ON cases BEGIN
    UPDATE cases SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM cases) WHERE id = new.id;
    INSERT INTO case_search (rowid, search_text)
        SELECT seq, search_text FROM cases WHERE id = new.id;
END;

CREATE TRIGGER case_search_update AFTER UPDATE OF search_text ON cases BEGIN
    DELETE FROM case_search WHERE rowid = new.seq;
    INSERT INTO case_search (rowid, search_text) VALUES (new.seq, new.search_text);
END;
