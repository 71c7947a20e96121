-- Security review (issue 14). API keys may carry an expiry. A stored idempotent answer belongs to the principal that made
-- the request (a replay is answered to that principal only), names the person it concerns (erasure purges it in the same
-- transaction) and the master key its data key is wrapped by (rotation re-wraps it like any other sealed thing).
ALTER TABLE api_keys ADD expires_at DATETIMEOFFSET(6) NULL;
ALTER TABLE idempotency_keys ADD principal_id UNIQUEIDENTIFIER NULL;
ALTER TABLE idempotency_keys ADD person_id UNIQUEIDENTIFIER NULL;
ALTER TABLE idempotency_keys ADD master_key_id NVARCHAR(50) NULL;
GO
-- Answers stored before this migration carry their master key id inside the sealed text: sealed:v1:{id}:{key}:{data}.
-- (A batch of its own: SQL Server compiles a batch before it runs, and the columns above do not exist until then.)
UPDATE idempotency_keys SET master_key_id = SUBSTRING(response_body, 11, CHARINDEX(':', response_body, 11) - 11)
WHERE response_body LIKE 'sealed:v1:%';
CREATE INDEX ix_idempotency_person ON idempotency_keys (person_id);
