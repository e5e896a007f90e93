-- Procurement of social data (社会数据统一采购, 统采共用, COL-3, Art. 17): an
-- agency files a demand for data it cannot get through the platform
-- (video, IoT sensing, maps, low-altitude imagery …) with the data
-- authority of its level, which evaluates it — a case with a working-day
-- limit (a platform default) — and records the unified procurement:
-- supplier, contract, amount, term and the catalogue entry under which the
-- purchased data is catalogued and shared like any other.

CREATE TABLE procurement_demands (
    id                INTEGER PRIMARY KEY,
    agency_org        INTEGER NOT NULL REFERENCES orgs(id),   -- the demanding agency (需求部门)
    authority_org     INTEGER NOT NULL REFERENCES orgs(id),   -- the evaluating data authority
    kind              TEXT NOT NULL CHECK (kind IN ('video','iot','map','low_altitude','other')),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,          -- the demand (需求方案)
    justification     TEXT NOT NULL,          -- why the platform cannot provide it
    budget_fen        INTEGER NOT NULL,       -- estimated budget in fen (分)
    state             TEXT NOT NULL CHECK (state IN ('evaluating','approved','refused','procured')),
    case_id           INTEGER REFERENCES cases(id),
    due_on            TEXT NOT NULL,          -- the evaluation's due date
    reason            TEXT,                   -- the evaluation's reason
    evaluated_by      TEXT,
    evaluated_at      TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX procurement_demands_agency ON procurement_demands(agency_org, id);
CREATE INDEX procurement_demands_authority ON procurement_demands(authority_org, id);

CREATE TABLE procurement_records (
    id                INTEGER PRIMARY KEY,
    demand_id         INTEGER NOT NULL UNIQUE REFERENCES procurement_demands(id),
    supplier          TEXT NOT NULL,          -- 供应商
    contract_no       TEXT NOT NULL,          -- 合同编号
    amount_fen        INTEGER NOT NULL,       -- contract amount in fen (分)
    term_from         TEXT NOT NULL,
    term_to           TEXT NOT NULL,
    entry_id          INTEGER NOT NULL REFERENCES catalog_entries(id), -- where the data is catalogued
    recorded_by       TEXT NOT NULL,
    recorded_org      INTEGER NOT NULL REFERENCES orgs(id),
    created_at        TEXT NOT NULL
);
