-- Issue 17: casework. A referral carries a reference people can say on the phone (RN-2026-004213): unique, sequential
-- per year (gaps allowed: a rolled-back submit spends its number), taken from a per-year counter row in the submit's
-- own transaction. Referrals submitted before this migration keep a NULL reference: their submitted events carry none,
-- and verify holds the column to what the events say.
ALTER TABLE referrals ADD COLUMN reference VARCHAR(20) NULL;
CREATE UNIQUE INDEX ux_referrals_reference ON referrals (reference);

CREATE TABLE referral_reference_counters (
    ref_year INTEGER NOT NULL PRIMARY KEY,
    last_number BIGINT NOT NULL
);

-- Search on sealed identities: keyed blind-index terms (HMAC-SHA256 under a key derived from the master key, truncated
-- to 16 bytes) of each person's folded name tokens, their phonetic keys and phone digits. No term is stored in clear;
-- master_key_id says which key the hash is under, so rotate-master-key can re-key the index. Erasure deletes the rows.
CREATE TABLE person_search_terms (
    person_id UUID NOT NULL REFERENCES persons (id),
    kind VARCHAR(20) NOT NULL,
    term_hash BYTEA NOT NULL,
    master_key_id VARCHAR(50) NOT NULL,
    PRIMARY KEY (person_id, kind, term_hash)
);
CREATE INDEX ix_person_search_terms_hash ON person_search_terms (term_hash, person_id);
CREATE INDEX ix_person_search_terms_key ON person_search_terms (master_key_id, person_id);

-- The worklist (sort=due): the earliest due time of the referral's open duties, kept on the row by the one write path
-- so that "due next" is an index range, not a subquery per row. NULL when no duty is open. Backfilled from the duties.
ALTER TABLE referrals ADD COLUMN next_due_at TIMESTAMPTZ NULL;
UPDATE referrals SET next_due_at = (SELECT MIN(d.due_at) FROM referral_duties d WHERE d.referral_id = referrals.id AND d.closed_at IS NULL);
CREATE INDEX ix_referrals_inbox_due ON referrals (receiver_organisation_id, next_due_at, id);
CREATE INDEX ix_referrals_outbox_due ON referrals (referrer_organisation_id, next_due_at, id);
