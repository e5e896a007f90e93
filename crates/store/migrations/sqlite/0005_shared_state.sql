-- State that every server of a platform shares (several processes may open
-- one database): leases of background jobs and failed logins per client.
-- (`IF NOT EXISTS`: PostgreSQL databases created before this migration
-- had these tables in 0001.)

-- Leases of background jobs: with several servers on one database, each job
-- runs on one of them at a time (deadline sweep, scheduled pulls, …).
CREATE TABLE IF NOT EXISTS job_leases (
    job      TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    until    TEXT NOT NULL,
    last_run TEXT
);

-- Failed logins per client, shared by all servers (login throttling).
CREATE TABLE IF NOT EXISTS login_failures (
    client TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures(client, at);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures(at);
