-- A legal hold keeps a closed case past its procedure's retention until it is released.
-- (The search index is on the column itself here: nothing else to remove with a case.)
ALTER TABLE cases ADD COLUMN held_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN held_by UUID REFERENCES persons (id);
ALTER TABLE cases ADD COLUMN hold_reason TEXT;
