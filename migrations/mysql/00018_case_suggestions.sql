-- +goose Up
-- The pre-filled abstract (issue 18): a case started from an electronic report shows the
-- report's suggested item values until the registrar saves or dismisses them. A dismissal is
-- kept per case, item and value (the same value suggested again stays dismissed; another value
-- is shown). suspense_records.tumor_id and fhir_bundles.suspense_record_id are indexed by their
-- foreign keys here already.
CREATE TABLE suggestion_dismissals (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tumor_id BIGINT UNSIGNED NOT NULL,
    naaccr_id VARCHAR(64) NOT NULL,
    value VARCHAR(255) NOT NULL,
    dismissed_by BIGINT UNSIGNED NULL,
    dismissed_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_suggestion_dismissals (tumor_id, naaccr_id, value),
    CONSTRAINT fk_suggestion_dismissals_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE CASCADE,
    CONSTRAINT fk_suggestion_dismissals_user FOREIGN KEY (dismissed_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE suggestion_dismissals;
