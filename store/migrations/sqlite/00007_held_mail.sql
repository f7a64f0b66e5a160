-- +goose Up
-- Mail that cannot go for want of a sender is held until the shop has one
-- (held); a confirmation held too long is dropped with its reason. SQLite
-- cannot alter a CHECK constraint; widening one leaves every stored row
-- valid, so the table's definition is edited in place, as SQLite's
-- documentation allows for such changes (ALTER TABLE, "Making Other Kinds
-- Of Table Schema Changes"), rather than rebuilt; RESET reloads the
-- schema, and the CREATE TABLE below bumps its version for other
-- connections.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''pending'', ''sending'', ''sent'', ''failed'', ''not_sent'', ''suppressed''))',
    'CHECK (status IN (''pending'', ''sending'', ''sent'', ''failed'', ''not_sent'', ''suppressed'', ''held'', ''dropped''))')
WHERE type = 'table' AND name = 'emails';
PRAGMA writable_schema = RESET;

-- The end of the last window whose new backorders each shop's merchant
-- was told of (unix seconds): a late or failed periodic run catches up
-- from here.
CREATE TABLE notice_watermarks (
    shop_id       INTEGER PRIMARY KEY REFERENCES shops (id),
    noticed_until INTEGER NOT NULL
);

-- +goose Down
DROP TABLE notice_watermarks;
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, ', ''held'', ''dropped''))', '))')
WHERE type = 'table' AND name = 'emails';
PRAGMA writable_schema = RESET;
