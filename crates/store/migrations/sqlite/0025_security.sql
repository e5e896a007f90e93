-- Per-agency security management (安全管理, SEC-2, SEC-4, Art. 44–45): the
-- agency's security officer (安全负责人), its grade-based protection
-- settings (分级保护: per data grade, what is required), its periodic
-- security checks and risk assessments (安全检查/风险评估) and its
-- emergency and disaster-recovery drills (应急演练/灾备演练); the
-- confidentiality reviews (保密审查) that must precede sharing or opening
-- graded data; and the alerts on unusual access (异常访问告警, SEC-3)
-- detected from the access records.

CREATE TABLE security_officers (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs(id),
    name        TEXT NOT NULL,
    post        TEXT NOT NULL,
    contact     TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE security_grade_settings (
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    grade           TEXT NOT NULL,
    masking_default INTEGER NOT NULL,     -- personal items masked by default
    review_required INTEGER NOT NULL,     -- 保密审查 before sharing or opening
    export_allowed  INTEGER NOT NULL,     -- grantees may export (下载导出)
    notes           TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (org_id, grade)
);

CREATE TABLE security_records (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('check','risk_assessment','emergency_drill','recovery_drill')),
    held_on     TEXT NOT NULL,
    scope       TEXT NOT NULL,             -- scope, or the drill's scenario
    findings    TEXT NOT NULL,             -- findings, or the drill's result
    follow_up   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX security_records_org ON security_records(org_id, held_on);

CREATE TABLE confidentiality_reviews (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES orgs(id),   -- the reviewing agency
    entry_id         INTEGER NOT NULL REFERENCES catalog_entries(id),
    entry_version    INTEGER,                                -- an opening: the version reviewed
    share_request_id INTEGER REFERENCES share_requests(id),  -- a sharing: the request reviewed
    reviewer         TEXT NOT NULL,
    reviewed_on      TEXT NOT NULL,
    passed           INTEGER NOT NULL,
    notes            TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX confidentiality_reviews_entry ON confidentiality_reviews(entry_id, id);
CREATE INDEX confidentiality_reviews_request ON confidentiality_reviews(share_request_id, id);

CREATE TABLE security_alerts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('volume','odd_hours','enumeration')),
    fingerprint     TEXT NOT NULL UNIQUE,  -- kind, grant and window: detection is idempotent
    grant_id        INTEGER NOT NULL REFERENCES grants(id),
    source_org      INTEGER NOT NULL REFERENCES orgs(id),
    grantee_org     INTEGER NOT NULL REFERENCES orgs(id),
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    observed        INTEGER NOT NULL,      -- what was counted
    threshold       INTEGER NOT NULL,      -- what it exceeded
    detail          TEXT NOT NULL,         -- JSON
    detected_at     TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    ack_note        TEXT
);
CREATE INDEX security_alerts_open ON security_alerts(acknowledged_at, id);
