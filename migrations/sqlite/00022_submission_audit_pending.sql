-- +goose Up
-- A batch recorded whose audit event is not written yet: see
-- migrations/mysql/00022_submission_audit_pending.sql. SQLite records a batch and its event in one
-- transaction, so audit_pending stays 0 there; the columns are kept alike.
ALTER TABLE submissions ADD COLUMN audit_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN remote_addr TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN remote_addr;
ALTER TABLE submissions DROP COLUMN audit_pending;
