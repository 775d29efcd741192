-- +goose Up
-- Casefinding (issue 17): the suspense list of a facility, the possible cases found in its
-- disease index, pathology reports, treatment encounters and physician offices, each waiting for
-- a registrar's decision.
--
-- row_key is the SHA-256 of the record's normalized fields (see casefinding.RowKey): the same row
-- imported again finds its key and adds nothing. source is a key of
-- schemas/codes/casefinding-sources.csv; dates are CCYYMMDD; codes are the ICD-10-CM codes,
-- normalized and joined by ';'. screening is reportable, not_reportable or review, decided by
-- rule_pattern (the row of icd10cm-casefinding.csv, with its label) on rule_code.
-- match_kind is new_patient, known_patient (a new primary for a known patient?) or
-- already_abstracted, with match_score and match_reasons (a JSON array of strings), and the
-- patient and tumor matched. status: waiting, set_aside (screened not reportable),
-- abstract_started and added_to_patient (tumor_id is the case made), not_reportable
-- (reason, a key of casefinding-not-reportable-reasons.csv, with decision_note), duplicate
-- (duplicate_of). decided_by and decided_at say who decided; version guards against two
-- registrars deciding the same record at once.
CREATE TABLE suspense_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    row_key TEXT NOT NULL,
    source TEXT NOT NULL,
    mrn TEXT NOT NULL DEFAULT '',
    name_last TEXT NOT NULL DEFAULT '',
    name_first TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    first_contact TEXT NOT NULL DEFAULT '',
    codes TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    screening TEXT NOT NULL,
    rule_pattern TEXT NOT NULL DEFAULT '',
    rule_label TEXT NOT NULL DEFAULT '',
    rule_code TEXT NOT NULL DEFAULT '',
    match_kind TEXT NOT NULL DEFAULT '',
    match_score INTEGER NOT NULL DEFAULT 0,
    match_reasons TEXT NOT NULL DEFAULT '[]',
    match_patient_id INTEGER NULL REFERENCES patients (id) ON DELETE SET NULL,
    match_tumor_id INTEGER NULL REFERENCES tumors (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    tumor_id INTEGER NULL REFERENCES tumors (id) ON DELETE SET NULL,
    duplicate_of INTEGER NULL REFERENCES suspense_records (id) ON DELETE SET NULL,
    reason TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT '',
    decided_by INTEGER NULL REFERENCES users (id),
    decided_at DATETIME NULL,
    imported_by INTEGER NULL REFERENCES users (id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_suspense_records_key ON suspense_records (facility_id, row_key);
CREATE INDEX idx_suspense_records_status ON suspense_records (facility_id, status, first_contact);
CREATE INDEX idx_suspense_records_mrn ON suspense_records (facility_id, mrn);

-- +goose Down
DROP TABLE suspense_records;
