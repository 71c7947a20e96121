-- Issue 17 point 5: documents attached to a referral (consent scans, medical letters, asylum papers). The content is
-- sealed in 64 KiB chunks under a key derived from the person's data key (AES-256-GCM, the chunk's index and a
-- final-chunk flag in its nonce and associated data), so erasing the person shreds every document of theirs. The file
-- name may name the person: it is sealed too. Type, size and SHA-256 of the content stay in clear: the audit event
-- attachment.added carries exactly these, and verify holds the row to it. storage says where the chunks are:
-- 'database' (attachment_chunks) or 'folder' (Attachments:Folder, one file of ciphertext per attachment).
CREATE TABLE attachments (
    id TEXT NOT NULL PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    principal_id TEXT NOT NULL,
    file_name_sealed BLOB NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    storage TEXT NOT NULL,
    created_at TEXT NOT NULL,
    erased_at TEXT NULL
);
CREATE INDEX ix_attachments_referral ON attachments (referral_id, created_at);
CREATE INDEX ix_attachments_person ON attachments (person_id);

-- The chunks are written while the upload streams in, before the row that describes them (whose size and hash are known
-- only at the end), in the same transaction: hence no foreign key to attachments.
CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (attachment_id, chunk_index)
);

-- A consent record may point to its scan: an attachment of a referral of the same person.
ALTER TABLE consents ADD COLUMN scan_attachment_id TEXT NULL REFERENCES attachments (id);
