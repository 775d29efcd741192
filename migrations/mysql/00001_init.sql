-- +goose Up
CREATE TABLE facilities (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL,
    npi VARCHAR(10) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_facilities_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE users (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    display_name VARCHAR(200) NOT NULL DEFAULT '',
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(16) NOT NULL,
    facility_id BIGINT UNSIGNED NULL,
    disabled_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_users_username (username),
    INDEX idx_users_facility (facility_id),
    CONSTRAINT fk_users_facility FOREIGN KEY (facility_id) REFERENCES facilities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash CHAR(64) NOT NULL,
    user_id BIGINT UNSIGNED NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_sessions_token_hash (token_hash),
    INDEX idx_sessions_user (user_id),
    INDEX idx_sessions_expires (expires_at),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE patients (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    patient_id_number VARCHAR(8) NOT NULL DEFAULT '',
    name_last VARCHAR(40) NOT NULL DEFAULT '',
    name_first VARCHAR(40) NOT NULL DEFAULT '',
    date_of_birth VARCHAR(8) NOT NULL DEFAULT '',
    items JSON NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    INDEX idx_patients_facility (facility_id),
    INDEX idx_patients_name (name_last, name_first),
    INDEX idx_patients_id_number (patient_id_number),
    INDEX idx_patients_facility_pid (facility_id, patient_id_number),
    CONSTRAINT fk_patients_facility FOREIGN KEY (facility_id) REFERENCES facilities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tumors (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    patient_id BIGINT UNSIGNED NOT NULL,
    medical_record_number VARCHAR(15) NOT NULL DEFAULT '',
    accession_number VARCHAR(9) NOT NULL DEFAULT '',
    sequence_number VARCHAR(2) NOT NULL DEFAULT '',
    primary_site VARCHAR(4) NOT NULL DEFAULT '',
    histology VARCHAR(4) NOT NULL DEFAULT '',
    behavior VARCHAR(1) NOT NULL DEFAULT '',
    date_of_diagnosis VARCHAR(8) NOT NULL DEFAULT '',
    status VARCHAR(16) NOT NULL DEFAULT 'draft',
    assigned_to BIGINT UNSIGNED NULL,
    reviewed_by BIGINT UNSIGNED NULL,
    edit_errors INT NOT NULL DEFAULT 0,
    edit_warnings INT NOT NULL DEFAULT 0,
    items JSON NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    INDEX idx_tumors_patient (patient_id),
    INDEX idx_tumors_patient_seq (patient_id, sequence_number),
    INDEX idx_tumors_status (status),
    INDEX idx_tumors_mrn (medical_record_number),
    INDEX idx_tumors_accession (accession_number),
    INDEX idx_tumors_site (primary_site),
    INDEX idx_tumors_dx_date (date_of_diagnosis),
    INDEX idx_tumors_assigned (assigned_to),
    INDEX idx_tumors_reviewed (reviewed_by),
    CONSTRAINT fk_tumors_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT fk_tumors_assigned FOREIGN KEY (assigned_to) REFERENCES users (id),
    CONSTRAINT fk_tumors_reviewed FOREIGN KEY (reviewed_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at DATETIME(6) NOT NULL,
    user_id BIGINT UNSIGNED NULL,
    action VARCHAR(32) NOT NULL,
    entity VARCHAR(32) NOT NULL DEFAULT '',
    entity_id VARCHAR(64) NOT NULL DEFAULT '',
    details JSON NOT NULL,
    remote_addr VARCHAR(64) NOT NULL DEFAULT '',
    INDEX idx_audit_events_at (at),
    INDEX idx_audit_events_entity (entity, entity_id),
    INDEX idx_audit_events_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_events;
DROP TABLE tumors;
DROP TABLE patients;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE facilities;
