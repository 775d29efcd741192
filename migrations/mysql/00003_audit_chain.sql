-- +goose Up
-- Tamper evidence for the audit trail (internal/audit, store.audit).
--
-- Each event carries prev_hash, the hash of the event before it (64 zeros for the first), and
-- hash, the SHA-256 of its content and prev_hash; `cara audit verify` checks the chain. The chain
-- starts at the first row: there were no audit events in production before this migration, and
-- rows from before it (a developer's database) keep '' and make verify report event #1.
--
-- audit_chain is the chain's head: one row with the last event's id and hash. The store appends an
-- event by updating that row first, which makes concurrent appends take turns (the row lock is
-- held to the commit), then inserting the event with the next id and the head's hash, then storing
-- the new hash in the head, all in one transaction. The head also lets verify see events deleted
-- from the end of the trail.
--
-- The triggers make the table append-only to anyone who cannot change the schema: cara never
-- updates or deletes an event. Someone who can (drop the triggers) is what the hash chain is for.
-- Creating a trigger takes the TRIGGER privilege; on MySQL with binary logging on, also SUPER
-- or log_bin_trust_function_creators=1.
ALTER TABLE audit_events
    ADD COLUMN prev_hash CHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN hash CHAR(64) NOT NULL DEFAULT '';

CREATE TABLE audit_chain (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    last_id BIGINT UNSIGNED NOT NULL,
    last_hash CHAR(64) NOT NULL,
    CONSTRAINT audit_chain_one_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO audit_chain (id, last_id, last_hash)
    SELECT 1, COALESCE(MAX(id), 0), REPEAT('0', 64) FROM audit_events;

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_events is append-only: an audit event cannot be changed';
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_events is append-only: an audit event cannot be deleted';
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_chain;
ALTER TABLE audit_events
    DROP COLUMN hash,
    DROP COLUMN prev_hash;
