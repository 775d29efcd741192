-- +goose Up
-- FHIR R4 intake (internal/fhirintake, issue 18): every bundle taken in, kept as received (raw, its
-- SHA-256) with the suspense record it became and the item values it suggests. bundle_key is the
-- SHA-256 of Bundle.identifier (system|value), or of the raw bytes when it has none: the same
-- bundle sent again finds its key and adds nothing. suggestions is a JSON array of {item, id,
-- name, value, path, from} (path: the resource field, Bundle.entry[2].resource(Condition).code.
-- coding[0]); issues the warnings of the OperationOutcome the sender got.
CREATE TABLE fhir_bundles (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    facility_id BIGINT UNSIGNED NOT NULL,
    bundle_key CHAR(64) NOT NULL,
    identifier VARCHAR(512) NOT NULL DEFAULT '',
    sha256 CHAR(64) NOT NULL,
    bundle_type VARCHAR(16) NOT NULL,
    suspense_record_id BIGINT UNSIGNED NULL,
    suggestions MEDIUMTEXT NOT NULL,
    issues MEDIUMTEXT NOT NULL,
    raw LONGBLOB NOT NULL,
    received_by BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE INDEX idx_fhir_bundles_key (facility_id, bundle_key),
    CONSTRAINT fk_fhir_bundles_facility FOREIGN KEY (facility_id) REFERENCES facilities (id),
    CONSTRAINT fk_fhir_bundles_suspense FOREIGN KEY (suspense_record_id) REFERENCES suspense_records (id) ON DELETE SET NULL,
    CONSTRAINT fk_fhir_bundles_user FOREIGN KEY (received_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE fhir_bundles;
