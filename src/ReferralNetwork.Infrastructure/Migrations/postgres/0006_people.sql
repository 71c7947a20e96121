-- People's data (issue 6): consent withdrawal with its reason sealed under the person's data key, the erasure record,
-- and the lookup from a consent to the referrals that rely on it.
ALTER TABLE consents ADD COLUMN withdrawn_by_organisation_id UUID NULL REFERENCES organisations (id);
ALTER TABLE consents ADD COLUMN withdrawal_reason_sealed BYTEA NULL;
ALTER TABLE persons ADD COLUMN erasure_reason VARCHAR(500) NULL;
CREATE INDEX ix_referrals_consent ON referrals (consent_id);
