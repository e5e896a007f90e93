-- Objections and corrections (异议与更正, OBJ-1, Art. 28): a data user or a
-- data subject objects to one record of a dataset; the source department
-- corrects it (a new dataset version, linked here) or confirms it, within 5
-- working days (a case). Proof documents (证明材料) are kept here too. And
-- the identity number (身份证号) of a person's account, by which a data
-- subject objects online to the records keyed by it.

CREATE TABLE person_identities (
    user_id           INTEGER PRIMARY KEY REFERENCES users(id),
    id_card_no        TEXT NOT NULL UNIQUE
);

CREATE TABLE objections (
    id                INTEGER PRIMARY KEY,
    dataset_id        INTEGER NOT NULL REFERENCES datasets(id),
    source_org        INTEGER NOT NULL REFERENCES orgs(id),
    record_key        TEXT NOT NULL,          -- the record's canonical key
    key_values        TEXT NOT NULL,          -- JSON {key column: value}
    field             TEXT,                   -- the field said to be wrong
    claimed_value     TEXT,                   -- what the objector says it should be
    description       TEXT NOT NULL,
    channel           TEXT NOT NULL CHECK (channel IN ('data_user','subject_online','subject_counter')),
    objector_user_id  INTEGER REFERENCES users(id),
    objector_name     TEXT NOT NULL,
    objector_org      INTEGER REFERENCES orgs(id), -- the data user's or the counter's organisation
    subject_id_card_no TEXT,                  -- the data subject's identity number
    grant_id          INTEGER,                -- the grant the data user saw the record under
    visible_fields    TEXT NOT NULL,          -- JSON [field]: what the objector may see
    about_version     INTEGER NOT NULL,       -- the dataset version the objection is about
    state             TEXT NOT NULL CHECK (state IN ('open','corrected','confirmed')),
    case_id           INTEGER REFERENCES cases(id),
    due_on            TEXT NOT NULL,
    reply             TEXT,
    corrections       TEXT NOT NULL DEFAULT '{}', -- JSON {field: value} applied
    correction_version INTEGER,               -- the version the correction wrote
    resolved_by       TEXT,
    resolved_at       TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX objections_source ON objections(source_org, id);
CREATE INDEX objections_objector ON objections(objector_user_id, id);
CREATE INDEX objections_org ON objections(objector_org, id);

CREATE TABLE objection_proofs (
    id                INTEGER PRIMARY KEY,
    objection_id      INTEGER NOT NULL REFERENCES objections(id),
    file_name         TEXT NOT NULL,
    media_type        TEXT NOT NULL CHECK (media_type IN ('application/pdf','image/png','image/jpeg')),
    size              INTEGER NOT NULL,
    sha256            TEXT NOT NULL,
    content           BLOB NOT NULL,
    uploaded_by       TEXT NOT NULL,
    uploaded_at       TEXT NOT NULL
);
CREATE INDEX objection_proofs_objection ON objection_proofs(objection_id, id);
