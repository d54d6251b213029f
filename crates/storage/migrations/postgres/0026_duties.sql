-- What a history entry says beyond its action (JSON): the party a decision was given as,
-- whether it was one of several people's decisions, and the reason given for taking, in
-- the unavoidable case, an action that excluded the actor.
ALTER TABLE case_events ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';

-- Every such exception, listed for whoever oversees it: one row per (role, organisation)
-- that was to be told, read as the inbox is, through the designations in force.
CREATE TABLE case_overrides (
    case_id         UUID NOT NULL REFERENCES cases (id),
    event_seq       BIGINT NOT NULL,
    role            TEXT NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (case_id, event_seq, role, organisation_id)
);
CREATE INDEX case_overrides_role ON case_overrides (role, organisation_id);
