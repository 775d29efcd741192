-- +goose Up
-- A tumor's items move to a table of their own, and status leaves most worklist indexes: see
-- the MySQL migration of the same number for why. SQLite keeps the same tables and indexes.
CREATE TABLE tumor_items (
    tumor_id INTEGER NOT NULL PRIMARY KEY REFERENCES tumors (id) ON DELETE CASCADE,
    items TEXT NOT NULL
);
INSERT INTO tumor_items (tumor_id, items) SELECT id, items FROM tumors;
ALTER TABLE tumors DROP COLUMN items;

DROP INDEX idx_tumors_facility_updated;
DROP INDEX idx_tumors_facility_status;
DROP INDEX idx_tumors_facility_site;
DROP INDEX idx_tumors_facility_dx;
DROP INDEX idx_tumors_facility_mrn;
DROP INDEX idx_tumors_facility_accession;
DROP INDEX idx_tumors_facility_name;
DROP INDEX idx_tumors_facility_first;
DROP INDEX idx_tumors_facility_assigned;
DROP INDEX idx_tumors_facility_errors;
DROP INDEX idx_tumors_status_updated;
DROP INDEX idx_tumors_facility_status_changed;
DROP INDEX idx_tumors_facility_status_patient;
CREATE INDEX idx_tumors_facility_updated ON tumors (facility_id, updated_at, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_status ON tumors (facility_id, status, status_changed_at, assigned_to, edit_errors, primary_site, date_of_diagnosis, accession_number COLLATE NOCASE, patient_id);
CREATE INDEX idx_tumors_facility_site ON tumors (facility_id, primary_site, assigned_to, edit_errors, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_dx ON tumors (facility_id, date_of_diagnosis, assigned_to, edit_errors, primary_site);
CREATE INDEX idx_tumors_facility_mrn ON tumors (facility_id, medical_record_number COLLATE NOCASE, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_accession ON tumors (facility_id, accession_number COLLATE NOCASE, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_name ON tumors (facility_id, name_last COLLATE NOCASE, name_first COLLATE NOCASE, patient_id, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_first ON tumors (facility_id, name_first COLLATE NOCASE, assigned_to, edit_errors, primary_site, date_of_diagnosis);
CREATE INDEX idx_tumors_facility_assigned ON tumors (facility_id, assigned_to, edit_errors, primary_site, date_of_diagnosis, updated_at);
CREATE INDEX idx_tumors_facility_errors ON tumors (facility_id, edit_errors, assigned_to, primary_site, date_of_diagnosis, updated_at);

-- +goose Down
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
CREATE INDEX idx_tumors_status_updated ON tumors (status, updated_at);
CREATE INDEX idx_tumors_facility_status_changed ON tumors (facility_id, status, status_changed_at);
CREATE INDEX idx_tumors_facility_status_patient ON tumors (facility_id, status, patient_id);
ALTER TABLE tumors ADD COLUMN items TEXT NOT NULL DEFAULT '{}';
UPDATE tumors SET items = (SELECT ti.items FROM tumor_items ti WHERE ti.tumor_id = tumors.id)
    WHERE EXISTS (SELECT 1 FROM tumor_items ti WHERE ti.tumor_id = tumors.id);
DROP TABLE tumor_items;
