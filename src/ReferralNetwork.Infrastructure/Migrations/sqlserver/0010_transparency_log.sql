-- The transparency log over every audit event (issue 19): RFC 9162 hashing, C2SP signed checkpoints, witness cosignatures.
-- Hashes as lowercase hex, like the other audit tables.

-- One row per audit event in the log, log_index contiguous from 0. Indices are assigned by the sequencer (never at
-- insert), in global_seq order, only to events that are committed and behind every in-flight write (see
-- LogSequencer.cs); the primary key and the unique global_seq make a second sequencer fail instead of forking.
CREATE TABLE audit_log_entries (
    log_index BIGINT NOT NULL PRIMARY KEY,
    global_seq BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_audit_log_entries_event ON audit_log_entries (global_seq);

-- The hashes of the perfect subtrees of the log: leaves [node_index·2^level, (node_index+1)·2^level). Level 0 holds
-- the leaf hashes SHA-256(0x00 ‖ the event's 32-byte chain hash). Every proof is made of these.
CREATE TABLE audit_log_nodes (
    level INT NOT NULL,
    node_index BIGINT NOT NULL,
    hash NVARCHAR(64) NOT NULL,
    PRIMARY KEY (level, node_index)
);

-- Every signed tree head: the checkpoint note (text and the log's signature line), one per size.
CREATE TABLE audit_log_checkpoints (
    tree_size BIGINT NOT NULL PRIMARY KEY,
    root_hash NVARCHAR(64) NOT NULL,
    note NVARCHAR(MAX) NOT NULL,
    created_at DATETIMEOFFSET(6) NOT NULL
);

-- The witnesses' cosignatures of a checkpoint (c2sp.org/tlog-cosignature signature lines), verified before storing.
CREATE TABLE audit_log_cosignatures (
    tree_size BIGINT NOT NULL REFERENCES audit_log_checkpoints (tree_size),
    witness_name NVARCHAR(200) NOT NULL,
    signature_line NVARCHAR(MAX) NOT NULL,
    cosigned_at DATETIMEOFFSET(6) NOT NULL,
    PRIMARY KEY (tree_size, witness_name)
);
