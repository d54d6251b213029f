-- Notifications: written in the transaction of the change they announce. In-app ones are
-- delivered by being here; other channels (e-mail) will be claimed by a worker through
-- `delivered_at`.
CREATE TABLE notifications (
    id           UUID PRIMARY KEY,
    person_id    UUID NOT NULL REFERENCES persons (id),
    channel      TEXT NOT NULL,
    case_id      UUID REFERENCES cases (id),
    subject_ja   TEXT NOT NULL,
    subject_en   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    read_at      TIMESTAMPTZ
);
CREATE INDEX notifications_person ON notifications (person_id, read_at, created_at);
