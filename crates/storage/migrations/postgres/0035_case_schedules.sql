-- What a case's history records of its schedule (the day it started, the steps finished,
-- the adjustments), kept when an action is taken, so that an overview of many sites plans
-- them without reading every history. `source` names the schedule it was worked out with
-- (library, version, procedure); `progress` is NULL before the schedule started.
CREATE TABLE case_schedules (
    case_id    UUID PRIMARY KEY REFERENCES cases (id),
    source     TEXT NOT NULL,
    progress   TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
