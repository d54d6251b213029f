-- Register rows are also added, edited, retired and imported by hand: each change says
-- which it was and may carry a reason. Changes written before this came from cases.
ALTER TABLE register_row_events ADD COLUMN action TEXT NOT NULL DEFAULT 'case';
ALTER TABLE register_row_events ADD COLUMN comment TEXT NOT NULL DEFAULT '';
