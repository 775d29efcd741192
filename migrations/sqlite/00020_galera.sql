-- +goose Up
-- cara on a Galera cluster (issue 20): see migrations/mysql/00020_galera.sql. SQLite has one
-- writer at a time; the columns are kept alike.
ALTER TABLE facilities ADD COLUMN numbered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE intakes ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE intakes DROP COLUMN claimed_by;
ALTER TABLE facilities DROP COLUMN numbered;
