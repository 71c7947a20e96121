-- ReferralNetwork schema, version 1.
-- SQLite: ids are canonical lowercase uuid text, times fixed-width UTC ISO 8601 text (text order = time order).

CREATE TABLE services (
    code TEXT NOT NULL PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_sr TEXT NOT NULL,
    active INTEGER NOT NULL
);

CREATE TABLE organisations (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    municipality TEXT NOT NULL,
    capacity INTEGER NULL,
    contact_email TEXT NULL,
    contact_phone TEXT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX ix_organisations_created ON organisations (created_at, id);

CREATE TABLE organisation_services (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    service_code TEXT NOT NULL REFERENCES services (code),
    PRIMARY KEY (organisation_id, service_code)
);
CREATE INDEX ix_organisation_services_code ON organisation_services (service_code, organisation_id);

CREATE TABLE organisation_languages (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    language TEXT NOT NULL,
    PRIMARY KEY (organisation_id, language)
);

CREATE TABLE api_keys (
    id TEXT NOT NULL PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NULL,
    revoked_at TEXT NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_organisation ON api_keys (organisation_id, created_at);

CREATE TABLE persons (
    id TEXT NOT NULL PRIMARY KEY,
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    external_ref TEXT NULL,
    initials TEXT NULL,
    birth_year INTEGER NOT NULL,
    sex TEXT NOT NULL,
    nationality TEXT NULL,
    languages TEXT NOT NULL,
    legal_status TEXT NOT NULL,
    vulnerabilities TEXT NOT NULL,
    guardian_organisation_id TEXT NULL REFERENCES organisations (id),
    identity_sealed BLOB NULL,
    wrapped_key BLOB NULL,
    master_key_id TEXT NULL,
    created_at TEXT NOT NULL,
    erased_at TEXT NULL
);
CREATE UNIQUE INDEX ux_persons_external_ref ON persons (owner_organisation_id, external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE consents (
    id TEXT NOT NULL PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    given_by TEXT NOT NULL,
    method TEXT NOT NULL,
    given_at TEXT NOT NULL,
    obtained_by_principal_id TEXT NOT NULL,
    obtained_by_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    scope_services TEXT NOT NULL,
    scope_organisations TEXT NOT NULL,
    withdrawn_at TEXT NULL,
    withdrawn_by_principal_id TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_consents_person ON consents (person_id);

CREATE TABLE protocols (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    document TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE referrals (
    id TEXT NOT NULL PRIMARY KEY,
    status TEXT NOT NULL,
    referrer_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    receiver_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    responsible_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    protocol_code TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    urgency TEXT NOT NULL,
    services TEXT NOT NULL,
    acknowledge_by TEXT NULL,
    decide_by TEXT NULL,
    follow_up_by TEXT NULL,
    review_by TEXT NULL,
    overdue INTEGER NOT NULL,
    acknowledged_at TEXT NULL,
    decided_at TEXT NULL,
    finished_at TEXT NULL,
    outcome TEXT NULL,
    decline_reason TEXT NULL,
    consent_given_by TEXT NULL,
    consent_method TEXT NULL,
    consent_id TEXT NULL REFERENCES consents (id),
    override_justification_sealed BLOB NULL,
    override_status TEXT NULL,
    reason_sealed BLOB NULL,
    part_of TEXT NULL REFERENCES referrals (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    FOREIGN KEY (protocol_code, protocol_version) REFERENCES protocols (code, version)
);
CREATE INDEX ix_referrals_inbox ON referrals (receiver_organisation_id, created_at, id);
CREATE INDEX ix_referrals_outbox ON referrals (referrer_organisation_id, created_at, id);
CREATE INDEX ix_referrals_person ON referrals (person_id);
CREATE INDEX ix_referrals_part_of ON referrals (part_of);

CREATE TABLE referral_services (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    service_code TEXT NOT NULL REFERENCES services (code),
    PRIMARY KEY (referral_id, service_code)
);

CREATE TABLE referral_observers (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    basis TEXT NOT NULL,
    PRIMARY KEY (referral_id, organisation_id)
);
CREATE INDEX ix_referral_observers_organisation ON referral_observers (organisation_id, referral_id);

CREATE TABLE referral_timeline (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    seq INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NULL,
    to_status TEXT NOT NULL,
    organisation_id TEXT NULL,
    principal_id TEXT NULL,
    code TEXT NULL,
    protocol_version INTEGER NOT NULL,
    late_by_seconds INTEGER NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE referral_notes (
    id TEXT NOT NULL PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    principal_id TEXT NOT NULL,
    body_sealed BLOB NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_referral_notes_referral ON referral_notes (referral_id, created_at);

CREATE TABLE responsibility_periods (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    seq INTEGER NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    from_at TEXT NOT NULL,
    until_at TEXT NULL,
    basis TEXT NOT NULL,
    closed_basis TEXT NULL,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE deadline_breaches (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    deadline TEXT NOT NULL,
    due_at TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    responsible_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    protocol_code TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    PRIMARY KEY (referral_id, deadline)
);
CREATE INDEX ix_deadline_breaches_detected ON deadline_breaches (detected_at);

CREATE TABLE idempotency_keys (
    organisation_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    response_status INTEGER NULL,
    response_body TEXT NULL,
    response_etag TEXT NULL,
    response_location TEXT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);
CREATE INDEX ix_idempotency_expires ON idempotency_keys (expires_at);

CREATE TABLE outbox_messages (
    id TEXT NOT NULL PRIMARY KEY,
    event_type TEXT NOT NULL,
    referral_id TEXT NULL,
    status TEXT NULL,
    organisation_ids TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    fanned_out_at TEXT NULL
);
CREATE INDEX ix_outbox_pending ON outbox_messages (fanned_out_at, occurred_at);

CREATE TABLE audit_events (
    global_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    principal_id TEXT NULL,
    organisation_id TEXT NULL,
    role TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_audit_events_stream ON audit_events (stream_id, seq);
CREATE INDEX ix_audit_events_occurred ON audit_events (occurred_at);

CREATE TABLE audit_stream_heads (
    stream_id TEXT NOT NULL PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
