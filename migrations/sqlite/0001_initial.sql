-- polycart sync store, SQLite schema. Timestamps are RFC 3339 text (UTC).

CREATE TABLE stores (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    platform        TEXT NOT NULL,
    base_url        TEXT NOT NULL,
    credentials     BLOB,
    settings        TEXT NOT NULL DEFAULT '{}',
    entities        TEXT NOT NULL DEFAULT '',
    interval_secs   INTEGER NOT NULL DEFAULT 300,
    state           TEXT NOT NULL DEFAULT 'active',
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    retry_at        TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE records (
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    updated_at      TEXT,
    created_at      TEXT,
    hash            TEXT NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    seen_pass       INTEGER NOT NULL DEFAULT 0,
    synced_at       TEXT NOT NULL,
    -- The current version: its document, in documents.
    document_id     INTEGER NOT NULL,
    PRIMARY KEY (store_id, entity, platform_id)
) WITHOUT ROWID;
-- Live records by update time. Partial, so that the key lookups of a page (store, entity,
-- platform id) can only take the primary key, even on a table without statistics yet.
CREATE INDEX records_updated ON records (store_id, entity, updated_at) WHERE deleted = 0;

-- Every version of a record ever written, stored once and never rewritten: a record
-- points at its current version, a change at the version it announces (the feed
-- delivers each version as it was written). Numbered from the 'document' counter.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    -- The record's JSON, LZ4-compressed by polycart (src/store/packed.rs).
    document        BLOB NOT NULL
);

-- Counters: 'change_seq' numbers the change feed (taken inside the committing
-- transaction, so sequence order is commit order), 'pass' numbers sync passes,
-- 'document' numbers documents.
CREATE TABLE counters (
    name            TEXT PRIMARY KEY,
    value           INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('change_seq', 0), ('pass', 0), ('write_lock', 0), ('document', 0);

CREATE TABLE changes (
    seq             INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    document_id     INTEGER NOT NULL,
    at              TEXT NOT NULL
);
CREATE INDEX changes_store ON changes (store_id, seq);

CREATE TABLE cursors (
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    watermark       TEXT,
    last_full_at    TEXT,
    -- When the last finished pass started: everything changed before it is stored.
    synced_through  TEXT,
    pass            TEXT,
    PRIMARY KEY (store_id, entity)
);

CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    worker          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    pages           INTEGER NOT NULL DEFAULT 0,
    records         INTEGER NOT NULL DEFAULT 0,
    changed         INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX sync_runs_store ON sync_runs (store_id, entity, started_at);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    -- Leases granted so far; the current lease's fencing token (commits check it).
    attempts        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (store_id, entity)
);
CREATE INDEX jobs_due ON jobs (due_at);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    store_ids       TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          BLOB NOT NULL,
    store_id        TEXT,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    retry_at        TEXT,
    last_error      TEXT,
    lease_owner     TEXT,
    lease_until     TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    status          INTEGER,
    error           TEXT,
    at              TEXT NOT NULL
);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, id);

-- Write requests by Idempotency-Key, per API key: the first response is replayed, a
-- request still running holds the key (status NULL), old keys are pruned.
CREATE TABLE idempotency_keys (
    key_id          TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status          INTEGER,
    body            TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
