-- Work that always follows an insert happens in the database, in the same statement:
-- one round trip less per write.

-- A new organisation's paths to itself and to every ancestor of its parent.
CREATE FUNCTION organisations_paths() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organisation_paths (ancestor_id, descendant_id, depth)
    SELECT ancestor_id, NEW.id, depth + 1 FROM organisation_paths WHERE descendant_id = NEW.parent_id
    UNION ALL SELECT NEW.id, NEW.id, 0;
    RETURN NEW;
END $$;
CREATE TRIGGER organisations_paths AFTER INSERT ON organisations
    FOR EACH ROW EXECUTE FUNCTION organisations_paths();

-- The head of the audit chain follows every appended event.
CREATE FUNCTION audit_events_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_head();
