-- +goose Up
-- The worklist and the new-case searches (store.Worklist, store.SearchPatients).
--
-- tumors.facility_id, name_last and name_first are copies of the patient's facility and names
-- (a patient never changes facility; the store rewrites the names with the patient's), so that
-- a worklist page filters, sorts and counts on one table. The tumor rows are wide (every item as
-- JSON), so the indexes a registrar's worklist uses start with the facility and end with every
-- filter column (status, assigned_to, edit_errors, primary_site, date_of_diagnosis): a count or
-- a page is read from one index without touching the rows, whatever filters are set. Each sort
-- has one such index, and store.worklistSorts orders by its columns in turn. An administrator's
-- worklist (every facility) uses the single-column indexes.
-- utf8mb4_unicode_ci makes LIKE 'x%' and ORDER BY on names case-insensitive and indexed; the
-- SQLite migration asks for the same with COLLATE NOCASE.
ALTER TABLE tumors
    ADD COLUMN facility_id BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER patient_id,
    ADD COLUMN name_last VARCHAR(40) NOT NULL DEFAULT '' AFTER facility_id,
    ADD COLUMN name_first VARCHAR(40) NOT NULL DEFAULT '' AFTER name_last;
UPDATE tumors JOIN patients ON patients.id = tumors.patient_id
    SET tumors.facility_id = patients.facility_id, tumors.name_last = patients.name_last, tumors.name_first = patients.name_first;

ALTER TABLE tumors
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
    ADD INDEX idx_tumors_updated (updated_at),
    DROP INDEX idx_tumors_status,
    ADD INDEX idx_tumors_status_updated (status, updated_at),
    ADD INDEX idx_tumors_name (name_last, name_first, patient_id),
    ADD INDEX idx_tumors_first (name_first);

ALTER TABLE patients
    ADD INDEX idx_patients_facility_name (facility_id, name_last, name_first),
    ADD INDEX idx_patients_facility_dob (facility_id, date_of_birth);

-- +goose Down
ALTER TABLE patients
    DROP INDEX idx_patients_facility_dob,
    DROP INDEX idx_patients_facility_name;

ALTER TABLE tumors
    DROP INDEX idx_tumors_first,
    DROP INDEX idx_tumors_name,
    DROP INDEX idx_tumors_status_updated,
    ADD INDEX idx_tumors_status (status),
    DROP INDEX idx_tumors_updated,
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
    DROP COLUMN name_first,
    DROP COLUMN name_last,
    DROP COLUMN facility_id;
