-- +goose Up
-- SendGrid's events are matched to their email by its X-Message-Id.
CREATE INDEX emails_provider_message ON emails (provider_message_id);

-- +goose Down
DROP INDEX emails_provider_message;
