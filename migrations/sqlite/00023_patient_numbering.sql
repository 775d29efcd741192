-- +goose Up
-- The patient numbering counter gets a table of its own: see
-- migrations/mysql/00023_patient_numbering.sql. SQLite has one writer at a time; the tables are
-- kept alike.
CREATE TABLE patient_numbering (
    facility_id INTEGER NOT NULL PRIMARY KEY,
    numbered INTEGER NOT NULL DEFAULT 0
);
INSERT INTO patient_numbering (facility_id, numbered) SELECT id, numbered FROM facilities;
ALTER TABLE facilities DROP COLUMN numbered;

-- +goose Down
ALTER TABLE facilities ADD COLUMN numbered INTEGER NOT NULL DEFAULT 0;
UPDATE facilities SET numbered = COALESCE((SELECT n.numbered FROM patient_numbering n WHERE n.facility_id = facilities.id), 0);
DROP TABLE patient_numbering;
