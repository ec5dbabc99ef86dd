-- What a run's adapter said of how it listed: e.g. that a Shopify full pass paged the
-- API because no bulk export could serve it, and why.
ALTER TABLE sync_runs ADD COLUMN note TEXT;
