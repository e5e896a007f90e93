-- Authorised operation (公共数据授权运营, OPS-1..3, Art. 39–42): agreements
-- an agency (or a county government's authority) signs with a third-party
-- operator, filed with the city authority (备案); earlier arrangements
-- (前期安排) registered for the authority's review (a case); revenue and
-- contribution records per agreement; and the registry of products and
-- services built on open data (Art. 42).

CREATE TABLE operation_agreements (
    id                INTEGER PRIMARY KEY,
    agency_org        INTEGER NOT NULL REFERENCES orgs(id),   -- the signing agency or county authority
    operator_org      INTEGER NOT NULL REFERENCES orgs(id),   -- the third party (运营单位)
    level             TEXT NOT NULL CHECK (level IN ('city','county')),
    title             TEXT NOT NULL,
    datasets          TEXT NOT NULL,          -- JSON [dataset id]
    scenarios         TEXT NOT NULL,          -- 应用场景
    term_from         TEXT NOT NULL,
    term_to           TEXT NOT NULL,
    revenue_terms     TEXT NOT NULL,          -- 收益分配
    state             TEXT NOT NULL CHECK (state IN ('draft','filed','accepted','returned','terminated')),
    reason            TEXT,                   -- the authority's reason, or the termination's
    earlier_arrangement INTEGER,              -- the arrangement this re-signs
    filed_at          TEXT,
    decided_by        TEXT,
    decided_at        TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX operation_agreements_operator ON operation_agreements(operator_org, state);
CREATE INDEX operation_agreements_agency ON operation_agreements(agency_org, id);

CREATE TABLE operation_arrangements (
    id                INTEGER PRIMARY KEY,
    agency_org        INTEGER NOT NULL REFERENCES orgs(id),
    third_party_org   INTEGER NOT NULL REFERENCES orgs(id),
    description       TEXT NOT NULL,
    datasets          TEXT NOT NULL,          -- JSON [dataset id]
    since             TEXT NOT NULL,          -- when the third party began receiving data
    state             TEXT NOT NULL CHECK (state IN ('under_review','resigned','terminated')),
    case_id           INTEGER REFERENCES cases(id),
    due_on            TEXT NOT NULL,
    reason            TEXT,
    agreement_id      INTEGER REFERENCES operation_agreements(id),
    decided_by        TEXT,
    decided_at        TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX operation_arrangements_agency ON operation_arrangements(agency_org, id);

CREATE TABLE operation_revenue (
    id                INTEGER PRIMARY KEY,
    agreement_id      INTEGER NOT NULL REFERENCES operation_agreements(id),
    period            TEXT NOT NULL,          -- e.g. 2026-Q3 or 2026-10
    revenue_fen       INTEGER NOT NULL,       -- 收益 in fen (分)
    contribution_fen  INTEGER NOT NULL,       -- 分成 to the agency, in fen
    products          INTEGER NOT NULL,
    note              TEXT NOT NULL,
    entered_by        TEXT NOT NULL,
    entered_org       INTEGER NOT NULL REFERENCES orgs(id),
    created_at        TEXT NOT NULL
);
CREATE INDEX operation_revenue_agreement ON operation_revenue(agreement_id, id);

CREATE TABLE open_products (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    org_id            INTEGER REFERENCES orgs(id),
    provider          TEXT NOT NULL,          -- the operator or organisation, as shown
    description       TEXT NOT NULL,
    datasets          TEXT NOT NULL,          -- JSON [open dataset id]
    url               TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
