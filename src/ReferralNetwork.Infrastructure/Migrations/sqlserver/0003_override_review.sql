-- The review of an emergency override of consent (DESIGN §2): when, by whom, and the reviewer's note (sealed under the
-- person's data key, like every free text about a person).
ALTER TABLE referrals ADD
    override_reviewed_at DATETIMEOFFSET(6) NULL,
    override_reviewed_by UNIQUEIDENTIFIER NULL,
    override_review_note_sealed VARBINARY(MAX) NULL;
