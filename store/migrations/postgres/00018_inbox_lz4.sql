-- +goose Up
-- Deliveries' bodies (a Shopify order is ~9 KB of JSON) are compressed with
-- lz4 rather than pglz: under a flash sale, pglz was about 40% of
-- PostgreSQL's CPU per delivery recorded (docs/performance.md). A server
-- built without lz4 keeps pglz. Rows already written keep theirs.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE inbox ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4; inbox bodies stay pglz';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE inbox ALTER COLUMN body SET COMPRESSION pglz;
