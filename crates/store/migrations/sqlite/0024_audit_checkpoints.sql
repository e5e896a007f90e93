-- Audit checkpoints (审计检查点, SEC-3): the audit chain head — records
-- written and the last record's hash — signed at a time with a key held
-- outside the database, and where the signed files went. A run that failed
-- is recorded too (ok = 0, error says why).
CREATE TABLE audit_checkpoints (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    records     INTEGER NOT NULL,
    head        TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL,
    file        TEXT NOT NULL,
    copies      INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    instance    TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_at ON audit_checkpoints(at);

-- The platform's crypto profile (international: SHA-256/Ed25519/age; guomi
-- 国密: SM3/SM2/SM4), beside the chain head it governs. Set while the chain
-- is empty (first start, restore, migrate-store), fixed afterwards.
ALTER TABLE audit_head ADD COLUMN crypto_profile TEXT NOT NULL DEFAULT 'international';
