-- Issue 16: named people. Users belong to one organisation and hold roles (a relation, not a list in a column); they
-- sign in with a password (a PBKDF2 hash with its parameters) and, where due, a TOTP second factor whose secret is
-- sealed under a data key wrapped by the master key. Sessions are stored by the SHA-256 of their id only.
-- Referrals name the user assigned on each side.
CREATE TABLE users (
    id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    organisation_id UNIQUEIDENTIFIER NOT NULL REFERENCES organisations (id),
    username NVARCHAR(100) NOT NULL,
    display_name NVARCHAR(200) NOT NULL,
    email NVARCHAR(200) NULL,
    active BIT NOT NULL,
    password_hash NVARCHAR(300) NULL,
    activation_hash VARBINARY(32) NULL,
    activation_expires_at DATETIMEOFFSET(6) NULL,
    totp_sealed VARBINARY(MAX) NULL,
    totp_wrapped_key VARBINARY(MAX) NULL,
    totp_master_key_id NVARCHAR(50) NULL,
    totp_last_step BIGINT NULL,
    failed_sign_ins INT NOT NULL,
    locked_until DATETIMEOFFSET(6) NULL,
    created_at DATETIMEOFFSET(6) NOT NULL,
    created_by UNIQUEIDENTIFIER NULL,
    version INT NOT NULL
);
CREATE UNIQUE INDEX ux_users_username ON users (username);
CREATE INDEX ix_users_organisation ON users (organisation_id, created_at, id);
-- Filtered: SQL Server's unique index would otherwise allow one NULL only.
CREATE UNIQUE INDEX ux_users_activation ON users (activation_hash) WHERE activation_hash IS NOT NULL;

CREATE TABLE user_roles (
    user_id UNIQUEIDENTIFIER NOT NULL REFERENCES users (id),
    role NVARCHAR(30) NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_sessions (
    id_hash VARBINARY(32) NOT NULL PRIMARY KEY,
    user_id UNIQUEIDENTIFIER NOT NULL REFERENCES users (id),
    created_at DATETIMEOFFSET(6) NOT NULL,
    last_seen_at DATETIMEOFFSET(6) NOT NULL,
    idle_expires_at DATETIMEOFFSET(6) NOT NULL,
    absolute_expires_at DATETIMEOFFSET(6) NOT NULL,
    revoked_at DATETIMEOFFSET(6) NULL
);
CREATE INDEX ix_user_sessions_user ON user_sessions (user_id);

ALTER TABLE organisations ADD require_second_factor BIT NOT NULL CONSTRAINT df_organisations_require_second_factor DEFAULT 0;
ALTER TABLE referrals ADD referrer_assignee_id UNIQUEIDENTIFIER NULL REFERENCES users (id);
ALTER TABLE referrals ADD receiver_assignee_id UNIQUEIDENTIFIER NULL REFERENCES users (id);
GO
CREATE INDEX ix_referrals_receiver_assignee ON referrals (receiver_assignee_id, created_at, id);
CREATE INDEX ix_referrals_referrer_assignee ON referrals (referrer_assignee_id, created_at, id);
ALTER TABLE deadline_breaches ADD holder_assignee_id UNIQUEIDENTIFIER NULL;
ALTER TABLE referral_timeline ADD subject_user_id UNIQUEIDENTIFIER NULL;
ALTER TABLE referral_duties ADD holder_assignee_id UNIQUEIDENTIFIER NULL;
