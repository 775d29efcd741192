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
-- SQLite compares text case-sensitively unless told otherwise: names, MRN and accession number
-- are indexed COLLATE NOCASE, as MySQL's collation compares them, so that LIKE 'x%' and the
-- store's ORDER BY ... COLLATE NOCASE use the indexes.
ALTER TABLE tumors ADD COLUMN facility_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tumors ADD COLUMN name_last TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN name_first TEXT NOT NULL DEFAULT '';
UPDATE tumors SET (facility_id, name_last, name_first) =
    (SELECT p.facility_id, p.name_last, p.name_first FROM patients p WHERE p.id = tumors.patient_id);

CREATE INDEX idx_tumors_facility_updated ON tumors (facility_id, updated_at, status, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_status ON tumors (facility_id, status, updated_at, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_site ON tumors (facility_id, primary_site, status, assigned_to, edit_errors, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_dx ON tumors (facility_id, date_of_diagnosis, status, assigned_to, edit_errors, primary_site);
CREATE INDEX idx_tumors_facility_mrn ON tumors (facility_id, medical_record_number COLLATE NOCASE, status, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_accession ON tumors (facility_id, accession_number COLLATE NOCASE, status, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_name ON tumors (facility_id, name_last COLLATE NOCASE, name_first COLLATE NOCASE, patient_id, status, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_first ON tumors (facility_id, name_first COLLATE NOCASE, status, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_assigned ON tumors (facility_id, assigned_to, status, edit_errors, primary_site, date_of_diagnosis, updated_at);
CREATE INDEX idx_tumors_facility_errors ON tumors (facility_id, edit_errors, status, assigned_to, primary_site, date_of_diagnosis, updated_at);
CREATE INDEX idx_tumors_updated ON tumors (updated_at);
DROP INDEX idx_tumors_status;
CREATE INDEX idx_tumors_status_updated ON tumors (status, updated_at);
CREATE INDEX idx_tumors_name ON tumors (name_last COLLATE NOCASE, name_first COLLATE NOCASE, patient_id);
CREATE INDEX idx_tumors_first ON tumors (name_first COLLATE NOCASE);
DROP INDEX idx_tumors_mrn;
CREATE INDEX idx_tumors_mrn ON tumors (medical_record_number COLLATE NOCASE);
DROP INDEX idx_tumors_accession;
CREATE INDEX idx_tumors_accession ON tumors (accession_number COLLATE NOCASE);

CREATE INDEX idx_patients_facility_name ON patients (facility_id, name_last COLLATE NOCASE, name_first COLLATE NOCASE);
CREATE INDEX idx_patients_facility_dob ON patients (facility_id, date_of_birth);

-- +goose Down
DROP INDEX idx_patients_facility_dob;
DROP INDEX idx_patients_facility_name;
DROP INDEX idx_tumors_accession;
CREATE INDEX idx_tumors_accession ON tumors (accession_number);
DROP INDEX idx_tumors_mrn;
CREATE INDEX idx_tumors_mrn ON tumors (medical_record_number);
DROP INDEX idx_tumors_first;
DROP INDEX idx_tumors_name;
DROP INDEX idx_tumors_status_updated;
CREATE INDEX idx_tumors_status ON tumors (status);
DROP INDEX idx_tumors_updated;
DROP INDEX idx_tumors_facility_errors;
DROP INDEX idx_tumors_facility_assigned;
DROP INDEX idx_tumors_facility_first;
DROP INDEX idx_tumors_facility_name;
DROP INDEX idx_tumors_facility_accession;
DROP INDEX idx_tumors_facility_mrn;
DROP INDEX idx_tumors_facility_dx;
DROP INDEX idx_tumors_facility_site;
DROP INDEX idx_tumors_facility_status;
DROP INDEX idx_tumors_facility_updated;
ALTER TABLE tumors DROP COLUMN name_first;
ALTER TABLE tumors DROP COLUMN name_last;
ALTER TABLE tumors DROP COLUMN facility_id;
