-- +goose Up
-- Intake of uploaded NAACCR XML submission files (issue 8, the state registry side).
--
-- intakes: one uploaded file and its processing job. facility_id is the facility the uploader
-- sent it for (who may see it); sending_facility_id is the facility the file's reportingFacility
-- item names, found when it is processed (NULL: none matched; the import then uses facility_id).
-- state: queued, running, done, failed or accepted. heartbeat_at is renewed while a job runs, so
-- that a job left running by a stopped process is picked up again. The counts are written every
-- few thousand records while it runs. facilities_seen is a JSON array of reportingFacility values.
CREATE TABLE intakes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    sending_facility_id INTEGER NULL REFERENCES facilities (id),
    uploaded_by INTEGER NULL REFERENCES users (id),
    created_at DATETIME NOT NULL,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    started_at DATETIME NULL,
    finished_at DATETIME NULL,
    heartbeat_at DATETIME NULL,
    naaccr_version TEXT NOT NULL DEFAULT '',
    record_type TEXT NOT NULL DEFAULT '',
    facilities_seen TEXT NOT NULL DEFAULT '[]',
    patients INTEGER NOT NULL DEFAULT 0,
    tumors INTEGER NOT NULL DEFAULT 0,
    records_processed INTEGER NOT NULL DEFAULT 0,
    structural_errors INTEGER NOT NULL DEFAULT 0,
    edit_errors INTEGER NOT NULL DEFAULT 0,
    edit_warnings INTEGER NOT NULL DEFAULT 0,
    failures_stored INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    acceptable_tumors INTEGER NOT NULL DEFAULT 0,
    accepted_tumors INTEGER NOT NULL DEFAULT 0,
    existing_tumors INTEGER NOT NULL DEFAULT 0,
    skipped_tumors INTEGER NOT NULL DEFAULT 0,
    accepted_at DATETIME NULL,
    accepted_by INTEGER NULL REFERENCES users (id)
);
CREATE INDEX idx_intakes_facility ON intakes (facility_id, created_at);
CREATE INDEX idx_intakes_state ON intakes (state, heartbeat_at);

-- How often each edit failed in an intake, by severity.
CREATE TABLE intake_edit_counts (
    intake_id INTEGER NOT NULL REFERENCES intakes (id) ON DELETE CASCADE,
    edit_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (intake_id, edit_id, severity)
);

-- The failing records of an intake, up to a cap per intake (see submission.MaxIntakeFailures).
-- patient_index and tumor_index are 0-based positions in the file; tumor_index -1 is the patient.
CREATE TABLE intake_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intake_id INTEGER NOT NULL REFERENCES intakes (id) ON DELETE CASCADE,
    patient_index INTEGER NOT NULL,
    tumor_index INTEGER NOT NULL,
    patient_id_number TEXT NOT NULL DEFAULT '',
    tumor_sequence TEXT NOT NULL DEFAULT '',
    edit_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    item TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL
);
CREATE INDEX idx_intake_failures_intake ON intake_failures (intake_id, id);
CREATE INDEX idx_intake_failures_edit ON intake_failures (intake_id, edit_id, severity, id);

-- +goose Down
DROP TABLE intake_failures;
DROP TABLE intake_edit_counts;
DROP TABLE intakes;
