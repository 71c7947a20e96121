-- The review of an emergency override of consent (DESIGN §2): when, by whom, and the reviewer's note (sealed under the
-- person's data key, like every free text about a person).
ALTER TABLE referrals ADD COLUMN override_reviewed_at TEXT NULL;
ALTER TABLE referrals ADD COLUMN override_reviewed_by TEXT NULL;
ALTER TABLE referrals ADD COLUMN override_review_note_sealed BLOB NULL;
