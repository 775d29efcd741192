-- +goose Up
-- Release of information (internal/release, issue 19). A data request names its requester, purpose
-- and legal basis; an admin approves or denies it; an approved request's extract may run until it
-- expires. items is the saved item set (JSON array of NAACCR XML ids), filters the saved case
-- filters (JSON object). Every extract run is one row of the release log (releases), with the
-- file's SHA-256 and the time the file is kept until (after which it is purged: file_path ''),
-- and every patient it included one row of release_patients: the accounting of disclosures.
CREATE TABLE data_requests (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    requester_name VARCHAR(255) NOT NULL,
    organization VARCHAR(255) NOT NULL DEFAULT '',
    email VARCHAR(255) NOT NULL DEFAULT '',
    purpose TEXT NOT NULL,
    legal_basis VARCHAR(32) NOT NULL,
    legal_reference VARCHAR(255) NOT NULL DEFAULT '',
    privacy_level VARCHAR(16) NOT NULL,
    items MEDIUMTEXT NOT NULL,
    filters TEXT NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'draft',
    created_by BIGINT UNSIGNED NULL,
    approver_id BIGINT UNSIGNED NULL,
    approved_at DATETIME(6) NULL,
    decision_note TEXT NOT NULL,
    expires_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    INDEX idx_data_requests_status (status),
    CONSTRAINT fk_data_requests_creator FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT fk_data_requests_approver FOREIGN KEY (approver_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE releases (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    request_id BIGINT UNSIGNED NOT NULL,
    run_by BIGINT UNSIGNED NULL,
    format VARCHAR(8) NOT NULL,
    filters TEXT NOT NULL,
    items MEDIUMTEXT NOT NULL,
    privacy_level VARCHAR(16) NOT NULL,
    patients INT NOT NULL DEFAULT 0,
    tumors INT NOT NULL DEFAULT 0,
    sha256 CHAR(64) NOT NULL,
    file_name VARCHAR(255) NOT NULL,
    file_path VARCHAR(1024) NOT NULL DEFAULT '',
    kept_until DATETIME(6) NOT NULL,
    purged_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    INDEX idx_releases_request (request_id),
    CONSTRAINT fk_releases_request FOREIGN KEY (request_id) REFERENCES data_requests (id),
    CONSTRAINT fk_releases_user FOREIGN KEY (run_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE release_patients (
    release_id BIGINT UNSIGNED NOT NULL,
    patient_id BIGINT UNSIGNED NOT NULL,
    tumors INT NOT NULL DEFAULT 0,
    PRIMARY KEY (release_id, patient_id),
    INDEX idx_release_patients_patient (patient_id),
    CONSTRAINT fk_release_patients_release FOREIGN KEY (release_id) REFERENCES releases (id) ON DELETE CASCADE,
    CONSTRAINT fk_release_patients_patient FOREIGN KEY (patient_id) REFERENCES patients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE release_patients;
DROP TABLE releases;
DROP TABLE data_requests;
