-- Work that always follows an insert happens in the database, in the same statement:
-- one round trip less per write while the single write lock is held.

-- A new organisation's paths to itself and to every ancestor of its parent.
CREATE TRIGGER organisations_paths AFTER INSERT ON organisations
BEGIN
    INSERT INTO organisation_paths (ancestor_id, descendant_id, depth)
    SELECT ancestor_id, NEW.id, depth + 1 FROM organisation_paths WHERE descendant_id = NEW.parent_id
    UNION ALL SELECT NEW.id, NEW.id, 0;
END;

-- The head of the audit chain follows every appended event.
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;
