-- ReferralNetwork schema, version 1.
-- SQL Server: uniqueidentifier, datetimeoffset(6), nvarchar, bit, varbinary. Run the database with
-- READ_COMMITTED_SNAPSHOT ON (row versioning) so readers never block writers; the application relies on read committed.

CREATE TABLE services (
    code NVARCHAR(50) NOT NULL PRIMARY KEY,
    name_en NVARCHAR(200) NOT NULL,
    name_sr NVARCHAR(200) NOT NULL,
    active BIT NOT NULL
);

CREATE TABLE organisations (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    name NVARCHAR(200) NOT NULL,
    kind NVARCHAR(50) NOT NULL,
    municipality NVARCHAR(100) NOT NULL,
    capacity INT NULL,
    contact_email NVARCHAR(200) NULL,
    contact_phone NVARCHAR(50) NULL,
    active BIT NOT NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    version INT NOT NULL
);
CREATE INDEX ix_organisations_created ON organisations (created_at, id);

CREATE TABLE organisation_services (
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    service_code NVARCHAR(50) NOT NULL REFERENCES services (code),
    PRIMARY KEY (organisation_id, service_code)
);
CREATE INDEX ix_organisation_services_code ON organisation_services (service_code, organisation_id);

CREATE TABLE organisation_languages (
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    language NVARCHAR(35) NOT NULL,
    PRIMARY KEY (organisation_id, language)
);

