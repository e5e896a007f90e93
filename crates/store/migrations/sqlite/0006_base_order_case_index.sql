-- The order base databases are listed in, and the index the deadline sweep
-- reads. (PostgreSQL databases created before this migration had both from
-- 0002 and 0004; SQLite databases had neither.)

ALTER TABLE base_tables ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE base_tables SET position = 1 WHERE code = 'population';
UPDATE base_tables SET position = 2 WHERE code = 'legal_person';
UPDATE base_tables SET position = 3 WHERE code = 'geo';
UPDATE base_tables SET position = 4 WHERE code = 'licence';

CREATE INDEX IF NOT EXISTS cases_open_due ON cases(due_on) WHERE state = 'open' AND overdue_at IS NULL;
