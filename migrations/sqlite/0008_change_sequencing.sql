-- PostgreSQL's queue of committed changes not yet numbered (see its migration 0008).
-- SQLite has one writer at a time and numbers each change as it commits it, so this
-- table stays empty here; it exists so the SQL both backends share can name it.
CREATE TABLE unsequenced_changes (
    id              INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    document_id     INTEGER NOT NULL,
    at              TEXT NOT NULL
);
CREATE INDEX unsequenced_changes_document ON unsequenced_changes (document_id);
