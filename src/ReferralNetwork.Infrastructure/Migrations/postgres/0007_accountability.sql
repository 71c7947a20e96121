-- Accountability (issue 13): every deadline is a duty with a holder; a breach names the duty's holder, who was
-- responsible at the due time, and when the holder finally acted; the override records who submitted it (four eyes);
-- escalation targets and webhook payload data. These tables are projections of the referral streams' audit events
-- (docs/accountability-events.md), which GET /audit/verify replays against them.
CREATE TABLE referral_duties (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    deadline VARCHAR(30) NOT NULL,
    holder_organisation_id UUID NOT NULL REFERENCES organisations (id),
    opened_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ NULL,
    closed_basis VARCHAR(30) NULL,
    breached_at TIMESTAMPTZ NULL,
    responsible_at_due UUID NULL,
    PRIMARY KEY (referral_id, deadline)
);
CREATE INDEX ix_referral_duties_due ON referral_duties (due_at) WHERE closed_at IS NULL AND breached_at IS NULL;
CREATE INDEX ix_referral_duties_holder ON referral_duties (holder_organisation_id, due_at);

ALTER TABLE deadline_breaches ADD COLUMN holder_organisation_id UUID NULL REFERENCES organisations (id);
ALTER TABLE deadline_breaches ADD COLUMN acted_at TIMESTAMPTZ NULL;
ALTER TABLE deadline_breaches ADD COLUMN escalation_organisation_id UUID NULL REFERENCES organisations (id);
CREATE INDEX ix_deadline_breaches_holder ON deadline_breaches (holder_organisation_id, due_at);

ALTER TABLE referrals ADD COLUMN consent_basis VARCHAR(30) NULL;
ALTER TABLE referrals ADD COLUMN override_submitted_by UUID NULL;
ALTER TABLE referrals ADD COLUMN guardian_claim VARCHAR(20) NULL;
CREATE INDEX ix_referrals_override_pending ON referrals (referrer_organisation_id, created_at, id) WHERE override_status = 'pending';

CREATE TABLE referral_escalations (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (referral_id, organisation_id)
);
CREATE INDEX ix_referral_escalations_organisation ON referral_escalations (organisation_id, referral_id);

ALTER TABLE outbox_messages ADD COLUMN data TEXT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN data TEXT NULL;
