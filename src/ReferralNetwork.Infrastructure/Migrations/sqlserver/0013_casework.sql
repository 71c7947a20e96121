-- Issue 17: casework. A referral carries a reference people can say on the phone (RN-2026-004213): unique, sequential
-- per year (gaps allowed: a rolled-back submit spends its number), taken from a per-year counter row in the submit's
-- own transaction. Referrals submitted before this migration keep a NULL reference: their submitted events carry none,
-- and verify holds the column to what the events say.
ALTER TABLE referrals ADD reference NVARCHAR(20) NULL;
GO
-- Filtered: SQL Server's unique index would otherwise allow one NULL only.
CREATE UNIQUE INDEX ux_referrals_reference ON referrals (reference) WHERE reference IS NOT NULL;

CREATE TABLE referral_reference_counters (
    ref_year INT NOT NULL PRIMARY KEY,
    last_number BIGINT NOT NULL
);

-- Search on sealed identities: keyed blind-index terms (HMAC-SHA256 under a key derived from the master key, truncated
-- to 16 bytes) of each person's folded name tokens, their phonetic keys and phone digits. No term is stored in clear;
-- master_key_id says which key the hash is under, so rotate-master-key can re-key the index. Erasure deletes the rows.
CREATE TABLE person_search_terms (
    person_id UNIQUEIDENTIFIER NOT NULL REFERENCES persons (id),
    kind NVARCHAR(20) NOT NULL,
    term_hash VARBINARY(16) NOT NULL,
    master_key_id NVARCHAR(50) NOT NULL,
    PRIMARY KEY (person_id, kind, term_hash)
);
CREATE INDEX ix_person_search_terms_hash ON person_search_terms (term_hash, person_id);
CREATE INDEX ix_person_search_terms_key ON person_search_terms (master_key_id, person_id);
