-- +goose Up
-- The pre-filled abstract (issue 18): a case started from an electronic report shows the
-- report's suggested item values until the registrar saves or dismisses them. A dismissal is
-- kept per case, item and value (the same value suggested again stays dismissed; another value
-- is shown). The indexes find the reports of a case: its suspense records by tumor, a FHIR
-- bundle by its suspense record (named as on SQLite; the foreign keys' own indexes are unnamed).
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
CREATE INDEX idx_suspense_records_tumor ON suspense_records (tumor_id);
CREATE INDEX idx_fhir_bundles_suspense ON fhir_bundles (suspense_record_id);

-- +goose Down
-- The foreign keys use the indexes now: each is dropped with its key, and the key made again
-- (with an index of its own, as before).
ALTER TABLE fhir_bundles DROP FOREIGN KEY fk_fhir_bundles_suspense;
ALTER TABLE fhir_bundles DROP INDEX idx_fhir_bundles_suspense;
ALTER TABLE fhir_bundles ADD CONSTRAINT fk_fhir_bundles_suspense FOREIGN KEY (suspense_record_id) REFERENCES suspense_records (id) ON DELETE SET NULL;
ALTER TABLE suspense_records DROP FOREIGN KEY fk_suspense_records_tumor;
ALTER TABLE suspense_records DROP INDEX idx_suspense_records_tumor;
ALTER TABLE suspense_records ADD CONSTRAINT fk_suspense_records_tumor FOREIGN KEY (tumor_id) REFERENCES tumors (id) ON DELETE SET NULL;
DROP TABLE suggestion_dismissals;
