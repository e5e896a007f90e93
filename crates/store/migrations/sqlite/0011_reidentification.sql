-- Re-identification risk (重识别风险, OPN-5, Art. 30, 36-37): a derivative of
-- personal data that is opened declares its quasi-identifiers (准标识符) and
-- a threshold k; each check of k-anonymity — when the derivation is asked
-- for, after each refresh, and in the periodic review of the open catalogue
-- — is recorded with its report. A derivative whose current version has not
-- passed is withheld from the public.

ALTER TABLE derivations ADD COLUMN quasi_identifiers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE derivations ADD COLUMN k_threshold INTEGER NOT NULL DEFAULT 5;
-- The parent holds personal items and the derivative is open: checked.
ALTER TABLE derivations ADD COLUMN reid_required INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reid_checks (
    id             INTEGER PRIMARY KEY,
    derivation_id  INTEGER NOT NULL REFERENCES derivations(id),
    dataset_id     INTEGER REFERENCES datasets(id),  -- the derived dataset (none for the check on creation)
    version        INTEGER NOT NULL,                 -- the derived version checked (0: the parent's rows on creation)
    purpose        TEXT NOT NULL,                    -- creation | refresh | review
    k_threshold    INTEGER NOT NULL,
    passed         INTEGER NOT NULL,
    report         TEXT NOT NULL,                    -- JSON ReidReport
    checked_by     TEXT NOT NULL,
    checked_at     TEXT NOT NULL
);
CREATE INDEX reid_checks_derivation ON reid_checks(derivation_id, id);
CREATE INDEX reid_checks_dataset ON reid_checks(dataset_id, version);
