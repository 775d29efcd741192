-- +goose Up
-- Follow-up (internal/followup): the items the due list filters on get columns of their own, so
-- that the due list of a facility is read from one index. The patient's Date of Last Contact and
-- Vital Status (Patient-level items in NAACCR v26) are kept on the patient and copied to each of
-- its tumors, as its names are (see 00002), so that the due list reads tumors alone; Class of
-- Case, Follow-up Physician and Next Follow-up Source are Tumor-level items. The letters sent
-- are recorded in follow_up_letters.
ALTER TABLE patients
    ADD COLUMN date_of_last_contact VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN vital_status VARCHAR(1) NOT NULL DEFAULT '';
ALTER TABLE tumors
    ADD COLUMN class_of_case VARCHAR(2) NOT NULL DEFAULT '',
    ADD COLUMN physician_follow_up VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN next_follow_up_source VARCHAR(1) NOT NULL DEFAULT '',
    ADD COLUMN last_contact VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN vital_status VARCHAR(1) NOT NULL DEFAULT '',
    -- Why the tumor is not followed (internal/followed), '' when it is: the store computes it
    -- when it writes a tumor, and Store.Migrate for the rows still 'pending' (those stored before).
    ADD COLUMN follow_up_exclusion VARCHAR(16) NOT NULL DEFAULT 'pending';

UPDATE patients SET
    date_of_last_contact = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(items, '$.dateOfLastContact')), ''), 8),
    vital_status = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(items, '$.vitalStatus')), ''), 1);
UPDATE tumors t JOIN tumor_items ti ON ti.tumor_id = t.id JOIN patients p ON p.id = t.patient_id SET
    t.class_of_case = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.classOfCase')), ''), 2),
    t.physician_follow_up = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.physicianFollowUp')), ''), 8),
    t.next_follow_up_source = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.nextFollowUpSource')), ''), 1),
    t.last_contact = p.date_of_last_contact,
    t.vital_status = p.vital_status;

-- The due list: a facility's followed tumors by date of last contact, with every column it
-- filters on, so that its count and page are read from the index alone.
ALTER TABLE tumors ADD INDEX idx_tumors_facility_followup (facility_id, follow_up_exclusion, last_contact, patient_id, vital_status, physician_follow_up, primary_site);

CREATE TABLE follow_up_letters (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    patient_id BIGINT UNSIGNED NOT NULL,
    tumor_id BIGINT UNSIGNED NOT NULL,
    recipient_kind VARCHAR(20) NOT NULL,
    recipient VARCHAR(200) NOT NULL DEFAULT '',
    due_month VARCHAR(6) NOT NULL DEFAULT '',
    sent_by BIGINT UNSIGNED NULL,
    sent_at DATETIME(6) NOT NULL,
    INDEX idx_follow_up_letters_facility_sent (facility_id, sent_at),
    INDEX idx_follow_up_letters_patient (patient_id),
    INDEX idx_follow_up_letters_tumor (tumor_id),
    INDEX idx_follow_up_letters_sent_by (sent_by),
    CONSTRAINT fk_follow_up_letters_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_follow_up_letters_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT fk_follow_up_letters_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE,
    CONSTRAINT fk_follow_up_letters_sent_by FOREIGN KEY (sent_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE follow_up_letters;
ALTER TABLE tumors DROP INDEX idx_tumors_facility_followup,
    DROP COLUMN follow_up_exclusion, DROP COLUMN vital_status, DROP COLUMN last_contact, DROP COLUMN next_follow_up_source,
    DROP COLUMN physician_follow_up, DROP COLUMN class_of_case;
ALTER TABLE patients DROP COLUMN vital_status, DROP COLUMN date_of_last_contact;
