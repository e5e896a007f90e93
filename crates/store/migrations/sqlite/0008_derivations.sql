-- Desensitised derivatives (脱敏衍生, SHR-6): a derived catalogue entry and
-- dataset made from a parent dataset by masking, keyed pseudonymisation,
-- generalisation or dropping fields; refreshed when the parent gets a new
-- version. And the masking rules (脱敏规则) by data item name, as data.

CREATE TABLE derivations (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    parent_dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    parent_entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    entry_id          INTEGER NOT NULL UNIQUE REFERENCES catalog_entries(id),
    dataset_id        INTEGER REFERENCES datasets(id),   -- made when the entry is published
    transforms        TEXT NOT NULL,          -- JSON [[field, transformation]] in the parent's order
    secret            TEXT NOT NULL,          -- hex HMAC key of the pseudonyms; never leaves the store's callers
    parent_version    INTEGER NOT NULL DEFAULT 0, -- the parent version the derived dataset holds
    last_refresh_at   TEXT,
    last_error        TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX derivations_parent ON derivations(parent_dataset_id);
CREATE INDEX derivations_org ON derivations(org_id, id);

CREATE TABLE masking_rules (
    position          INTEGER PRIMARY KEY,    -- the first rule whose words match an item wins
    words             TEXT NOT NULL,          -- JSON array: any of them in the item's name
    rule              TEXT NOT NULL,          -- masking notation (keep:6,4, name, address …)
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
