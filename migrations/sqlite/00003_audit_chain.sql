-- +goose Up
-- Tamper evidence for the audit trail (internal/audit, store.audit).
--
-- Each event carries prev_hash, the hash of the event before it (64 zeros for the first), and
-- hash, the SHA-256 of its content and prev_hash; `cara audit verify` checks the chain. The chain
-- starts at the first row: there were no audit events in production before this migration, and
-- rows from before it (a developer's database) keep '' and make verify report event #1.
--
-- audit_chain is the chain's head: one row with the last event's id and hash. The store appends an
-- event by updating that row first, which makes concurrent appends take turns (on MySQL the row
-- lock is held to the commit; SQLite has one writer anyway), then inserting the event with the
-- next id and the head's hash, then storing the new hash in the head, all in one transaction.
-- The head also lets verify see events deleted from the end of the trail.
--
-- The triggers make the table append-only to anyone who cannot change the schema: cara never
-- updates or deletes an event. Someone who can (drop the triggers) is what the hash chain is for.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, last_id, last_hash)
    SELECT 1, COALESCE(MAX(id), 0), '0000000000000000000000000000000000000000000000000000000000000000' FROM audit_events;

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: an audit event cannot be changed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: an audit event cannot be deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_chain;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
