-- +goose Up
-- An operator may send a message again (POST /api/v1/emails/{id}/resend):
-- the resend is a new row with a dedupe key of its own, pointing at the
-- message it repeats, which keeps its status and attempts as they were.
ALTER TABLE emails ADD COLUMN resend_of BIGINT REFERENCES emails (id);
CREATE INDEX emails_resend_of ON emails (resend_of) WHERE resend_of IS NOT NULL;

-- +goose Down
DROP INDEX emails_resend_of;
ALTER TABLE emails DROP COLUMN resend_of;
