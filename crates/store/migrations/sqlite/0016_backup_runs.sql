-- Runs of `pubdata backup` and of the daily backup job (SEC-1): when, how
-- long, how large, where, and why a run failed.
CREATE TABLE backup_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    file        TEXT NOT NULL,
    copies      INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    instance    TEXT NOT NULL
);
CREATE INDEX backup_runs_started ON backup_runs(started_at);
