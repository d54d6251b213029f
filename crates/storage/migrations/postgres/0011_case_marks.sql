-- A case's classification or handling mark, copied from its data on every write so that
-- lists can leave out, in SQL, the cases their reader does not need to know.
ALTER TABLE cases ADD COLUMN mark TEXT;
ALTER TABLE cases ADD COLUMN need_to_know BOOLEAN NOT NULL DEFAULT FALSE;

-- Who acted in a case, for the need-to-know check of lists.
CREATE INDEX case_events_actor ON case_events (actor_id, case_id);
