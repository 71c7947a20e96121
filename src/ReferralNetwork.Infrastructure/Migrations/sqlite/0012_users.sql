-- Issue 16: named people. Users belong to one organisation and hold roles (a relation, not a list in a column); they
-- sign in with a password (a PBKDF2 hash with its parameters) and, where due, a TOTP second factor whose secret is
-- sealed under a data key wrapped by the master key. Sessions are stored by the SHA-256 of their id only.
-- Referrals name the user assigned on each side.
CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT NULL,
    active INTEGER NOT NULL,
    password_hash TEXT NULL,
    activation_hash BLOB NULL,
    activation_expires_at TEXT NULL,
    totp_sealed BLOB NULL,
    totp_wrapped_key BLOB NULL,
    totp_master_key_id TEXT NULL,
    totp_last_step INTEGER NULL,
    failed_sign_ins INTEGER NOT NULL,
    locked_until TEXT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NULL,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_users_username ON users (username);
CREATE INDEX ix_users_organisation ON users (organisation_id, created_at, id);
CREATE UNIQUE INDEX ux_users_activation ON users (activation_hash);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_sessions (
    id_hash BLOB NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    idle_expires_at TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    revoked_at TEXT NULL
);
CREATE INDEX ix_user_sessions_user ON user_sessions (user_id);

ALTER TABLE organisations ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE referrals ADD COLUMN referrer_assignee_id TEXT NULL REFERENCES users (id);
ALTER TABLE referrals ADD COLUMN receiver_assignee_id TEXT NULL REFERENCES users (id);
CREATE INDEX ix_referrals_receiver_assignee ON referrals (receiver_assignee_id, created_at, id);
CREATE INDEX ix_referrals_referrer_assignee ON referrals (referrer_assignee_id, created_at, id);
ALTER TABLE deadline_breaches ADD COLUMN holder_assignee_id TEXT NULL;
ALTER TABLE referral_timeline ADD COLUMN subject_user_id TEXT NULL;
ALTER TABLE referral_duties ADD COLUMN holder_assignee_id TEXT NULL;
