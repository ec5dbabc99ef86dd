-- Platform webhook deliveries already handled, by the platform's delivery id, so a
-- retried or replayed delivery is recognised for a day (then forgotten).
CREATE TABLE webhook_deliveries (
    store_id        TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_id, delivery_id)
);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (received_at);
