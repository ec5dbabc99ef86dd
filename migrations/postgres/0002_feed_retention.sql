-- Change-feed retention and compaction, sync-run states.

-- How far the feed has been pruned: every change up to this sequence number is gone
-- (the feed is always a suffix). 'changes_pruned' is the whole feed's horizon,
-- feed_horizons each store's (the highest pruned change of that store), so a reader
-- following one store is told of a gap only when that store's changes went missing.
INSERT INTO counters (name, value) VALUES ('changes_pruned', 0);
CREATE TABLE feed_horizons (
    store_id        TEXT PRIMARY KEY,
    pruned_through  BIGINT NOT NULL
);

-- Compaction asks whether a document is still referenced by a record or a change.
CREATE INDEX records_document ON records (document_id);
CREATE INDEX changes_document ON changes (document_id);

-- A run is 'running', then 'finished', 'failed', or 'abandoned' (its worker died and
-- another took the job's lease over). A run under a lease names the job and the
-- lease's fencing token, so a takeover closes exactly the runs of earlier leases.
ALTER TABLE sync_runs ADD COLUMN state TEXT NOT NULL DEFAULT 'running';
ALTER TABLE sync_runs ADD COLUMN job_id BIGINT;
ALTER TABLE sync_runs ADD COLUMN lease_token BIGINT;
UPDATE sync_runs SET state = CASE WHEN finished_at IS NULL THEN 'running'
    WHEN error IS NULL THEN 'finished' ELSE 'failed' END;
CREATE INDEX sync_runs_running ON sync_runs (job_id) WHERE state = 'running';
