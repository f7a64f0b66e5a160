-- +goose Up
-- Privacy requests scan the recorded deliveries a page per transaction:
-- how many bodies were looked at, the subject (personal data, kept only
-- while the scan runs), and when the scan finished.
ALTER TABLE privacy_requests ADD COLUMN scanned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE privacy_requests ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN completed_at TIMESTAMP;
UPDATE privacy_requests SET completed_at = created_at;

-- +goose Down
ALTER TABLE privacy_requests DROP COLUMN completed_at;
ALTER TABLE privacy_requests DROP COLUMN subject;
ALTER TABLE privacy_requests DROP COLUMN scanned;
