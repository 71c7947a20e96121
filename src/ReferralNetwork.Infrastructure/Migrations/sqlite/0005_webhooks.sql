-- Webhooks (DESIGN §7): subscriptions, one delivery per (subscription, outbox message), and every attempt made.
-- SQLite: ids as canonical lowercase uuid text, times as fixed-width UTC text, booleans as 0/1.
--
-- The signing secret is never stored in clear: secret_sealed is AES-256-GCM under a per-subscription data key, which
-- is itself wrapped by the configured master key (the same envelope as personal data; see IPersonalDataProtector).
-- Deliveries copy what their payload needs from the outbox row (no foreign key to it), so the outbox can be pruned.

CREATE TABLE webhook_subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT NULL,
    secret_sealed BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    master_key_id TEXT NOT NULL,
    active INTEGER NOT NULL,
    disabled_reason TEXT NULL,
    disabled_at TEXT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NULL,
    deleted_at TEXT NULL
);
CREATE INDEX ix_webhook_subscriptions_organisation ON webhook_subscriptions (organisation_id, created_at);

CREATE TABLE webhook_deliveries (
    id TEXT NOT NULL PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    referral_id TEXT NULL,
    referral_status TEXT NULL,
    occurred_at TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    round_attempts INTEGER NOT NULL,
    next_attempt_at TEXT NULL,
    lease_owner TEXT NULL,
    lease_until TEXT NULL,
    last_status_code INTEGER NULL,
    delivered_at TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_webhook_deliveries_message ON webhook_deliveries (subscription_id, message_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt INTEGER NOT NULL,
    attempted_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER NULL,
    error TEXT NULL,
    next_attempt_at TEXT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
