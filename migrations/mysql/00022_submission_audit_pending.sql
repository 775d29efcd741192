-- +goose Up
-- A large batch commits its cases first and its audit event just after, in a transaction of its
-- own (issue 20): on a Galera cluster the audit chain's head, held to the end of a transaction
-- that writes a hundred thousand links, lost to every other node's audited write. audit_pending
-- marks a batch recorded whose event is not written yet; cara writes it (from the row, its links
-- and remote_addr, the address the batch was made from) right after, or, when the process died
-- in between, at the next batch, at start and hourly.
ALTER TABLE submissions ADD COLUMN audit_pending BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE submissions ADD COLUMN remote_addr VARCHAR(64) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN remote_addr;
ALTER TABLE submissions DROP COLUMN audit_pending;
