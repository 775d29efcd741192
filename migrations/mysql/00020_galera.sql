-- +goose Up
-- cara on a Galera cluster (issue 20). Galera certifies the rows a transaction writes, not those it
-- locked reading, so the two things that took turns through a locking read take them by a write:
--  - facilities.numbered counts the patient numbers handed out; a numbering bumps it, so two
--    registrars numbering one facility's patients on two nodes conflict and one numbers again.
--  - intakes.claimed_by is the lease of a running intake: the worker (host/pid/random) whose
--    claim it is. A worker's writes to its intake name its claim, so one whose stale job was
--    taken over by another process writes nothing more to it.
ALTER TABLE facilities ADD COLUMN numbered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE intakes ADD COLUMN claimed_by VARCHAR(64) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE intakes DROP COLUMN claimed_by;
ALTER TABLE facilities DROP COLUMN numbered;
