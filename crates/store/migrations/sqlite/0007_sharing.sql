-- Sharing (数据共享, Art. 23–29): share requests answered on statutory
-- deadlines (their cases live in `cases`, subject `share_request:<id>`),
-- grants fixing minimum authorisation (最小授权), usage reports and the
-- record of file and offline deliveries.

CREATE TABLE share_requests (
    id              INTEGER PRIMARY KEY,
    entry_id        INTEGER NOT NULL REFERENCES catalog_entries(id),
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id),
    requester_org   INTEGER NOT NULL REFERENCES orgs(id),
    source_org      INTEGER NOT NULL REFERENCES orgs(id),
    requested_by    TEXT NOT NULL,          -- the data user (数据使用人): username
    requested_by_name TEXT NOT NULL,
    scenario        TEXT NOT NULL,          -- 应用业务场景
    using_unit      TEXT NOT NULL,          -- 使用单位
    fields          TEXT NOT NULL,          -- JSON array of data items asked
    mode            TEXT NOT NULL CHECK (mode IN ('api','table','file','verify')),
    until           TEXT NOT NULL,          -- China date YYYY-MM-DD
    purpose         TEXT NOT NULL,
    research_only   INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('pending','approved','refused','granted')),
    answer_due      TEXT,                   -- conditional entries: 2 working days
    implement_due   TEXT,                   -- after approval: 3 working days
    decided_by      TEXT,
    decided_at      TEXT,
    basis           TEXT NOT NULL DEFAULT '', -- the law, regulation or rule a refusal cites
    grant_id        INTEGER,
    filed_with      TEXT NOT NULL DEFAULT '[]',  -- JSON array authorities a cross-level or cross-region request is filed with (备案)
    created_at      TEXT NOT NULL
);
CREATE INDEX share_requests_requester ON share_requests(requester_org, id);
CREATE INDEX share_requests_source ON share_requests(source_org, state, id);

CREATE TABLE grants (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER REFERENCES share_requests(id),
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id),
    entry_id        INTEGER NOT NULL REFERENCES catalog_entries(id),
    source_org      INTEGER NOT NULL REFERENCES orgs(id),
    grantee_org     INTEGER NOT NULL REFERENCES orgs(id),
    using_unit      TEXT NOT NULL,
    scenario        TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    data_user       TEXT NOT NULL,          -- responsible for use (RESP-1)
    fields          TEXT NOT NULL,          -- JSON array, in the dataset's order
    masks           TEXT NOT NULL DEFAULT '{}', -- JSON {field: rule}
    row_filter      TEXT NOT NULL DEFAULT 'null', -- JSON {field, values} (backflow) or null
    mode            TEXT NOT NULL CHECK (mode IN ('api','table','file','verify')),
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    rate_limit      INTEGER NOT NULL,       -- requests per minute
    research_only   INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('pending','active','suspended','revoked')),
    state_reason    TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    implemented_at  TEXT
);
CREATE INDEX grants_dataset ON grants(dataset_id, grantee_org, state);
CREATE INDEX grants_grantee ON grants(grantee_org, id);
CREATE INDEX grants_source ON grants(source_org, id);

-- Periodic usage reports of a grantee (SHR-1).
CREATE TABLE usage_reports (
    id          INTEGER PRIMARY KEY,
    grant_id    INTEGER NOT NULL REFERENCES grants(id),
    period      TEXT NOT NULL,              -- e.g. 2026-Q4
    summary     TEXT NOT NULL,
    uses        INTEGER NOT NULL,           -- business cases served with the data
    filed_by    TEXT NOT NULL,
    filed_at    TEXT NOT NULL
);
CREATE INDEX usage_reports_grant ON usage_reports(grant_id, id);

-- Reads through each grant per China day (the grant page's access
-- statistics); written with the reads' access records, in their transaction.
CREATE TABLE grant_usage (
    grant_id    INTEGER NOT NULL REFERENCES grants(id),
    day         TEXT NOT NULL,
    reads       INTEGER NOT NULL,
    rows_out    INTEGER NOT NULL,
    PRIMARY KEY (grant_id, day)
);

-- The dataset behind an entry (share requests name the entry).
CREATE INDEX datasets_entry ON datasets(entry_id, id);

-- Table push (库表推送): where a grantee receives the granted view, and how
-- far it got (the dataset version last pushed, all or nothing).
CREATE TABLE push_targets (
    grant_id        INTEGER PRIMARY KEY REFERENCES grants(id),
    url             TEXT NOT NULL,          -- sqlite://… or postgres://… (password never shown)
    table_name      TEXT NOT NULL,
    every_minutes   INTEGER NOT NULL,
    pushed_version  INTEGER NOT NULL DEFAULT 0,
    last_push_at    TEXT,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_at         TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- Demands for data not in the catalogue (目录外数据需求, Art. 24): the chosen
-- source department confirms within 5 working days (a case, subject
-- `data_demand:<id>`); shareable data is catalogued and linked here.
CREATE TABLE data_demands (
    id              INTEGER PRIMARY KEY,
    requester_org   INTEGER NOT NULL REFERENCES orgs(id),
    source_org      INTEGER NOT NULL REFERENCES orgs(id),
    requested_by    TEXT NOT NULL,
    description     TEXT NOT NULL,
    items           TEXT NOT NULL DEFAULT '[]',
    scenario        TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending','confirmed','catalogued','refused')),
    answer_due      TEXT NOT NULL,
    answer          TEXT NOT NULL DEFAULT '',
    basis           TEXT NOT NULL DEFAULT '',
    entry_id        INTEGER REFERENCES catalog_entries(id),
    decided_by      TEXT,
    decided_at      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX data_demands_requester ON data_demands(requester_org, id);
CREATE INDEX data_demands_source ON data_demands(source_org, id);

-- File deliveries of file-mode grants (文件): exports of the granted view and
-- offline deliveries (表格, 文档, 拷贝), each with who received what.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    grant_id        INTEGER NOT NULL REFERENCES grants(id),
    kind            TEXT NOT NULL CHECK (kind IN ('export_csv','export_xlsx','spreadsheet','document','copy')),
    description     TEXT NOT NULL,
    rows_out        INTEGER NOT NULL,
    received_by     TEXT NOT NULL,
    delivered_by    TEXT NOT NULL,
    delivered_at    TEXT NOT NULL
);
CREATE INDEX deliveries_grant ON deliveries(grant_id, id);
