-- +goose Up
-- Release of information (internal/release, issue 19). A data request names its requester, purpose
-- and legal basis; an admin approves or denies it; an approved request's extract may run until it
-- expires. items is the saved item set (JSON array of NAACCR XML ids), filters the saved case
-- filters (JSON object). Every extract run is one row of the release log (releases), with the
-- file's SHA-256 and the time the file is kept until (after which it is purged: file_path ''),
-- and every patient it included one row of release_patients: the accounting of disclosures.
CREATE TABLE data_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_name TEXT NOT NULL,
    organization TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    legal_reference TEXT NOT NULL DEFAULT '',
    privacy_level TEXT NOT NULL,
    items TEXT NOT NULL DEFAULT '[]',
    filters TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'draft',
    created_by INTEGER NULL REFERENCES users (id),
    approver_id INTEGER NULL REFERENCES users (id),
    approved_at DATETIME NULL,
    decision_note TEXT NOT NULL DEFAULT '',
    expires_at DATETIME NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX idx_data_requests_status ON data_requests (status);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES data_requests (id),
    run_by INTEGER NULL REFERENCES users (id),
    format TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    items TEXT NOT NULL DEFAULT '[]',
    privacy_level TEXT NOT NULL,
    patients INTEGER NOT NULL DEFAULT 0,
    tumors INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_path TEXT NOT NULL DEFAULT '',
    kept_until DATETIME NOT NULL,
    purged_at DATETIME NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX idx_releases_request ON releases (request_id);

CREATE TABLE release_patients (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    tumors INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (release_id, patient_id)
);
CREATE INDEX idx_release_patients_patient ON release_patients (patient_id);

-- +goose Down
DROP TABLE release_patients;
DROP TABLE releases;
DROP TABLE data_requests;
