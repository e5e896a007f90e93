-- Datasets (shape 3): declared columns and key; contents live in one table
-- per dataset, ds_<id>, with the version range of each row (_from, _to).

CREATE TABLE datasets (
    id              INTEGER PRIMARY KEY,
    entry_id        INTEGER NOT NULL REFERENCES catalog_entries(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT NOT NULL,
    columns         TEXT NOT NULL,   -- JSON array of columns with their checks
    key_columns     TEXT NOT NULL,   -- JSON array of column names
    frequency       TEXT NOT NULL,   -- the entry's update frequency at creation
    current_version INTEGER NOT NULL DEFAULT 0,
    row_count       INTEGER NOT NULL DEFAULT 0,
    last_load_at    TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (entry_id, name)
);
CREATE INDEX datasets_org ON datasets(org_id, id);

CREATE TABLE dataset_versions (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    version    INTEGER NOT NULL,
    mode       TEXT NOT NULL CHECK (mode IN ('file','push','pull')),
    source     TEXT NOT NULL DEFAULT '',
    rows_in    INTEGER NOT NULL,
    inserted   INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    flagged    INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- Violations of `flag` rules: quality issues for the source department.
CREATE TABLE quality_issues (
    id         INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    version    INTEGER NOT NULL,
    row_no     INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    value      TEXT NOT NULL,
    rule       TEXT NOT NULL,
    message    TEXT NOT NULL
);
CREATE INDEX quality_issues_dataset ON quality_issues(dataset_id, version);

-- An agency that cannot aggregate by interface, table or file files an
-- exemption (备案) that the city authority sees (AGG-1).
CREATE TABLE aggregation_exemptions (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    entry_id   INTEGER REFERENCES catalog_entries(id),
    reason     TEXT NOT NULL,
    filed_by   TEXT NOT NULL,
    filed_at   TEXT NOT NULL
);
CREATE INDEX aggregation_exemptions_org ON aggregation_exemptions(org_id, id);

-- Table pulls (库表): where the platform reads an agency's own database.
CREATE TABLE pull_sources (
    dataset_id         INTEGER PRIMARY KEY REFERENCES datasets(id),
    url                TEXT NOT NULL,
    query              TEXT NOT NULL,    -- a table name or a SELECT
    incremental_column TEXT,
    last_value         TEXT,
    last_pull_at       TEXT,
    last_error         TEXT,
    updated_at         TEXT NOT NULL
);
