-- Open data plans (开放计划, OPN-2): the year's priority areas set by the
-- city authority (年度公共数据开放重点, Art. 31), each agency's yearly open
-- plan (年度公共数据开放计划, Art. 37) filed (备案) with the authority of
-- its level, and each agency's open-data responsibility (责任部门和人员)
-- shown on the open catalogue and its responsibility list.

CREATE TABLE open_priorities (
    year         INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    area         TEXT NOT NULL CHECK (area IN ('public_governance','natural_resources','licensing_credit','other')),
    description  TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (year, position)
);

CREATE TABLE open_plans (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    year           INTEGER NOT NULL,
    authority_id   INTEGER NOT NULL REFERENCES orgs(id), -- the level's authority it is filed with
    state          TEXT NOT NULL CHECK (state IN ('draft','filed','returned','acknowledged')),
    items          TEXT NOT NULL,                        -- JSON array of plan items
    version        INTEGER NOT NULL,                     -- bumped by every change
    return_reason  TEXT NOT NULL DEFAULT '',
    filed_by       TEXT,
    filed_at       TEXT,
    reviewed_by    TEXT,
    reviewed_at    TEXT,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (org_id, year)
);
CREATE INDEX open_plans_year ON open_plans(year, state);

CREATE TABLE open_responsibilities (
    org_id       INTEGER PRIMARY KEY REFERENCES orgs(id),
    department   TEXT NOT NULL,   -- 责任部门
    person       TEXT NOT NULL,   -- 责任人
    phone        TEXT NOT NULL,
    email        TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
