-- A committing transaction appends its changes here, unnumbered; they are numbered
-- into `changes` afterwards, in the order they became visible, by whoever next reads
-- the feed (holding the 'change_seq' counter's row lock, one numbering at a time; see
-- `sequence_changes` in src/store/postgres.rs). Before, every page commit took that
-- row lock itself and held it through its WAL flush, so the commits of concurrent
-- workers queued one behind another and the fleet stopped scaling at two workers.
-- A reader still never misses a change: a change gets its number only once it is
-- committed, and always a larger one than any number given before.
CREATE TABLE unsequenced_changes (
    id              BIGSERIAL PRIMARY KEY,
    store_id        TEXT NOT NULL,
    entity          TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    document_id     BIGINT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX unsequenced_changes_document ON unsequenced_changes (document_id);

-- Sync pass numbers from a sequence instead of the 'pass' counter row, for the same
-- reason: taking a number no longer waits for another transaction's commit.
CREATE SEQUENCE pass_ids;
SELECT setval('pass_ids', (SELECT value FROM counters WHERE name = 'pass') + 1, false);
DELETE FROM counters WHERE name = 'pass';
