-- The open catalogue's generation (开放目录版本, OPN-3): a counter that every
-- change to what the public portal lists moves — catalogue entries,
-- datasets (a load, a new version), derivations and their re-identification
-- checks — so that a server keeps its copy of the open list exactly as long
-- as nothing it was built from changed, and reads one row to know it.
CREATE TABLE open_generation (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    n   BIGINT NOT NULL
);
INSERT INTO open_generation (one, n) VALUES (1, 0);

-- Moved at commit (deferred constraint triggers), after every other lock the
-- transaction takes: writers queue on the counter's row only while they
-- commit, so it adds no lock-order deadlock.
CREATE FUNCTION open_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE open_generation SET n = n + 1 WHERE one = 1;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER open_generation_catalog_entries AFTER INSERT OR UPDATE OR DELETE ON catalog_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION open_generation_bump();
CREATE CONSTRAINT TRIGGER open_generation_datasets AFTER INSERT OR UPDATE OR DELETE ON datasets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION open_generation_bump();
CREATE CONSTRAINT TRIGGER open_generation_derivations AFTER INSERT OR UPDATE OR DELETE ON derivations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION open_generation_bump();
CREATE CONSTRAINT TRIGGER open_generation_reid_checks AFTER INSERT OR UPDATE OR DELETE ON reid_checks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION open_generation_bump();
