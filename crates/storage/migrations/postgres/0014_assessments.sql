-- Assessments: a catalog of a library version answered for an organisation.
CREATE TABLE assessments (
    id              UUID PRIMARY KEY,
    library_id      TEXT NOT NULL,
    library_version TEXT NOT NULL,
    catalog_id      TEXT NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    title           TEXT NOT NULL,
    -- The groups of requirements asked, as a JSON list; empty for all.
    groups          TEXT NOT NULL,
    -- open, or submitted (answers can no longer change).
    state           TEXT NOT NULL,
    created_by      UUID NOT NULL REFERENCES persons (id),
    created_at      TIMESTAMPTZ NOT NULL,
    submitted_at    TIMESTAMPTZ,
    -- The campaign it is part of: an assessment in state 'campaign' of the organisation
    -- above, which is answered only through its parts.
    parent_id       UUID REFERENCES assessments (id),
    FOREIGN KEY (library_id, library_version) REFERENCES library_versions (library_id, version)
);
CREATE INDEX assessments_organisation ON assessments (organisation_id, created_at);
CREATE INDEX assessments_parent ON assessments (parent_id);

-- One answer per requirement. The outcome and weight are kept with it so that a summary is
-- counted in SQL, however large the catalog.
CREATE TABLE assessment_answers (
    assessment_id  UUID NOT NULL REFERENCES assessments (id),
    requirement_id TEXT NOT NULL,
    answer         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    weight         BIGINT NOT NULL,
    note           TEXT NOT NULL,
    answered_by    UUID NOT NULL REFERENCES persons (id),
    answered_at    TIMESTAMPTZ NOT NULL,
    -- The remediation case a finding opened on submission, if the catalog names one.
    remediation_case UUID REFERENCES cases (id),
    PRIMARY KEY (assessment_id, requirement_id)
);
CREATE INDEX assessment_answers_outcome ON assessment_answers (assessment_id, outcome);
