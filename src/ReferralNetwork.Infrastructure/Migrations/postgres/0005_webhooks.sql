-- Webhooks (DESIGN §7): subscriptions, one delivery per (subscription, outbox message), and every attempt made.
-- PostgreSQL: uuid, timestamptz, varchar, boolean, bytea.
--
-- The signing secret is never stored in clear: secret_sealed is AES-256-GCM under a per-subscription data key, which
-- is itself wrapped by the configured master key (the same envelope as personal data; see IPersonalDataProtector).
-- Deliveries copy what their payload needs from the outbox row (no foreign key to it), so the outbox can be pruned.

CREATE TABLE webhook_subscriptions (
    id UUID NOT NULL PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    url VARCHAR(2048) NOT NULL,
    events VARCHAR(1000) NOT NULL,
    description VARCHAR(200) NULL,
    secret_sealed BYTEA NOT NULL,
    wrapped_key BYTEA NOT NULL,
    master_key_id VARCHAR(50) NOT NULL,
    active BOOLEAN NOT NULL,
    disabled_reason VARCHAR(30) NULL,
    disabled_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NULL,
    deleted_at TIMESTAMPTZ NULL
);
CREATE INDEX ix_webhook_subscriptions_organisation ON webhook_subscriptions (organisation_id, created_at);

CREATE TABLE webhook_deliveries (
    id UUID NOT NULL PRIMARY KEY,
    subscription_id UUID NOT NULL REFERENCES webhook_subscriptions (id),
    message_id UUID NOT NULL,
    event_type VARCHAR(60) NOT NULL,
    referral_id UUID NULL,
    referral_status VARCHAR(20) NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    state VARCHAR(20) NOT NULL,
    attempts INTEGER NOT NULL,
    round_attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NULL,
    lease_owner VARCHAR(100) NULL,
    lease_until TIMESTAMPTZ NULL,
    last_status_code INTEGER NULL,
    delivered_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_webhook_deliveries_message ON webhook_deliveries (subscription_id, message_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id UUID NOT NULL REFERENCES webhook_deliveries (id),
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER NULL,
    error VARCHAR(1000) NULL,
    next_attempt_at TIMESTAMPTZ NULL,
    PRIMARY KEY (delivery_id, attempt)
);
