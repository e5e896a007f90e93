-- Conditional open data applications (有条件开放申请, OPN-4, Art. 38): a
-- registered person or organisation applies for a conditionally open
-- dataset; the source agency answers within 10 working days (a case),
-- giving reasons when refusing; an approval carries a data use agreement
-- (利用协议) that the applicant accepts before any data is delivered.

CREATE TABLE open_applications (
    id                INTEGER PRIMARY KEY,
    dataset_id        INTEGER NOT NULL REFERENCES datasets(id),
    entry_id          INTEGER NOT NULL REFERENCES catalog_entries(id),
    source_org        INTEGER NOT NULL REFERENCES orgs(id),
    applicant         TEXT NOT NULL,          -- username of the applicant (申请人)
    applicant_user_id INTEGER REFERENCES users(id),
    applicant_name    TEXT NOT NULL,          -- display name
    applicant_kind    TEXT NOT NULL CHECK (applicant_kind IN ('person','enterprise')),
    applicant_org     INTEGER REFERENCES orgs(id), -- an organisation's applicant acts for it
    party             TEXT NOT NULL,          -- the party to the agreement, as written in it
    purpose           TEXT NOT NULL,
    use_scenario      TEXT NOT NULL,
    fields            TEXT NOT NULL,          -- JSON array of data items asked
    end_date          TEXT,                   -- last day of use asked (China date)
    state             TEXT NOT NULL CHECK (state IN ('pending','refused','approved','accepted')),
    answer_due        TEXT NOT NULL,          -- 10 working days (Art. 38)
    decided_by        TEXT,
    decided_at        TEXT,
    reason            TEXT NOT NULL DEFAULT '', -- the reasons of a refusal; an approval's note
    approved_fields   TEXT,                   -- JSON array, the approval's (narrowed) fields
    masks             TEXT,                   -- JSON {field: rule} for personal items
    valid_from        TEXT,
    valid_until       TEXT,
    agreement_version INTEGER,
    agreement_text    TEXT,
    accepted_at       TEXT,
    accepted_by       TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX open_applications_applicant ON open_applications(applicant, id);
CREATE INDEX open_applications_source ON open_applications(source_org, state, id);
