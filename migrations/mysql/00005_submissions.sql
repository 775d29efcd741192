-- +goose Up
-- Submission batches (issue 8, hospital side). See the SQLite migration of the same number for
-- what each table and column is for.
CREATE TABLE submissions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    kind VARCHAR(16) NOT NULL DEFAULT 'regular',
    created_by BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    file_name VARCHAR(191) NOT NULL,
    naaccr_version VARCHAR(8) NOT NULL,
    record_type VARCHAR(1) NOT NULL,
    gzip BOOLEAN NOT NULL DEFAULT FALSE,
    sha256 CHAR(64) NOT NULL,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    patient_count INT NOT NULL DEFAULT 0,
    tumor_count INT NOT NULL DEFAULT 0,
    item_count BIGINT NOT NULL DEFAULT 0,
    held_count INT NOT NULL DEFAULT 0,
    warning_count INT NOT NULL DEFAULT 0,
    storage_path VARCHAR(512) NOT NULL,
    date_from VARCHAR(8) NOT NULL DEFAULT '',
    date_to VARCHAR(8) NOT NULL DEFAULT '',
    UNIQUE INDEX idx_submissions_file_name (file_name),
    INDEX idx_submissions_facility (facility_id, created_at),
    CONSTRAINT fk_submissions_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_submissions_created_by FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE submission_tumors (
    submission_id BIGINT UNSIGNED NOT NULL,
    tumor_id BIGINT UNSIGNED NOT NULL,
    tumor_version BIGINT NOT NULL,
    held BOOLEAN NOT NULL DEFAULT FALSE,
    warnings INT NOT NULL DEFAULT 0,
    failures MEDIUMTEXT NOT NULL,
    PRIMARY KEY (submission_id, tumor_id),
    INDEX idx_submission_tumors_tumor (tumor_id, held),
    CONSTRAINT fk_submission_tumors_submission FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE,
    CONSTRAINT fk_submission_tumors_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE INDEX idx_tumors_facility_status_patient ON tumors (facility_id, status, patient_id);

-- +goose Down
DROP INDEX idx_tumors_facility_status_patient ON tumors;
DROP TABLE submission_tumors;
DROP TABLE submissions;
