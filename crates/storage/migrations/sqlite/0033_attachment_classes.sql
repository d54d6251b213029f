-- The class an attachment carries (the case's when it was attached, as the case stores it):
-- a case's archive and its listing take the highest class of the case and its files.
ALTER TABLE case_attachments ADD COLUMN class TEXT;
