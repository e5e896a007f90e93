-- The open catalogue's generation (开放目录版本, OPN-3): a counter that every
-- change to what the public portal lists moves — catalogue entries,
-- datasets (a load, a new version), derivations and their re-identification
-- checks — so that a server keeps its copy of the open list exactly as long
-- as nothing it was built from changed, and reads one row to know it.
CREATE TABLE open_generation (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    n   INTEGER NOT NULL
);
INSERT INTO open_generation (one, n) VALUES (1, 0);

-- SQLite has one writer: the counter moves in the changing transaction.
CREATE TRIGGER open_generation_catalog_entries_insert AFTER INSERT ON catalog_entries
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_catalog_entries_update AFTER UPDATE ON catalog_entries
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_catalog_entries_delete AFTER DELETE ON catalog_entries
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_datasets_insert AFTER INSERT ON datasets
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_datasets_update AFTER UPDATE ON datasets
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_datasets_delete AFTER DELETE ON datasets
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_derivations_insert AFTER INSERT ON derivations
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_derivations_update AFTER UPDATE ON derivations
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_derivations_delete AFTER DELETE ON derivations
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_reid_checks_insert AFTER INSERT ON reid_checks
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_reid_checks_update AFTER UPDATE ON reid_checks
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
CREATE TRIGGER open_generation_reid_checks_delete AFTER DELETE ON reid_checks
BEGIN UPDATE open_generation SET n = n + 1 WHERE one = 1; END;
