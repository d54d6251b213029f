-- Deadlines and e-mail delivery.

-- The earliest deadline running in the case's present state, for the inbox's due and
-- overdue marks; NULL when none runs.
ALTER TABLE cases ADD COLUMN due_at TIMESTAMPTZ;

-- Reminders and deadlines to fire. Set when a case enters a state with deadlines, deleted
-- (unfired) when it leaves it. Firing claims the row by setting `fired_at` where it is
-- still NULL, in the transaction that writes the notifications, so that however many
-- servers tick, each timer fires once.
CREATE TABLE case_timers (
    id       UUID PRIMARY KEY,
    case_id  UUID NOT NULL REFERENCES cases (id),
    state    TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('remind', 'due')),
    fire_at  TIMESTAMPTZ NOT NULL,
    fired_at TIMESTAMPTZ
);
CREATE INDEX case_timers_pending ON case_timers (fire_at) WHERE fired_at IS NULL;
CREATE INDEX case_timers_case ON case_timers (case_id);

-- E-mail notifications are the outbox: a worker leases a batch (`locked_by`,
-- `locked_until`), sends, and records the delivery or the failure with a later attempt.
ALTER TABLE notifications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN locked_by TEXT;
ALTER TABLE notifications ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
CREATE INDEX notifications_outbox ON notifications (next_attempt_at) WHERE delivered_at IS NULL;
