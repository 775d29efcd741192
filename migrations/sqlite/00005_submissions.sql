-- +goose Up
-- Submission batches (issue 8, hospital side): the files sent to the state registry.
--
-- submissions: one batch file. kind is regular (approved cases never submitted before) or
-- correction (approved cases that were in an earlier batch and were reopened, changed and approved
-- again). file_name follows the registry convention <facility>_<YYYYMMDD>_<seq>.xml[.gz] and is
-- unique, which also keeps two batches written at once from taking the same sequence number.
-- storage_path is relative to the configured submission directory; sha256 is of the bytes on
-- disk (compressed when gzip), checked again on every download.
-- date_from and date_to are the diagnosis date range asked for ('' for all pending).
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    kind TEXT NOT NULL DEFAULT 'regular',
    created_by INTEGER NULL REFERENCES users (id),
    created_at DATETIME NOT NULL,
    file_name TEXT NOT NULL,
    naaccr_version TEXT NOT NULL,
    record_type TEXT NOT NULL,
    gzip INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    patient_count INTEGER NOT NULL DEFAULT 0,
    tumor_count INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    held_count INTEGER NOT NULL DEFAULT 0,
    warning_count INTEGER NOT NULL DEFAULT 0,
    storage_path TEXT NOT NULL,
    date_from TEXT NOT NULL DEFAULT '',
    date_to TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_submissions_file_name ON submissions (file_name);
CREATE INDEX idx_submissions_facility ON submissions (facility_id, created_at);

-- submission_tumors: every case a batch looked at. held = 0: the case is in the file, at
-- tumor_version (the version read when the file was written; the case became submitted in the
-- batch's transaction). held = 1: error-severity edits kept it out. failures is a JSON array of
-- the case's failing edits (errors of a held case, warnings of a sent one), '[]' when none.
CREATE TABLE submission_tumors (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    tumor_version INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    failures TEXT NOT NULL,
    PRIMARY KEY (submission_id, tumor_id)
);
CREATE INDEX idx_submission_tumors_tumor ON submission_tumors (tumor_id, held);

-- The pending cases of a facility are read patient by patient (keyset on patient_id).
CREATE INDEX idx_tumors_facility_status_patient ON tumors (facility_id, status, patient_id);

-- +goose Down
DROP INDEX idx_tumors_facility_status_patient;
DROP TABLE submission_tumors;
DROP TABLE submissions;
