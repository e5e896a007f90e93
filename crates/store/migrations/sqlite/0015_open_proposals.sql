-- Filing of open attributes and the authority's change proposals (开放属性
-- 备案与修改建议, OPN-1, Art. 32–34). An entry published as not open or
-- conditionally open is filed (备案) with the data authority of its level,
-- with its clauses and the agency's basis (依据). The authority may propose
-- another attribute (修改建议); the agency agrees (a new version of the
-- entry) or disagrees; without agreement the authority escalates to the
-- people's government of the level and records its decision, which is
-- applied as a new published version. Each step runs on a case.

CREATE TABLE open_filings (
    id                INTEGER PRIMARY KEY,
    entry_id          INTEGER NOT NULL REFERENCES catalog_entries(id),
    org_id            INTEGER NOT NULL REFERENCES orgs(id),   -- the providing agency
    authority_org     INTEGER NOT NULL REFERENCES orgs(id),   -- the authority of its level
    version           INTEGER NOT NULL,                        -- the published version filed
    attribute         TEXT NOT NULL CHECK (attribute IN ('none','conditional')),
    clauses           TEXT NOT NULL,                          -- JSON [clause]
    basis             TEXT NOT NULL,                        -- the agency's 依据
    filed_on          TEXT NOT NULL,
    filed_by          TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX open_filings_authority ON open_filings(authority_org, id);
CREATE INDEX open_filings_entry ON open_filings(entry_id, id);

CREATE TABLE open_proposals (
    id                INTEGER PRIMARY KEY,
    entry_id          INTEGER NOT NULL REFERENCES catalog_entries(id),
    org_id            INTEGER NOT NULL REFERENCES orgs(id),   -- the agency that answers
    authority_org     INTEGER NOT NULL REFERENCES orgs(id),   -- the proposing authority
    filing_id         INTEGER REFERENCES open_filings(id),
    from_attribute    TEXT NOT NULL,
    from_clauses      TEXT NOT NULL,
    proposed_attribute TEXT NOT NULL CHECK (proposed_attribute IN ('unconditional','conditional','none')),
    proposed_clauses  TEXT NOT NULL,
    reasons           TEXT NOT NULL,
    proposed_by       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('open','agreed','disagreed','escalated','decided')),
    answer_reasons    TEXT,
    answered_by       TEXT,
    answered_at       TEXT,
    applied_version   INTEGER,                                 -- the version the agreement wrote
    escalation_reasons TEXT,                                -- the authority's position
    escalated_by      TEXT,
    escalated_at      TEXT,
    decision_document_no TEXT,
    decision_date     TEXT,
    decided_attribute TEXT,
    decided_clauses   TEXT NOT NULL DEFAULT '[]',
    decided_version   INTEGER,                                 -- the version the decision wrote
    decided_by        TEXT,
    decided_at        TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX open_proposals_entry ON open_proposals(entry_id, id);
CREATE INDEX open_proposals_authority ON open_proposals(authority_org, id);
CREATE INDEX open_proposals_org ON open_proposals(org_id, id);
