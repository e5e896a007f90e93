-- Violations and rectification (违规与整改, VIO-1, VIO-2; Art. 49-50).
-- A violation is recorded against a body (Art. 49) or a user of public data
-- (Art. 50): detected by the platform (detection_key makes each finding
-- once) or recorded by the data authority. A rectification notice
-- (限期整改通知) covers one body's open violations and is a case with a
-- working-day limit; missed, it is escalated to the government's
-- supervision list (督查督办, escalated_at).

CREATE TABLE rectifications (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),   -- the body that rectifies
    authority_org     INTEGER NOT NULL REFERENCES orgs(id),   -- the authority that notified
    requirement       TEXT NOT NULL,                          -- 整改要求
    working_days      INTEGER NOT NULL,                       -- the limit set (限期)
    case_id           INTEGER REFERENCES cases(id),
    due_on            TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('open','reported','accepted')),
    report            TEXT,                                   -- 整改情况报告
    reported_by       TEXT,
    reported_at       TEXT,
    decision_note     TEXT,                                   -- the authority's acceptance or return
    decided_by        TEXT,
    decided_at        TEXT,
    escalated_at      TEXT,                                   -- put on the supervision list (督查督办)
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX rectifications_org ON rectifications(org_id, id);
CREATE INDEX rectifications_authority ON rectifications(authority_org, id);
CREATE INDEX rectifications_due ON rectifications(state, due_on);

CREATE TABLE violations (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),   -- the body or data user
    authority_org     INTEGER NOT NULL REFERENCES orgs(id),   -- the authority responsible
    kind              TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('detected','recorded')),
    detection_key     TEXT UNIQUE,                            -- a detected finding, once
    subject           TEXT,                                   -- e.g. case:12, dataset:3
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    evidence          TEXT NOT NULL,                          -- JSON
    state             TEXT NOT NULL CHECK (state IN ('open','rectifying','closed','dismissed')),
    rectification_id  INTEGER REFERENCES rectifications(id),
    grants_suspended  INTEGER NOT NULL DEFAULT 0,
    occurred_on       TEXT NOT NULL,
    closed_by         TEXT,
    closed_at         TEXT,
    closing_note      TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX violations_org ON violations(org_id, id);
CREATE INDEX violations_authority ON violations(authority_org, id);
CREATE INDEX violations_created ON violations(created_at);

-- How far each detector has read the audit chain.
CREATE TABLE violation_scans (
    detector          TEXT PRIMARY KEY,
    last_id           INTEGER NOT NULL,
    at                TEXT NOT NULL
);
