-- +goose Up
-- EHR intake (issue 18): electronic pathology reports as received and the item values suggested
-- from them. See the SQLite migration of the same number for what each column is for.
CREATE TABLE ehr_reports (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    format VARCHAR(16) NOT NULL,
    sender VARCHAR(255) NOT NULL,
    control_id VARCHAR(199) NOT NULL,
    message_type VARCHAR(32) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    raw LONGBLOB NOT NULL,
    accession VARCHAR(64) NOT NULL DEFAULT '',
    collected_at VARCHAR(8) NOT NULL DEFAULT '',
    ordering_provider VARCHAR(255) NOT NULL DEFAULT '',
    suspense_id BIGINT UNSIGNED NULL,
    remote_addr VARCHAR(64) NOT NULL DEFAULT '',
    received_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_ehr_reports_control (facility_id, sender, control_id),
    INDEX idx_ehr_reports_suspense (suspense_id),
    CONSTRAINT fk_ehr_reports_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_ehr_reports_suspense FOREIGN KEY (suspense_id) REFERENCES suspense_records (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ehr_suggestions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    report_id BIGINT UNSIGNED NOT NULL,
    naaccr_id VARCHAR(64) NOT NULL,
    value VARCHAR(255) NOT NULL,
    source VARCHAR(255) NOT NULL,
    source_text TEXT NOT NULL,
    INDEX idx_ehr_suggestions_report (report_id),
    CONSTRAINT fk_ehr_suggestions_report FOREIGN KEY (report_id) REFERENCES ehr_reports (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ehr_senders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(100) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NULL,
    UNIQUE INDEX idx_ehr_senders_token (token_hash),
    CONSTRAINT fk_ehr_senders_facility FOREIGN KEY (facility_id) REFERENCES facilities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE ehr_senders;
DROP TABLE ehr_suggestions;
DROP TABLE ehr_reports;
