-- API2Cart-compatible webhooks (`/v1.1/webhook.*`): a subscription's delivery format
-- ('polycart' batches, or 'api2cart' one-event callbacks), the API2Cart webhook's
-- numeric id, and its settings (entity, action, label, fields, active) as JSON.
ALTER TABLE subscriptions ADD COLUMN format TEXT NOT NULL DEFAULT 'polycart';
ALTER TABLE subscriptions ADD COLUMN webhook_id INTEGER;
ALTER TABLE subscriptions ADD COLUMN api2cart TEXT;
CREATE UNIQUE INDEX subscriptions_webhook_id ON subscriptions (webhook_id);
