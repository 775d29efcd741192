-- +goose Up
-- FHIR R4 intake (internal/fhirintake, issue 18): every bundle taken in, kept as received (raw, its
-- SHA-256) with the suspense record it became and the item values it suggests. bundle_key is the
-- SHA-256 of Bundle.identifier (system|value), or of the raw bytes when it has none: the same
-- bundle sent again finds its key and adds nothing. suggestions is a JSON array of {item, id,
-- name, value, path, from} (path: the resource field, Bundle.entry[2].resource(Condition).code.
-- coding[0]); issues the warnings of the OperationOutcome the sender got.
CREATE TABLE fhir_bundles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    bundle_key TEXT NOT NULL,
    identifier TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    bundle_type TEXT NOT NULL,
    suspense_record_id INTEGER NULL REFERENCES suspense_records (id) ON DELETE SET NULL,
    suggestions TEXT NOT NULL DEFAULT '[]',
    issues TEXT NOT NULL DEFAULT '[]',
    raw BLOB NOT NULL,
    received_by INTEGER NULL REFERENCES users (id),
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_fhir_bundles_key ON fhir_bundles (facility_id, bundle_key);

-- +goose Down
DROP TABLE fhir_bundles;
