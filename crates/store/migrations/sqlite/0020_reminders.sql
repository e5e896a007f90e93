-- Reminders (到期提醒, CAL-2): every case reminds its responding
-- organisation before its deadline (`due_soon`) and when it turns overdue
-- (`overdue`), once each, in the organisation's inbox; an organisation may
-- register a webhook, to which each reminder is POSTed, HMAC-signed,
-- retried with backoff, every attempt recorded.

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    kind         TEXT NOT NULL CHECK (kind IN ('due_soon','overdue')),
    due_on       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    read_at      TEXT,
    read_by      TEXT,
    UNIQUE (case_id, kind)
);
CREATE INDEX notifications_org ON notifications(org_id, id);

CREATE TABLE webhooks (
    org_id       INTEGER PRIMARY KEY REFERENCES orgs(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,            -- the shared HMAC key
    active       INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    url             TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts        INTEGER NOT NULL,
    last_status     INTEGER,                -- the receiver's HTTP status
    last_error      TEXT,
    next_at         TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_at);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries(org_id, id);
