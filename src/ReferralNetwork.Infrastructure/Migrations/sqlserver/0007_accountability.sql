-- Accountability (issue 13): every deadline is a duty with a holder; a breach names the duty's holder, who was
-- responsible at the due time, and when the holder finally acted; the override records who submitted it (four eyes);
-- escalation targets and webhook payload data. These tables are projections of the referral streams' audit events
-- (docs/accountability-events.md), which GET /audit/verify replays against them.
-- SQL Server: GO ends a batch after columns are added, so the indexes that follow compile against them.
CREATE TABLE referral_duties (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    deadline NVARCHAR(30) NOT NULL,
    holder_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    opened_at DATETIMEOFFSET(6) NOT NULL,
    due_at DATETIMEOFFSET(6) NOT NULL,
    closed_at DATETIMEOFFSET(6) NULL,
    closed_basis NVARCHAR(30) NULL,
    breached_at DATETIMEOFFSET(6) NULL,
    responsible_at_due UNIQUEIDENTIFIER NULL,
    PRIMARY KEY (referral_id, deadline)
);
CREATE INDEX ix_referral_duties_due ON referral_duties (due_at) WHERE closed_at IS NULL AND breached_at IS NULL;
CREATE INDEX ix_referral_duties_holder ON referral_duties (holder_organisation_id, due_at);

ALTER TABLE deadline_breaches ADD holder_organisation_id UNIQUEIDENTIFIER NULL REFERENCES organisations (id);
ALTER TABLE deadline_breaches ADD acted_at DATETIMEOFFSET(6) NULL;
ALTER TABLE deadline_breaches ADD escalation_organisation_id UNIQUEIDENTIFIER NULL REFERENCES organisations (id);
GO
CREATE INDEX ix_deadline_breaches_holder ON deadline_breaches (holder_organisation_id, due_at);

ALTER TABLE referrals ADD consent_basis NVARCHAR(30) NULL;
ALTER TABLE referrals ADD override_submitted_by UNIQUEIDENTIFIER NULL;
ALTER TABLE referrals ADD guardian_claim NVARCHAR(20) NULL;
GO
CREATE INDEX ix_referrals_override_pending ON referrals (referrer_organisation_id, created_at, id) WHERE override_status = 'pending';

CREATE TABLE referral_escalations (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (referral_id, organisation_id)
);
CREATE INDEX ix_referral_escalations_organisation ON referral_escalations (organisation_id, referral_id);

ALTER TABLE outbox_messages ADD data NVARCHAR(MAX) NULL;
ALTER TABLE webhook_deliveries ADD data NVARCHAR(MAX) NULL;
