-- Webhooks (DESIGN §7): subscriptions, one delivery per (subscription, outbox message), and every attempt made.
-- SQL Server: uniqueidentifier, datetimeoffset(6), nvarchar, bit, varbinary.
--
-- The signing secret is never stored in clear: secret_sealed is AES-256-GCM under a per-subscription data key, which
-- is itself wrapped by the configured master key (the same envelope as personal data; see IPersonalDataProtector).
-- Deliveries copy what their payload needs from the outbox row (no foreign key to it), so the outbox can be pruned.

CREATE TABLE webhook_subscriptions (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    url NVARCHAR(2048) NOT NULL,
    events NVARCHAR(1000) NOT NULL,
    description NVARCHAR(200) NULL,
    secret_sealed VARBINARY(MAX) NOT NULL,
    wrapped_key VARBINARY(MAX) NOT NULL,
    master_key_id NVARCHAR(50) NOT NULL,
    active BIT NOT NULL,
    disabled_reason NVARCHAR(30) NULL,
    disabled_at DATETIMEOFFSET(6) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    created_by UNIQUEIDENTIFIER NULL,
    deleted_at DATETIMEOFFSET(6) NULL
);
CREATE INDEX ix_webhook_subscriptions_organisation ON webhook_subscriptions (organisation_id, created_at);

CREATE TABLE webhook_deliveries (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    subscription_id UNIQUEIDENTIFIER NOT NULL REFERENCES webhook_subscriptions (id),
    message_id UNIQUEIDENTIFIER NOT NULL,
    event_type NVARCHAR(60) NOT NULL,
    referral_id UNIQUEIDENTIFIER NULL,
    referral_status NVARCHAR(20) NULL,
    occurred_at DATETIMEOFFSET(6) NOT NULL,
    state NVARCHAR(20) NOT NULL,
    attempts INT NOT NULL,
    round_attempts INT NOT NULL,
    next_attempt_at DATETIMEOFFSET(6) NULL,
    lease_owner NVARCHAR(100) NULL,
    lease_until DATETIMEOFFSET(6) NULL,
    last_status_code INT NULL,
    delivered_at DATETIMEOFFSET(6) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL
);
CREATE UNIQUE INDEX ux_webhook_deliveries_message ON webhook_deliveries (subscription_id, message_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id UNIQUEIDENTIFIER NOT NULL REFERENCES webhook_deliveries (id),
    attempt INT NOT NULL,
    attempted_at DATETIMEOFFSET(6) NOT NULL,
    duration_ms INT NOT NULL,
    status_code INT NULL,
    error NVARCHAR(1000) NULL,
    next_attempt_at DATETIMEOFFSET(6) NULL,
    PRIMARY KEY (delivery_id, attempt)
);
