-- Where a case has been routed beyond its own organisation, as a JSON object: the
-- organisations it passed on to (a prime contractor forwarding its subcontractor's report
-- under its own contract), the organisations it was relayed to, and whether it reached the
-- last-resort desk. '{}' for a case that stayed where it was opened.
ALTER TABLE cases ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';
