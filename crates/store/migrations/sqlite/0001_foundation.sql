-- Foundation: organisations, users, roles, sessions, API tokens, calendar, audit chain.

CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    name_en       TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('region','authority','agency','enterprise','institution')),
    level         TEXT CHECK (level IN ('city','county')),
    parent_id     INTEGER REFERENCES orgs(id),
    division_code TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('staff','enterprise','person')),
    org_id        INTEGER REFERENCES orgs(id),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    created_at TEXT NOT NULL,
    UNIQUE (user_id, role, org_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('cookie','bearer')),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    name         TEXT NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);

CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    off_days   TEXT NOT NULL,  -- JSON array of YYYY-MM-DD
    work_days  TEXT NOT NULL,  -- JSON array of YYYY-MM-DD
    updated_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id INTEGER,
    org_id        INTEGER,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    client_ip     TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_org ON audit_log(org_id, id);

-- The head of the chain, kept apart from the log so a deleted tail is caught.
CREATE TABLE audit_head (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (one, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: the platform never updates or deletes audit records.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
