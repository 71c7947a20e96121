-- Issue 17: a supervisor merges a duplicate person into the record that stays (the survivor). Nothing moves
-- physically: the duplicate keeps its row, its data key and everything sealed under it, and names the survivor in
-- merged_into_id; every read of "the person's referrals, consents and access log" takes the survivor with the persons
-- merged into it. So an undo (an admin, within 30 days) is exact: it clears the two columns. The chain holds the
-- facts (person.merged / person.merge_undone on the duplicate's stream) and verify holds these columns to them.
ALTER TABLE persons ADD merged_into_id UNIQUEIDENTIFIER NULL REFERENCES persons (id);
ALTER TABLE persons ADD merged_at DATETIMEOFFSET(6) NULL;
GO
CREATE INDEX ix_persons_merged_into ON persons (merged_into_id);
