-- +goose Up
-- The patient numbering counter gets a table of its own (issue 20). In the facility's row
-- (00020) it made every write of a row that references the facility (a patient, an intake, a
-- batch) conflict, on a Galera cluster, with any numbering of the facility's patients on another
-- node: Galera certifies a child's insert against updates of the parent row it references. No
-- table references this one, so numbering conflicts only with numbering.
CREATE TABLE patient_numbering (
    facility_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    numbered BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB;
INSERT INTO patient_numbering (facility_id, numbered) SELECT id, numbered FROM facilities;
ALTER TABLE facilities DROP COLUMN numbered;

-- +goose Down
ALTER TABLE facilities ADD COLUMN numbered BIGINT NOT NULL DEFAULT 0;
UPDATE facilities f JOIN patient_numbering n ON n.facility_id = f.id SET f.numbered = n.numbered;
DROP TABLE patient_numbering;
