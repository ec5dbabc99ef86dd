-- Schema drift: the shape (field paths and JSON types) each platform × entity × API
-- version's records were first seen with, what later records had that did not fit it,
-- and the deprecations platforms announced per store. Bounded: one shape per platform
-- × entity × version, at most 200 drift rows each (the store caps it), one deprecation
-- per store and version.
CREATE TABLE schema_shapes (
    platform        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    api_version     TEXT NOT NULL,
    shape           TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (platform, entity, api_version)
);
CREATE TABLE schema_drift (
    platform        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    api_version     TEXT NOT NULL,
    field           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    seen_type       TEXT NOT NULL,
    expected_type   TEXT,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    count           INTEGER NOT NULL,
    PRIMARY KEY (platform, entity, api_version, field, kind, seen_type)
);
CREATE TABLE api_deprecations (
    platform        TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    api_version     TEXT NOT NULL,
    reason          TEXT NOT NULL,
    sunset          TEXT,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    PRIMARY KEY (store_id, api_version)
);
