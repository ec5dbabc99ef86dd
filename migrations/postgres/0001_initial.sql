-- polycart sync store, PostgreSQL schema.

CREATE TABLE stores (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    platform        TEXT NOT NULL,
    base_url        TEXT NOT NULL,
    credentials     BYTEA,
    settings        TEXT NOT NULL DEFAULT '{}',
    entities        TEXT NOT NULL DEFAULT '',
    interval_secs   BIGINT NOT NULL DEFAULT 300,
    state           TEXT NOT NULL DEFAULT 'active',
    failures        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    retry_at        TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE records (
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    updated_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ,
    hash            TEXT NOT NULL,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    seen_pass       BIGINT NOT NULL DEFAULT 0,
    synced_at       TIMESTAMPTZ NOT NULL,
    -- The current version: its document, in documents.
    document_id     BIGINT NOT NULL,
    PRIMARY KEY (store_id, entity, platform_id)
);
-- Live records by update time. Partial, so that the key lookups of a page (store, entity,
-- platform id) can only take the primary key, even on a table without statistics yet.
CREATE INDEX records_updated ON records (store_id, entity, updated_at) WHERE NOT deleted;

-- Every version of a record ever written, stored once and never rewritten: a record
-- points at its current version, a change at the version it announces (the feed
-- delivers each version as it was written). Numbered from the document_ids sequence
-- (which locks nothing: concurrent pages do not wait for each other's ids).
CREATE TABLE documents (
    id              BIGINT PRIMARY KEY,
    -- The record's JSON, LZ4-compressed by polycart (src/store/packed.rs).
    document        BYTEA NOT NULL
);
CREATE SEQUENCE document_ids;
-- Documents arrive compressed: PostgreSQL neither compresses them again (EXTERNAL) nor
-- moves them out of line while a row fits in a page (toast_tuple_target), so a typical
-- document is one heap row, not a row plus TOAST chunks and their index entries.
ALTER TABLE documents ALTER COLUMN document SET STORAGE EXTERNAL;
ALTER TABLE documents SET (toast_tuple_target = 8160);

-- Counters: 'change_seq' numbers the change feed (taken inside the committing
-- transaction, so sequence order is commit order), 'pass' numbers sync passes.
CREATE TABLE counters (
    name            TEXT PRIMARY KEY,
    value           BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('change_seq', 0), ('pass', 0), ('write_lock', 0);

CREATE TABLE changes (
    seq             BIGINT PRIMARY KEY,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    document_id     BIGINT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX changes_store ON changes (store_id, seq);

CREATE TABLE cursors (
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    watermark       TIMESTAMPTZ,
    last_full_at    TIMESTAMPTZ,
    -- When the last finished pass started: everything changed before it is stored.
    synced_through  TIMESTAMPTZ,
    pass            TEXT,
    PRIMARY KEY (store_id, entity)
);

CREATE TABLE sync_runs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    worker          TEXT NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    pages           BIGINT NOT NULL DEFAULT 0,
    records         BIGINT NOT NULL DEFAULT 0,
    changed         BIGINT NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX sync_runs_store ON sync_runs (store_id, entity, started_at);

CREATE TABLE jobs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    entity          TEXT NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    -- Leases granted so far; the current lease's fencing token (commits check it).
    attempts        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (store_id, entity)
);
CREATE INDEX jobs_due ON jobs (due_at);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    store_ids       TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          BYTEA NOT NULL,
    store_id        TEXT,
    last_seq        BIGINT NOT NULL DEFAULT 0,
    failures        BIGINT NOT NULL DEFAULT 0,
    retry_at        TIMESTAMPTZ,
    last_error      TEXT,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    first_seq       BIGINT NOT NULL,
    last_seq        BIGINT NOT NULL,
    status          BIGINT,
    error           TEXT,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, id);

-- Write requests by Idempotency-Key, per API key: the first response is replayed, a
-- request still running holds the key (status NULL), old keys are pruned.
CREATE TABLE idempotency_keys (
    key_id          TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status          BIGINT,
    body            TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
