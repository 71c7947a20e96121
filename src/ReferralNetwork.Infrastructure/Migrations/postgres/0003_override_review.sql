-- The review of an emergency override of consent (DESIGN §2): when, by whom, and the reviewer's note (sealed under the
-- person's data key, like every free text about a person).
ALTER TABLE referrals
    ADD COLUMN override_reviewed_at TIMESTAMPTZ NULL,
    ADD COLUMN override_reviewed_by UUID NULL,
    ADD COLUMN override_review_note_sealed BYTEA NULL;
