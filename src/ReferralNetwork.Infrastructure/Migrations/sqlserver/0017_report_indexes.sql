-- Reports (issue 18): statistics and indicators select a month's or quarter's referrals by submission time, and
-- duties and breaches by due time; without these indexes every report query scanned the whole table.
CREATE INDEX ix_referrals_created ON referrals (created_at);
CREATE INDEX ix_referral_duties_due_at ON referral_duties (due_at);
CREATE INDEX ix_deadline_breaches_due_at ON deadline_breaches (due_at);
