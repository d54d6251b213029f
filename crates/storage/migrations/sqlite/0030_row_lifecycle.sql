-- The dates a register row carries (a take-out's return day, a permission's expiry), set
-- on every write of the row: its reminder and the moment the day has passed are claimed
-- once, whichever server ticks first, like a round's (`reminded_at`, `passed_at`). A new
-- day for the same column starts both afresh.
CREATE TABLE register_row_dates (
    row_id      BLOB NOT NULL REFERENCES register_rows (id),
    column_id   TEXT NOT NULL,
    means       TEXT NOT NULL CHECK (means IN ('due', 'expires')),
    on_day      TEXT NOT NULL,
    remind_at   INTEGER,
    reminded_at INTEGER,
    passes_at   INTEGER NOT NULL,
    passed_at   INTEGER,
    PRIMARY KEY (row_id, column_id)
) STRICT;
CREATE INDEX register_row_dates_remind ON register_row_dates (remind_at) WHERE reminded_at IS NULL;
CREATE INDEX register_row_dates_pass ON register_row_dates (passes_at) WHERE passed_at IS NULL;

-- A legal hold keeps a row past its retention until it is released.
ALTER TABLE register_rows ADD COLUMN held_at INTEGER;
ALTER TABLE register_rows ADD COLUMN held_by BLOB REFERENCES persons (id);
ALTER TABLE register_rows ADD COLUMN hold_reason TEXT;
