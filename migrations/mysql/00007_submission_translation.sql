-- +goose Up
-- See the SQLite migration of the same number.
ALTER TABLE submissions ADD COLUMN translation_report TEXT NULL;

-- +goose Down
ALTER TABLE submissions DROP COLUMN translation_report;
