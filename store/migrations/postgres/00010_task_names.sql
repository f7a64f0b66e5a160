-- +goose Up
-- The per-order customer messages task was renamed (email:notify-order →
-- email:order-messages): rows not yet done run under the new name.
UPDATE outbox SET task_type = 'email:order-messages' WHERE task_type = 'email:notify-order';

-- +goose Down
UPDATE outbox SET task_type = 'email:notify-order' WHERE task_type = 'email:order-messages';
