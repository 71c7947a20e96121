-- Issue 16: named people. Users belong to one organisation and hold roles (a relation, not a list in a column); they
-- sign in with a password (a PBKDF2 hash with its parameters) and, where due, a TOTP second factor whose secret is
-- sealed under a data key wrapped by the master key. Sessions are stored by the SHA-256 of their id only.
-- Referrals name the user assigned on each side.
CREATE TABLE users (
    id UUID NOT NULL PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    username VARCHAR(100) NOT NULL,
    display_name VARCHAR(200) NOT NULL,
    email VARCHAR(200) NULL,
    active BOOLEAN NOT NULL,
    password_hash VARCHAR(300) NULL,
    activation_hash BYTEA NULL,
    activation_expires_at TIMESTAMPTZ NULL,
    totp_sealed BYTEA NULL,
    totp_wrapped_key BYTEA NULL,
    totp_master_key_id VARCHAR(50) NULL,
    totp_last_step BIGINT NULL,
    failed_sign_ins INTEGER NOT NULL,
    locked_until TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NULL,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_users_username ON users (username);
CREATE INDEX ix_users_organisation ON users (organisation_id, created_at, id);
CREATE UNIQUE INDEX ux_users_activation ON users (activation_hash);

CREATE TABLE user_roles (
    user_id UUID NOT NULL REFERENCES users (id),
    role VARCHAR(30) NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_sessions (
    id_hash BYTEA NOT NULL PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    idle_expires_at TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL
);
CREATE INDEX ix_user_sessions_user ON user_sessions (user_id);

ALTER TABLE organisations ADD COLUMN require_second_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE referrals ADD COLUMN referrer_assignee_id UUID NULL REFERENCES users (id);
ALTER TABLE referrals ADD COLUMN receiver_assignee_id UUID NULL REFERENCES users (id);
CREATE INDEX ix_referrals_receiver_assignee ON referrals (receiver_assignee_id, created_at, id);
CREATE INDEX ix_referrals_referrer_assignee ON referrals (referrer_assignee_id, created_at, id);
ALTER TABLE deadline_breaches ADD COLUMN holder_assignee_id UUID NULL;
ALTER TABLE referral_timeline ADD COLUMN subject_user_id UUID NULL;
ALTER TABLE referral_duties ADD COLUMN holder_assignee_id UUID NULL;
