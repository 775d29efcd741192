-- +goose Up
-- A tumor's items move to a table of their own, and status leaves most worklist indexes.
--
-- With every item in the row (about 4 KB of JSON), 100,000 tumors were 430 MB of rows that
-- every status change, worklist row lookup and batch had to page through; without them the
-- rows are about 170 bytes. And a status change rewrote an entry in fourteen indexes, because
-- the worklist indexes of 00002 ended with the status: marking a batch of 100,000 cases
-- submitted took 43 s on a 128 MB buffer pool (10 s with everything in memory), against about
-- 1.5 s with the two indexes that keep the status now. idx_tumors_facility_status ends with the
-- patient, so that a batch finds its patients in the index alone (store.EachPendingPatient).
--
-- The worklist indexes keep their other filter columns, so a count or page without a status
-- filter is still read from one index. A count with a status filter reads
-- idx_tumors_facility_status, which ends with every other filter column and the accession
-- number (a search for a year's accession numbers with a status matches thousands of cases); a
-- page sorted by another column with a status filter reads the narrow rows for the status. Sorting by status
-- orders by the time the case entered it (status_changed_at), as the review queue does, so
-- that one index serves both; status changes no longer move updated_at, the last change of the
-- abstract itself.
CREATE TABLE tumor_items (
    tumor_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    items JSON NOT NULL,
    CONSTRAINT fk_tumor_items_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO tumor_items (tumor_id, items) SELECT id, items FROM tumors;

ALTER TABLE tumors
    DROP COLUMN items,
    DROP INDEX idx_tumors_facility_updated,
    DROP INDEX idx_tumors_facility_status,
    DROP INDEX idx_tumors_facility_site,
    DROP INDEX idx_tumors_facility_dx,
    DROP INDEX idx_tumors_facility_mrn,
    DROP INDEX idx_tumors_facility_accession,
    DROP INDEX idx_tumors_facility_name,
    DROP INDEX idx_tumors_facility_first,
    DROP INDEX idx_tumors_facility_assigned,
    DROP INDEX idx_tumors_facility_errors,
    DROP INDEX idx_tumors_status_updated,
    DROP INDEX idx_tumors_facility_status_changed,
    DROP INDEX idx_tumors_facility_status_patient,
    ADD INDEX idx_tumors_facility_updated (facility_id, updated_at, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_status (facility_id, status, status_changed_at, assigned_to, edit_errors, primary_site, date_of_diagnosis, accession_number, patient_id),
    ADD INDEX idx_tumors_facility_site (facility_id, primary_site, assigned_to, edit_errors, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_dx (facility_id, date_of_diagnosis, assigned_to, edit_errors, primary_site),
    ADD INDEX idx_tumors_facility_mrn (facility_id, medical_record_number, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_accession (facility_id, accession_number, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_name (facility_id, name_last, name_first, patient_id, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_first (facility_id, name_first, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_assigned (facility_id, assigned_to, edit_errors, primary_site, date_of_diagnosis, updated_at),
    ADD INDEX idx_tumors_facility_errors (facility_id, edit_errors, assigned_to, primary_site, date_of_diagnosis, updated_at);

-- +goose Down
ALTER TABLE tumors
    ADD COLUMN items JSON NULL AFTER edit_warnings,
    DROP INDEX idx_tumors_facility_errors,
    DROP INDEX idx_tumors_facility_assigned,
    DROP INDEX idx_tumors_facility_first,
    DROP INDEX idx_tumors_facility_name,
    DROP INDEX idx_tumors_facility_accession,
    DROP INDEX idx_tumors_facility_mrn,
    DROP INDEX idx_tumors_facility_dx,
    DROP INDEX idx_tumors_facility_site,
    DROP INDEX idx_tumors_facility_status,
    DROP INDEX idx_tumors_facility_updated,
    ADD INDEX idx_tumors_facility_updated (facility_id, updated_at, status, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_status (facility_id, status, updated_at, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_site (facility_id, primary_site, status, assigned_to, edit_errors, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_dx (facility_id, date_of_diagnosis, status, assigned_to, edit_errors, primary_site),
    ADD INDEX idx_tumors_facility_mrn (facility_id, medical_record_number, status, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_accession (facility_id, accession_number, status, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_name (facility_id, name_last, name_first, patient_id, status, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_first (facility_id, name_first, status, assigned_to, edit_errors, primary_site, date_of_diagnosis),
    ADD INDEX idx_tumors_facility_assigned (facility_id, assigned_to, status, edit_errors, primary_site, date_of_diagnosis, updated_at),
    ADD INDEX idx_tumors_facility_errors (facility_id, edit_errors, status, assigned_to, primary_site, date_of_diagnosis, updated_at),
    ADD INDEX idx_tumors_status_updated (status, updated_at),
    ADD INDEX idx_tumors_facility_status_changed (facility_id, status, status_changed_at),
    ADD INDEX idx_tumors_facility_status_patient (facility_id, status, patient_id);
UPDATE tumors JOIN tumor_items ON tumor_items.tumor_id = tumors.id SET tumors.items = tumor_items.items;
UPDATE tumors SET items = '{}' WHERE items IS NULL;
ALTER TABLE tumors MODIFY COLUMN items JSON NOT NULL;
DROP TABLE tumor_items;
