-- +goose Up
-- The pre-filled abstract (issue 18): a case started from an electronic report shows the
-- report's suggested item values until the registrar saves or dismisses them. A dismissal is
-- kept per case, item and value (the same value suggested again stays dismissed; another value
-- is shown). The indexes find the reports of a case: its suspense records by tumor, a FHIR
-- bundle by its suspense record.
CREATE TABLE suggestion_dismissals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    naaccr_id TEXT NOT NULL,
    value TEXT NOT NULL,
    dismissed_by INTEGER NULL REFERENCES users (id),
    dismissed_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_suggestion_dismissals ON suggestion_dismissals (tumor_id, naaccr_id, value);
CREATE INDEX idx_suspense_records_tumor ON suspense_records (tumor_id);
CREATE INDEX idx_fhir_bundles_suspense ON fhir_bundles (suspense_record_id);

-- +goose Down
DROP INDEX idx_fhir_bundles_suspense;
DROP INDEX idx_suspense_records_tumor;
DROP TABLE suggestion_dismissals;
