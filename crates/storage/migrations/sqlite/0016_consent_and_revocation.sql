-- A relation gives the other side's people something (a record to read, a report in their
-- inbox), so it holds only once the other side has accepted it. Relations recorded before
-- this rule were made by administrators and stay in force: they count as accepted when made.
ALTER TABLE organisation_relations ADD COLUMN accepted_at INTEGER;
ALTER TABLE organisation_relations ADD COLUMN accepted_by BLOB REFERENCES persons (id);
UPDATE organisation_relations SET accepted_at = created_at;

-- A designation ended with no later day stops at once, not at the end of the day: the
-- moment it was revoked. ends_on still says the last day it was in force.
ALTER TABLE designations ADD COLUMN revoked_at INTEGER;
