-- Cases with deadlines (shape 1), classification and grading, catalogue
-- entries with versions, collection list (data items with one source).

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,          -- e.g. catalog_entry:12
    requester_org   INTEGER NOT NULL REFERENCES orgs(id),
    responder_org   INTEGER NOT NULL REFERENCES orgs(id),
    state           TEXT NOT NULL CHECK (state IN ('open','closed')),
    opened_on       TEXT NOT NULL,          -- China date YYYY-MM-DD
    due_on          TEXT NOT NULL,          -- China date YYYY-MM-DD
    closed_at       TEXT,
    outcome         TEXT,
    basis           TEXT NOT NULL DEFAULT '',
    overdue_at      TEXT                    -- when the deadline sweep found it overdue
);
CREATE INDEX cases_responder ON cases(responder_org, state, due_on);
CREATE INDEX cases_requester ON cases(requester_org, state, due_on);
CREATE INDEX cases_subject ON cases(subject, state);

CREATE TABLE case_events (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE catalog_classes (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    parent TEXT REFERENCES catalog_classes(code)
);

CREATE TABLE catalog_grades (
    code                       TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    rank                       INTEGER NOT NULL,
    allows_unconditional_share INTEGER NOT NULL,
    max_open                   TEXT NOT NULL
);

CREATE TABLE catalog_entries (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    level             TEXT,
    state             TEXT NOT NULL,
    version           INTEGER NOT NULL,
    published_version INTEGER,
    published_on      TEXT,
    -- Filter columns copied from the latest content; the content itself is JSON.
    name              TEXT NOT NULL,
    classification    TEXT NOT NULL,
    grade             TEXT NOT NULL,
    share_type        TEXT NOT NULL,
    open_attribute    TEXT NOT NULL,
    update_frequency  TEXT NOT NULL,
    search_text       TEXT NOT NULL,
    content           TEXT NOT NULL,
    co_owners         TEXT NOT NULL DEFAULT '[]',  -- JSON array of org ids
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX catalog_entries_org ON catalog_entries(org_id, id);
CREATE INDEX catalog_entries_state ON catalog_entries(state, id);

CREATE TABLE catalog_entry_versions (
    entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    version    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    content    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)
);

CREATE TABLE catalog_consents (
    entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    version    INTEGER NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (entry_id, version, org_id)
);

-- The collection list (采集清单): each data item has exactly one source department.
CREATE TABLE data_items (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    source_org INTEGER NOT NULL REFERENCES orgs(id),
    basis      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX data_items_source ON data_items(source_org);
