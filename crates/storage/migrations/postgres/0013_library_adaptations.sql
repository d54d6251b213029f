-- An organisation's own variant of a library's forms (the text of adaptation.yaml). Cases
-- opened by the organisation, or by one below it without a variant of its own, run under
-- the library version built from it, which is kept in library_versions like any other.
CREATE TABLE library_adaptations (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    library_id      TEXT NOT NULL,
    spec            TEXT NOT NULL,
    updated_by      UUID NOT NULL REFERENCES persons (id),
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, library_id)
);
