-- +goose Up
-- Intake of uploaded NAACCR XML submission files (issue 8). See the SQLite migration of the same
-- number for what each table and column is for.
CREATE TABLE intakes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    sending_facility_id BIGINT UNSIGNED NULL,
    uploaded_by BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    file_name VARCHAR(255) NOT NULL,
    stored_path VARCHAR(1024) NOT NULL,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    sha256 CHAR(64) NOT NULL,
    state VARCHAR(16) NOT NULL,
    error TEXT NOT NULL,
    started_at DATETIME(6) NULL,
    finished_at DATETIME(6) NULL,
    heartbeat_at DATETIME(6) NULL,
    naaccr_version VARCHAR(8) NOT NULL DEFAULT '',
    record_type VARCHAR(2) NOT NULL DEFAULT '',
    facilities_seen TEXT NOT NULL,
    patients INT NOT NULL DEFAULT 0,
    tumors INT NOT NULL DEFAULT 0,
    records_processed INT NOT NULL DEFAULT 0,
    structural_errors INT NOT NULL DEFAULT 0,
    edit_errors INT NOT NULL DEFAULT 0,
    edit_warnings INT NOT NULL DEFAULT 0,
    failures_stored INT NOT NULL DEFAULT 0,
    duplicates INT NOT NULL DEFAULT 0,
    acceptable_tumors INT NOT NULL DEFAULT 0,
    accepted_tumors INT NOT NULL DEFAULT 0,
    existing_tumors INT NOT NULL DEFAULT 0,
    skipped_tumors INT NOT NULL DEFAULT 0,
    accepted_at DATETIME(6) NULL,
    accepted_by BIGINT UNSIGNED NULL,
    INDEX idx_intakes_facility (facility_id, created_at),
    INDEX idx_intakes_state (state, heartbeat_at),
    CONSTRAINT fk_intakes_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_intakes_sending_facility FOREIGN KEY (sending_facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_intakes_uploaded_by FOREIGN KEY (uploaded_by) REFERENCES users (id),
    CONSTRAINT fk_intakes_accepted_by FOREIGN KEY (accepted_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE intake_edit_counts (
    intake_id BIGINT UNSIGNED NOT NULL,
    edit_id VARCHAR(128) NOT NULL,
    severity VARCHAR(16) NOT NULL,
    count INT NOT NULL DEFAULT 0,
    PRIMARY KEY (intake_id, edit_id, severity),
    CONSTRAINT fk_intake_edit_counts_intake FOREIGN KEY (intake_id) REFERENCES intakes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE intake_failures (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    intake_id BIGINT UNSIGNED NOT NULL,
    patient_index INT NOT NULL,
    tumor_index INT NOT NULL,
    patient_id_number VARCHAR(32) NOT NULL DEFAULT '',
    tumor_sequence VARCHAR(8) NOT NULL DEFAULT '',
    edit_id VARCHAR(128) NOT NULL,
    severity VARCHAR(16) NOT NULL,
    item VARCHAR(64) NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    INDEX idx_intake_failures_intake (intake_id, id),
    INDEX idx_intake_failures_edit (intake_id, edit_id, severity, id),
    CONSTRAINT fk_intake_failures_intake FOREIGN KEY (intake_id) REFERENCES intakes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE intake_failures;
DROP TABLE intake_edit_counts;
DROP TABLE intakes;
