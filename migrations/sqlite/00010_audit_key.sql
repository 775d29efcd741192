-- +goose Up
-- The audit chain takes a key (issue 13): see the MySQL migration of the same number for why.
ALTER TABLE audit_chain ADD COLUMN keyed_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_chain ADD COLUMN key_seal TEXT NOT NULL DEFAULT '';
UPDATE audit_chain SET keyed_from = last_id + 1 WHERE id = 1;

-- +goose Down
ALTER TABLE audit_chain DROP COLUMN key_seal;
ALTER TABLE audit_chain DROP COLUMN keyed_from;
