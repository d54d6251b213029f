-- Searching cases by what they say: the title and every value of the form, lower-cased,
-- in `search_text` (written by the application). Queries match it with LIKE, which a
-- trigram index serves when the pg_trgm extension can be installed; without it they
-- still work, scanning.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE cases SET search_text = lower(title) || E'\n' || data;

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    CREATE INDEX cases_search ON cases USING gin (search_text public.gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'case search runs without a trigram index: %', SQLERRM;
END
$$;
