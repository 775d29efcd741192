-- +goose Up
-- The review workflow, administration and the QA audit (issue 7). See the SQLite migration of
-- the same number for what each table is for.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE user_facilities (
    user_id BIGINT UNSIGNED NOT NULL,
    facility_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (user_id, facility_id),
    INDEX idx_user_facilities_facility (facility_id),
    CONSTRAINT fk_user_facilities_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_facilities_facility FOREIGN KEY (facility_id) REFERENCES facilities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO user_facilities (user_id, facility_id) SELECT id, facility_id FROM users WHERE facility_id IS NOT NULL;

ALTER TABLE facilities ADD COLUMN id_number VARCHAR(10) NOT NULL DEFAULT '';

ALTER TABLE tumors ADD COLUMN status_changed_at DATETIME(6) NULL;
UPDATE tumors SET status_changed_at = updated_at;
CREATE INDEX idx_tumors_status_changed ON tumors (status, status_changed_at);
CREATE INDEX idx_tumors_facility_status_changed ON tumors (facility_id, status, status_changed_at);

CREATE TABLE status_changes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tumor_id BIGINT UNSIGNED NOT NULL,
    facility_id BIGINT UNSIGNED NOT NULL,
    action VARCHAR(16) NOT NULL,
    from_status VARCHAR(16) NOT NULL,
    to_status VARCHAR(16) NOT NULL,
    user_id BIGINT UNSIGNED NULL,
    reason TEXT NOT NULL,
    edit_errors INT NOT NULL DEFAULT 0,
    edit_warnings INT NOT NULL DEFAULT 0,
    at DATETIME(6) NOT NULL,
    INDEX idx_status_changes_tumor (tumor_id, at),
    INDEX idx_status_changes_facility (facility_id, at),
    INDEX idx_status_changes_user (user_id, at),
    CONSTRAINT fk_status_changes_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE,
    CONSTRAINT fk_status_changes_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE review_comments (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tumor_id BIGINT UNSIGNED NOT NULL,
    naaccr_id VARCHAR(64) NOT NULL DEFAULT '',
    author_id BIGINT UNSIGNED NOT NULL,
    body TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    resolved_at DATETIME(6) NULL,
    resolved_by BIGINT UNSIGNED NULL,
    resolution TEXT NOT NULL,
    closed_at DATETIME(6) NULL,
    closed_by BIGINT UNSIGNED NULL,
    INDEX idx_review_comments_tumor (tumor_id, naaccr_id),
    CONSTRAINT fk_review_comments_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE,
    CONSTRAINT fk_review_comments_author FOREIGN KEY (author_id) REFERENCES users (id),
    CONSTRAINT fk_review_comments_resolved_by FOREIGN KEY (resolved_by) REFERENCES users (id),
    CONSTRAINT fk_review_comments_closed_by FOREIGN KEY (closed_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE reabstraction_samples (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NULL,
    created_by BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    description TEXT NOT NULL,
    items TEXT NOT NULL,
    CONSTRAINT fk_reabstraction_samples_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_reabstraction_samples_created_by FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE reabstraction_cases (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sample_id BIGINT UNSIGNED NOT NULL,
    tumor_id BIGINT UNSIGNED NOT NULL,
    abstractor_id BIGINT UNSIGNED NULL,
    reviewer_id BIGINT UNSIGNED NULL,
    completed_at DATETIME(6) NULL,
    UNIQUE INDEX idx_reabstraction_cases_sample_tumor (sample_id, tumor_id),
    INDEX idx_reabstraction_cases_tumor (tumor_id),
    CONSTRAINT fk_reabstraction_cases_sample FOREIGN KEY (sample_id) REFERENCES reabstraction_samples (id) ON DELETE CASCADE,
    CONSTRAINT fk_reabstraction_cases_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE,
    CONSTRAINT fk_reabstraction_cases_abstractor FOREIGN KEY (abstractor_id) REFERENCES users (id),
    CONSTRAINT fk_reabstraction_cases_reviewer FOREIGN KEY (reviewer_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE reabstraction_items (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    case_id BIGINT UNSIGNED NOT NULL,
    naaccr_id VARCHAR(64) NOT NULL,
    original TEXT NOT NULL,
    reviewed TEXT NOT NULL,
    agree BOOLEAN NOT NULL DEFAULT FALSE,
    reason VARCHAR(32) NOT NULL DEFAULT '',
    note TEXT NOT NULL,
    UNIQUE INDEX idx_reabstraction_items_case_item (case_id, naaccr_id),
    CONSTRAINT fk_reabstraction_items_case FOREIGN KEY (case_id) REFERENCES reabstraction_cases (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE reabstraction_items;
DROP TABLE reabstraction_cases;
DROP TABLE reabstraction_samples;
DROP TABLE review_comments;
DROP TABLE status_changes;
DROP INDEX idx_tumors_facility_status_changed ON tumors;
DROP INDEX idx_tumors_status_changed ON tumors;
ALTER TABLE tumors DROP COLUMN status_changed_at;
ALTER TABLE facilities DROP COLUMN id_number;
DROP TABLE user_facilities;
ALTER TABLE users DROP COLUMN must_change_password;
