-- ReferralNetwork schema, version 1.
-- PostgreSQL: uuid, timestamptz (microseconds), text, boolean, bytea.

CREATE TABLE services (
    code VARCHAR(50) NOT NULL PRIMARY KEY,
    name_en VARCHAR(200) NOT NULL,
    name_sr VARCHAR(200) NOT NULL,
    active BOOLEAN NOT NULL
);

CREATE TABLE organisations (
    id UUID NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    kind VARCHAR(50) NOT NULL,
    municipality VARCHAR(100) NOT NULL,
    capacity INTEGER NULL,
    contact_email VARCHAR(200) NULL,
    contact_phone VARCHAR(50) NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX ix_organisations_created ON organisations (created_at, id);

CREATE TABLE organisation_services (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    service_code VARCHAR(50) NOT NULL REFERENCES services (code),
    PRIMARY KEY (organisation_id, service_code)
);
CREATE INDEX ix_organisation_services_code ON organisation_services (service_code, organisation_id);

CREATE TABLE organisation_languages (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    language VARCHAR(35) NOT NULL,
    PRIMARY KEY (organisation_id, language)
);

CREATE TABLE api_keys (
    id UUID NOT NULL PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    name VARCHAR(100) NOT NULL,
    roles VARCHAR(200) NOT NULL,
    key_hash BYTEA NOT NULL,
    prefix VARCHAR(20) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NULL,
    revoked_at TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_organisation ON api_keys (organisation_id, created_at);

CREATE TABLE persons (
    id UUID NOT NULL PRIMARY KEY,
    owner_organisation_id UUID NOT NULL REFERENCES organisations (id),
    external_ref VARCHAR(100) NULL,
    initials VARCHAR(40) NULL,
    birth_year INTEGER NOT NULL,
    sex VARCHAR(20) NOT NULL,
    nationality VARCHAR(2) NULL,
    languages VARCHAR(400) NOT NULL,
    legal_status VARCHAR(40) NOT NULL,
    vulnerabilities VARCHAR(400) NOT NULL,
    guardian_organisation_id UUID NULL REFERENCES organisations (id),
    identity_sealed BYTEA NULL,
    wrapped_key BYTEA NULL,
    master_key_id VARCHAR(50) NULL,
    created_at TIMESTAMPTZ NOT NULL,
    erased_at TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX ux_persons_external_ref ON persons (owner_organisation_id, external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE consents (
    id UUID NOT NULL PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES persons (id),
    given_by VARCHAR(20) NOT NULL,
    method VARCHAR(40) NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    obtained_by_principal_id UUID NOT NULL,
    obtained_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    scope_services VARCHAR(800) NOT NULL,
    scope_organisations TEXT NOT NULL,
    withdrawn_at TIMESTAMPTZ NULL,
    withdrawn_by_principal_id UUID NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_consents_person ON consents (person_id);

CREATE TABLE protocols (
    code VARCHAR(50) NOT NULL,
    version INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    document TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by UUID NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE referrals (
    id UUID NOT NULL PRIMARY KEY,
    status VARCHAR(20) NOT NULL,
    referrer_organisation_id UUID NOT NULL REFERENCES organisations (id),
    receiver_organisation_id UUID NOT NULL REFERENCES organisations (id),
    responsible_organisation_id UUID NOT NULL REFERENCES organisations (id),
    person_id UUID NOT NULL REFERENCES persons (id),
    protocol_code VARCHAR(50) NOT NULL,
    protocol_version INTEGER NOT NULL,
    urgency VARCHAR(20) NOT NULL,
    services VARCHAR(600) NOT NULL,
    acknowledge_by TIMESTAMPTZ NULL,
    decide_by TIMESTAMPTZ NULL,
    follow_up_by TIMESTAMPTZ NULL,
    review_by TIMESTAMPTZ NULL,
    overdue BOOLEAN NOT NULL,
    acknowledged_at TIMESTAMPTZ NULL,
    decided_at TIMESTAMPTZ NULL,
    finished_at TIMESTAMPTZ NULL,
    outcome VARCHAR(40) NULL,
    decline_reason VARCHAR(40) NULL,
    consent_given_by VARCHAR(20) NULL,
    consent_method VARCHAR(40) NULL,
    consent_id UUID NULL REFERENCES consents (id),
    override_justification_sealed BYTEA NULL,
    override_status VARCHAR(20) NULL,
    reason_sealed BYTEA NULL,
    part_of UUID NULL REFERENCES referrals (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL,
    FOREIGN KEY (protocol_code, protocol_version) REFERENCES protocols (code, version)
);
CREATE INDEX ix_referrals_inbox ON referrals (receiver_organisation_id, created_at, id);
CREATE INDEX ix_referrals_outbox ON referrals (referrer_organisation_id, created_at, id);
CREATE INDEX ix_referrals_person ON referrals (person_id);
CREATE INDEX ix_referrals_part_of ON referrals (part_of);

CREATE TABLE referral_services (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    service_code VARCHAR(50) NOT NULL REFERENCES services (code),
    PRIMARY KEY (referral_id, service_code)
);

CREATE TABLE referral_observers (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    basis VARCHAR(50) NOT NULL,
    PRIMARY KEY (referral_id, organisation_id)
);
CREATE INDEX ix_referral_observers_organisation ON referral_observers (organisation_id, referral_id);

CREATE TABLE referral_timeline (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    seq INTEGER NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    action VARCHAR(40) NOT NULL,
    from_status VARCHAR(20) NULL,
    to_status VARCHAR(20) NOT NULL,
    organisation_id UUID NULL,
    principal_id UUID NULL,
    code VARCHAR(60) NULL,
    protocol_version INTEGER NOT NULL,
    late_by_seconds BIGINT NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE referral_notes (
    id UUID NOT NULL PRIMARY KEY,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    principal_id UUID NOT NULL,
    body_sealed BYTEA NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_referral_notes_referral ON referral_notes (referral_id, created_at);

CREATE TABLE responsibility_periods (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    seq INTEGER NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    from_at TIMESTAMPTZ NOT NULL,
    until_at TIMESTAMPTZ NULL,
    basis VARCHAR(40) NOT NULL,
    closed_basis VARCHAR(40) NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE deadline_breaches (
    referral_id UUID NOT NULL REFERENCES referrals (id),
    deadline VARCHAR(20) NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL,
    responsible_organisation_id UUID NOT NULL REFERENCES organisations (id),
    protocol_code VARCHAR(50) NOT NULL,
    protocol_version INTEGER NOT NULL,
    PRIMARY KEY (referral_id, deadline)
);
CREATE INDEX ix_deadline_breaches_detected ON deadline_breaches (detected_at);

CREATE TABLE idempotency_keys (
    organisation_id UUID NOT NULL,
    idempotency_key VARCHAR(255) NOT NULL,
    operation VARCHAR(200) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    state VARCHAR(20) NOT NULL,
    response_status INTEGER NULL,
    response_body TEXT NULL,
    response_etag VARCHAR(40) NULL,
    response_location VARCHAR(300) NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);
CREATE INDEX ix_idempotency_expires ON idempotency_keys (expires_at);

CREATE TABLE outbox_messages (
    id UUID NOT NULL PRIMARY KEY,
    event_type VARCHAR(60) NOT NULL,
    referral_id UUID NULL,
    status VARCHAR(20) NULL,
    organisation_ids TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    fanned_out_at TIMESTAMPTZ NULL
);
CREATE INDEX ix_outbox_pending ON outbox_messages (fanned_out_at, occurred_at);

CREATE TABLE audit_events (
    global_seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id VARCHAR(100) NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    principal_id UUID NULL,
    organisation_id UUID NULL,
    role VARCHAR(30) NOT NULL,
    type VARCHAR(60) NOT NULL,
    data TEXT NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL
);
CREATE UNIQUE INDEX ux_audit_events_stream ON audit_events (stream_id, seq);
CREATE INDEX ix_audit_events_occurred ON audit_events (occurred_at);

CREATE TABLE audit_stream_heads (
    stream_id VARCHAR(100) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash VARCHAR(64) NOT NULL
);
