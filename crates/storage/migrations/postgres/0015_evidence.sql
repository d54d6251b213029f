-- Evidence an organisation keeps (an audit report, a certificate, a photograph of a lock):
-- a sealed file with the days it is good for, linked to the requirements it supports in
-- any of the organisation's assessments.
CREATE TABLE evidence (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    title           TEXT NOT NULL,
    file_address    TEXT NOT NULL REFERENCES files (address),
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    effective_on    DATE NOT NULL,
    expires_on      DATE,
    added_by        UUID NOT NULL REFERENCES persons (id),
    added_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_organisation ON evidence (organisation_id, added_at);

CREATE TABLE assessment_evidence (
    assessment_id  UUID NOT NULL REFERENCES assessments (id),
    requirement_id TEXT NOT NULL,
    evidence_id    UUID NOT NULL REFERENCES evidence (id),
    linked_by      UUID NOT NULL REFERENCES persons (id),
    linked_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (assessment_id, requirement_id, evidence_id)
);
