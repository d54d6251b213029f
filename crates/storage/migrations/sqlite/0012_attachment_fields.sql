-- The form field a file was attached for (an `attachment` field: 監査結果通知書, 契約書の写し),
-- or none for a file attached to the case as a whole.
ALTER TABLE case_attachments ADD COLUMN field TEXT;
