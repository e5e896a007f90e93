-- Disputes between agencies (争议处理, DSP-1, Art. 48): one agency files a
-- dispute against another; it passes through negotiation, the authority's
-- coordination, joint consultation with the establishment office and the
-- government's decision, each stage a case with a working-day limit. The
-- handling authority is the level's, or across levels or regions the common
-- upper one. Every statement, escalation and the settlement is a step.

CREATE TABLE disputes (
    id                INTEGER PRIMARY KEY,
    complainant_org   INTEGER NOT NULL REFERENCES orgs(id),
    respondent_org    INTEGER NOT NULL REFERENCES orgs(id),
    authority_org     INTEGER NOT NULL REFERENCES orgs(id), -- the data authority that handles it
    cross_level       INTEGER NOT NULL,       -- 1 when the parties are of different levels or regions
    dispute_type      TEXT NOT NULL CHECK (dispute_type IN ('sharing','opening','collection','cataloguing','responsibility','other')),
    subject_kind      TEXT CHECK (subject_kind IN ('share_request','grant','catalog_entry')),
    subject_id        INTEGER,
    title             TEXT NOT NULL,
    grounds           TEXT NOT NULL,          -- the complainant's grounds
    stage             TEXT NOT NULL CHECK (stage IN ('negotiation','coordination','consultation','government')),
    state             TEXT NOT NULL CHECK (state IN ('open','settled')),
    case_id           INTEGER REFERENCES cases(id), -- the current stage's case
    due_on            TEXT NOT NULL,          -- the current stage's due date
    leaning           TEXT,                   -- the authority's leaning (倾向性意见) for the government
    outcome           TEXT,                   -- the agreed outcome or the decision
    decision_no       TEXT,                   -- the government's document number (文号)
    settled_by        TEXT,
    settled_at        TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX disputes_complainant ON disputes(complainant_org, id);
CREATE INDEX disputes_respondent ON disputes(respondent_org, id);
CREATE INDEX disputes_authority ON disputes(authority_org, id);

CREATE TABLE dispute_steps (
    id                INTEGER PRIMARY KEY,
    dispute_id        INTEGER NOT NULL REFERENCES disputes(id),
    stage             TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('filed','statement','escalated','settled')),
    org_id            INTEGER REFERENCES orgs(id), -- on whose behalf
    actor             TEXT NOT NULL,
    body              TEXT NOT NULL,          -- grounds, response, minutes, outcome
    at                TEXT NOT NULL
);
CREATE INDEX dispute_steps_dispute ON dispute_steps(dispute_id, id);
