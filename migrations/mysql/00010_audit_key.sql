-- +goose Up
-- The audit chain takes a key (issue 13, internal/audit/key.go). Someone who can drop the
-- triggers of 00003 could recompute every hash of a plain SHA-256 chain; from here on each event's
-- hash is an HMAC-SHA-256 under a key held outside the database (CARA_AUDIT_KEY_FILE or
-- CARA_AUDIT_KEY), which only cara's processes hold.
--
-- keyed_from is the first event hashed with the key: the events before it (a trail from before
-- this migration) keep their plain hashes and are still checked by their chain. key_seal is the
-- key's MAC of keyed_from and the hash of the event before it, written by the first cara process
-- that migrates with the key (store.Migrate); it fixes the older events and keyed_from, so that
-- no one without the key can pass keyed events off as older ones. Until it is written it is ''.
ALTER TABLE audit_chain
    ADD COLUMN keyed_from BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN key_seal CHAR(64) NOT NULL DEFAULT '';
UPDATE audit_chain SET keyed_from = last_id + 1 WHERE id = 1;

-- +goose Down
ALTER TABLE audit_chain
    DROP COLUMN key_seal,
    DROP COLUMN keyed_from;
