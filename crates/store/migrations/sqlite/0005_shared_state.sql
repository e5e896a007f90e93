-- State that every server of a platform shares (several processes may open
-- one database): leases of background jobs and failed logins per client.

CREATE TABLE job_leases (
    job      TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    until    TEXT NOT NULL,
    last_run TEXT
);

CREATE TABLE login_failures (
    client TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX login_failures_client ON login_failures(client, at);
CREATE INDEX login_failures_at ON login_failures(at);
