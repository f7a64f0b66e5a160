-- +goose Up
-- A line's ETA before its last change, and when it changed: the merchant's
-- digest lists the ETAs that moved later over the last day.
ALTER TABLE backorders ADD COLUMN eta_previous TIMESTAMP;
ALTER TABLE backorders ADD COLUMN eta_changed_at TIMESTAMP;
-- When the merchant was told the line waited past the shop's maximum wait:
-- each line is told once.
ALTER TABLE backorders ADD COLUMN wait_exceeded_at TIMESTAMP;

-- +goose Down
ALTER TABLE backorders DROP COLUMN wait_exceeded_at;
ALTER TABLE backorders DROP COLUMN eta_changed_at;
ALTER TABLE backorders DROP COLUMN eta_previous;
