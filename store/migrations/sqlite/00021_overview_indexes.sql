-- +goose Up
-- What the merchant's overview (GET /) reads, found with EXPLAIN at 40,000
-- orders (docs/performance.md, "The merchant's overview"): demand over 30
-- days finds a shop's recent orders by placed_at (the polling's recent
-- orders too), the mail waiting for the SendGrid account and the counts by
-- status find a shop's mail by status, and the recent mail lists a shop's
-- newest messages without walking every shop's.
CREATE INDEX orders_shop_placed ON orders (shop_id, placed_at);
CREATE INDEX emails_shop_status ON emails (shop_id, status);
CREATE INDEX emails_shop ON emails (shop_id, id);

-- +goose Down
DROP INDEX emails_shop;
DROP INDEX emails_shop_status;
DROP INDEX orders_shop_placed;
