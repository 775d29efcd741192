-- +goose Up
-- Follow-up (internal/followup): the items the due list filters on get columns of their own, so
-- that the due list of a facility is read from one index. The patient's Date of Last Contact and
-- Vital Status (Patient-level items in NAACCR v26) are kept on the patient and copied to each of
-- its tumors, as its names are (see 00002), so that the due list reads tumors alone; Class of
-- Case, Follow-up Physician and Next Follow-up Source are Tumor-level items. The letters sent
-- are recorded in follow_up_letters. See the MySQL migration of the same number.
ALTER TABLE patients ADD COLUMN date_of_last_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN vital_status TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN class_of_case TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN physician_follow_up TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN next_follow_up_source TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN last_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN vital_status TEXT NOT NULL DEFAULT '';
-- Why the tumor is not followed (internal/followed), '' when it is: the store computes it when it
-- writes a tumor, and Store.Migrate for the rows still 'pending' (those stored before).
ALTER TABLE tumors ADD COLUMN follow_up_exclusion TEXT NOT NULL DEFAULT 'pending';

UPDATE patients SET
    date_of_last_contact = COALESCE(json_extract(items, '$.dateOfLastContact'), ''),
    vital_status = COALESCE(json_extract(items, '$.vitalStatus'), '');
UPDATE tumors SET
    class_of_case = COALESCE((SELECT json_extract(ti.items, '$.classOfCase') FROM tumor_items ti WHERE ti.tumor_id = tumors.id), ''),
    physician_follow_up = COALESCE((SELECT json_extract(ti.items, '$.physicianFollowUp') FROM tumor_items ti WHERE ti.tumor_id = tumors.id), ''),
    next_follow_up_source = COALESCE((SELECT json_extract(ti.items, '$.nextFollowUpSource') FROM tumor_items ti WHERE ti.tumor_id = tumors.id), ''),
    last_contact = COALESCE((SELECT p.date_of_last_contact FROM patients p WHERE p.id = tumors.patient_id), ''),
    vital_status = COALESCE((SELECT p.vital_status FROM patients p WHERE p.id = tumors.patient_id), '');

-- The due list: a facility's followed tumors by date of last contact, with every column it
-- filters on, so that its count and page are read from the index alone.
CREATE INDEX idx_tumors_facility_followup ON tumors (facility_id, follow_up_exclusion, last_contact, patient_id, vital_status, physician_follow_up, primary_site);

CREATE TABLE follow_up_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    recipient_kind TEXT NOT NULL,
    recipient TEXT NOT NULL DEFAULT '',
    due_month TEXT NOT NULL DEFAULT '',
    sent_by INTEGER NULL REFERENCES users (id),
    sent_at DATETIME NOT NULL
);
CREATE INDEX idx_follow_up_letters_facility_sent ON follow_up_letters (facility_id, sent_at);
CREATE INDEX idx_follow_up_letters_patient ON follow_up_letters (patient_id);
CREATE INDEX idx_follow_up_letters_tumor ON follow_up_letters (tumor_id);
CREATE INDEX idx_follow_up_letters_sent_by ON follow_up_letters (sent_by);

-- +goose Down
DROP TABLE follow_up_letters;
DROP INDEX idx_tumors_facility_followup;
ALTER TABLE tumors DROP COLUMN follow_up_exclusion;
ALTER TABLE tumors DROP COLUMN vital_status;
ALTER TABLE tumors DROP COLUMN last_contact;
ALTER TABLE tumors DROP COLUMN next_follow_up_source;
ALTER TABLE tumors DROP COLUMN physician_follow_up;
ALTER TABLE tumors DROP COLUMN class_of_case;
ALTER TABLE patients DROP COLUMN vital_status;
ALTER TABLE patients DROP COLUMN date_of_last_contact;
