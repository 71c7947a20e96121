-- Signed checkpoints over the audit stream heads (DESIGN §6, issue 5).
-- SQL Server: bigint, datetimeoffset(6), nvarchar; hashes as lowercase hex, signatures as base64.

-- One row per checkpoint. The sequence is the checkpoint's id: 1, 2, 3 … with no gaps. Its primary key, and the
-- unique previous_sequence, make a second replica that tries to seal the same successor fail with a duplicate key
-- instead of forking the history; the loser re-reads and retries or skips.
CREATE TABLE audit_checkpoints (
    sequence BIGINT NOT NULL PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    root_hash NVARCHAR(64) NOT NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    key_id NVARCHAR(64) NOT NULL,
    signature NVARCHAR(200) NOT NULL,
    previous_sequence BIGINT NULL,
    previous_root_hash NVARCHAR(64) NULL
);
CREATE UNIQUE INDEX ux_audit_checkpoints_previous ON audit_checkpoints (previous_sequence) WHERE previous_sequence IS NOT NULL;

-- The stream heads a checkpoint sealed, delta-encoded: a checkpoint stores the heads that are new or moved since its
-- predecessor. Its full snapshot is, per stream, the row with the greatest checkpoint_sequence up to its own.
CREATE TABLE audit_checkpoint_heads (
    checkpoint_sequence BIGINT NOT NULL REFERENCES audit_checkpoints (sequence),
    stream_id NVARCHAR(100) NOT NULL,
    seq BIGINT NOT NULL,
    hash NVARCHAR(64) NOT NULL,
    PRIMARY KEY (checkpoint_sequence, stream_id)
);
CREATE INDEX ix_audit_checkpoint_heads_stream ON audit_checkpoint_heads (stream_id, checkpoint_sequence);

-- Auditor queries: activity by organisation or principal in global order, breaches by due time.
CREATE INDEX ix_audit_events_organisation ON audit_events (organisation_id, global_seq);
CREATE INDEX ix_audit_events_principal ON audit_events (principal_id, global_seq);
CREATE INDEX ix_deadline_breaches_due_referral ON deadline_breaches (due_at, referral_id);
