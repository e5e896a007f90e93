-- Government IT projects (政务信息化项目, SUP-2, Art. 47): an agency
-- registers a project with the public data it involves (公共数据清单: the
-- catalogue entries it produces or uses) at approval (立项); before
-- acceptance (竣工验收) the platform checks that data is catalogued,
-- aggregated and shared, and the authority of the agency's level records
-- the acceptance — when compliant, or with an explicit override reason.

CREATE TABLE it_projects (
    id                INTEGER PRIMARY KEY,
    agency_org        INTEGER NOT NULL REFERENCES orgs(id),   -- the building agency (建设单位)
    name              TEXT NOT NULL,
    code              TEXT NOT NULL UNIQUE,   -- 项目编号
    approved_on       TEXT NOT NULL,          -- 立项批复日期
    planned_acceptance_on TEXT NOT NULL,      -- 计划验收日期
    entries           TEXT NOT NULL,          -- JSON [{entry_id, usage: produce|use}]
    state             TEXT NOT NULL CHECK (state IN ('approved','accepted')),
    compliant         INTEGER NOT NULL DEFAULT 0, -- the check's outcome at acceptance (1: compliant)
    override_reason   TEXT,                   -- why it was accepted although not compliant
    accepted_at       TEXT,
    accepted_by       TEXT,
    accepted_org      INTEGER REFERENCES orgs(id), -- the accepting authority
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX it_projects_agency ON it_projects(agency_org, id);