CREATE TABLE api_keys (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    name NVARCHAR(100) NOT NULL,
    roles NVARCHAR(200) NOT NULL,
    key_hash VARBINARY(32) NOT NULL,
    prefix NVARCHAR(20) NOT NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    created_by UNIQUEIDENTIFIER NULL,
    revoked_at DATETIMEOFFSET(6) NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_organisation ON api_keys (organisation_id, created_at);

CREATE TABLE persons (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    owner_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    external_ref NVARCHAR(100) NULL,
    initials NVARCHAR(40) NULL,
    birth_year INT NOT NULL,
    sex NVARCHAR(20) NOT NULL,
    nationality NVARCHAR(2) NULL,
    languages NVARCHAR(400) NOT NULL,
    legal_status NVARCHAR(40) NOT NULL,
    vulnerabilities NVARCHAR(400) NOT NULL,
    guardian_organisation_id UNIQUEIDENTIFIER NULL REFERENCES organisations (id),
    identity_sealed VARBINARY(MAX) NULL,
    wrapped_key VARBINARY(MAX) NULL,
    master_key_id NVARCHAR(50) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    erased_at DATETIMEOFFSET(6) NULL
);
CREATE UNIQUE INDEX ux_persons_external_ref ON persons (owner_organisation_id, external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE consents (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    person_id UNIQUEIDENTIFIER NOT NULL REFERENCES persons (id),
    given_by NVARCHAR(20) NOT NULL,
    method NVARCHAR(40) NOT NULL,
    given_at DATETIMEOFFSET(6) NOT NULL,
    obtained_by_principal_id UNIQUEIDENTIFIER NOT NULL,
    obtained_by_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    scope_services NVARCHAR(800) NOT NULL,
    scope_organisations NVARCHAR(MAX) NOT NULL,
    withdrawn_at DATETIMEOFFSET(6) NULL,
    withdrawn_by_principal_id UNIQUEIDENTIFIER NULL,
    created_at DATETIMEOFFSET(6) NOT NULL
);
CREATE INDEX ix_consents_person ON consents (person_id);

CREATE TABLE protocols (
    code NVARCHAR(50) NOT NULL,
    version INT NOT NULL,
    title NVARCHAR(200) NOT NULL,
    document NVARCHAR(MAX) NOT NULL,
    published_at DATETIMEOFFSET(6) NOT NULL,
    published_by UNIQUEIDENTIFIER NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE referrals (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    status NVARCHAR(20) NOT NULL,
    referrer_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    receiver_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    responsible_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    person_id UNIQUEIDENTIFIER NOT NULL REFERENCES persons (id),
    protocol_code NVARCHAR(50) NOT NULL,
    protocol_version INT NOT NULL,
    urgency NVARCHAR(20) NOT NULL,
    services NVARCHAR(600) NOT NULL,
    acknowledge_by DATETIMEOFFSET(6) NULL,
    decide_by DATETIMEOFFSET(6) NULL,
    follow_up_by DATETIMEOFFSET(6) NULL,
    review_by DATETIMEOFFSET(6) NULL,
    overdue BIT NOT NULL,
    acknowledged_at DATETIMEOFFSET(6) NULL,
    decided_at DATETIMEOFFSET(6) NULL,
    finished_at DATETIMEOFFSET(6) NULL,
    outcome NVARCHAR(40) NULL,
    decline_reason NVARCHAR(40) NULL,
    consent_given_by NVARCHAR(20) NULL,
    consent_method NVARCHAR(40) NULL,
    consent_id UNIQUEIDENTIFIER NULL REFERENCES consents (id),
    override_justification_sealed VARBINARY(MAX) NULL,
    override_status NVARCHAR(20) NULL,
    reason_sealed VARBINARY(MAX) NULL,
    part_of UNIQUEIDENTIFIER NULL REFERENCES referrals (id),
    created_at DATETIMEOFFSET(6) NOT NULL,
    updated_at DATETIMEOFFSET(6) NOT NULL,
    version INT NOT NULL,
    FOREIGN KEY (protocol_code, protocol_version) REFERENCES protocols (code, version)
);
CREATE INDEX ix_referrals_inbox ON referrals (receiver_organisation_id, created_at, id);
CREATE INDEX ix_referrals_outbox ON referrals (referrer_organisation_id, created_at, id);
CREATE INDEX ix_referrals_person ON referrals (person_id);
CREATE INDEX ix_referrals_part_of ON referrals (part_of);

CREATE TABLE referral_services (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    service_code NVARCHAR(50) NOT NULL REFERENCES services (code),
    PRIMARY KEY (referral_id, service_code)
);

CREATE TABLE referral_observers (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    basis NVARCHAR(50) NOT NULL,
    PRIMARY KEY (referral_id, organisation_id)
);
CREATE INDEX ix_referral_observers_organisation ON referral_observers (organisation_id, referral_id);

CREATE TABLE referral_timeline (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    seq INT NOT NULL,
    occurred_at DATETIMEOFFSET(6) NOT NULL,
    action NVARCHAR(40) NOT NULL,
    from_status NVARCHAR(20) NULL,
    to_status NVARCHAR(20) NOT NULL,
    organisation_id UNIQUEIDENTIFIER NULL,
    principal_id UNIQUEIDENTIFIER NULL,
    code NVARCHAR(60) NULL,
    protocol_version INT NOT NULL,
    late_by_seconds BIGINT NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE referral_notes (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    principal_id UNIQUEIDENTIFIER NOT NULL,
    body_sealed VARBINARY(MAX) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL
);
CREATE INDEX ix_referral_notes_referral ON referral_notes (referral_id, created_at);

CREATE TABLE responsibility_periods (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    seq INT NOT NULL,
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    from_at DATETIMEOFFSET(6) NOT NULL,
    until_at DATETIMEOFFSET(6) NULL,
    basis NVARCHAR(40) NOT NULL,
    closed_basis NVARCHAR(40) NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE deadline_breaches (
    referral_id UNIQUEIDENTIFIER NOT NULL REFERENCES referrals (id),
    deadline NVARCHAR(20) NOT NULL,
    due_at DATETIMEOFFSET(6) NOT NULL,
    detected_at DATETIMEOFFSET(6) NOT NULL,
    responsible_organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    protocol_code NVARCHAR(50) NOT NULL,
    protocol_version INT NOT NULL,
    PRIMARY KEY (referral_id, deadline)
);
CREATE INDEX ix_deadline_breaches_detected ON deadline_breaches (detected_at);

CREATE TABLE idempotency_keys (
    organisation_id UNIQUEIDENTIFIER NOT NULL,
    idempotency_key NVARCHAR(255) NOT NULL,
    operation NVARCHAR(200) NOT NULL,
    request_hash NVARCHAR(64) NOT NULL,
    state NVARCHAR(20) NOT NULL,
    response_status INT NULL,
    response_body NVARCHAR(MAX) NULL,
    response_etag NVARCHAR(40) NULL,
    response_location NVARCHAR(300) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    expires_at DATETIMEOFFSET(6) NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);
CREATE INDEX ix_idempotency_expires ON idempotency_keys (expires_at);

CREATE TABLE outbox_messages (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    event_type NVARCHAR(60) NOT NULL,
    referral_id UNIQUEIDENTIFIER NULL,
    status NVARCHAR(20) NULL,
    organisation_ids NVARCHAR(MAX) NOT NULL,
    occurred_at DATETIMEOFFSET(6) NOT NULL,
    fanned_out_at DATETIMEOFFSET(6) NULL
);
CREATE INDEX ix_outbox_pending ON outbox_messages (fanned_out_at, occurred_at);

CREATE TABLE audit_events (
    global_seq BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    stream_id NVARCHAR(100) NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at DATETIMEOFFSET(6) NOT NULL,
    principal_id UNIQUEIDENTIFIER NULL,
    organisation_id UNIQUEIDENTIFIER NULL,
    role NVARCHAR(30) NOT NULL,
    type NVARCHAR(60) NOT NULL,
    data NVARCHAR(MAX) NOT NULL,
    prev_hash NVARCHAR(64) NOT NULL,
    hash NVARCHAR(64) NOT NULL
);
CREATE UNIQUE INDEX ux_audit_events_stream ON audit_events (stream_id, seq);
CREATE INDEX ix_audit_events_occurred ON audit_events (occurred_at);

CREATE TABLE audit_stream_heads (
    stream_id NVARCHAR(100) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash NVARCHAR(64) NOT NULL
);
