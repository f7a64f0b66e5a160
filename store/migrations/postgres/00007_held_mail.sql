-- +goose Up
-- Mail that cannot go for want of a sender is held until the shop has one
-- (held); a confirmation held too long is dropped with its reason.
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'not_sent', 'suppressed', 'held', 'dropped'));

-- The end of the last window whose new backorders each shop's merchant
-- was told of (unix seconds): a late or failed periodic run catches up
-- from here.
CREATE TABLE notice_watermarks (
    shop_id       BIGINT PRIMARY KEY REFERENCES shops (id),
    noticed_until BIGINT NOT NULL
);

-- +goose Down
DROP TABLE notice_watermarks;
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'not_sent', 'suppressed'));
