-- Security review (issue 14). API keys may carry an expiry. A stored idempotent answer belongs to the principal that made
-- the request (a replay is answered to that principal only), names the person it concerns (erasure purges it in the same
-- transaction) and the master key its data key is wrapped by (rotation re-wraps it like any other sealed thing).
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ NULL;
ALTER TABLE idempotency_keys ADD COLUMN principal_id UUID NULL;
ALTER TABLE idempotency_keys ADD COLUMN person_id UUID NULL;
ALTER TABLE idempotency_keys ADD COLUMN master_key_id VARCHAR(50) NULL;
-- Answers stored before this migration carry their master key id inside the sealed text: sealed:v1:{id}:{key}:{data}.
UPDATE idempotency_keys SET master_key_id = split_part(response_body, ':', 3) WHERE response_body LIKE 'sealed:v1:%';
CREATE INDEX ix_idempotency_person ON idempotency_keys (person_id);
