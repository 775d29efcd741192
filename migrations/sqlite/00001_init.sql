-- +goose Up
CREATE TABLE facilities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    npi TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_facilities_code ON facilities (code);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    facility_id INTEGER NULL REFERENCES facilities (id),
    disabled_at DATETIME NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_users_username ON users (username);
CREATE INDEX idx_users_facility ON users (facility_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_sessions_token_hash ON sessions (token_hash);
CREATE INDEX idx_sessions_user ON sessions (user_id);
CREATE INDEX idx_sessions_expires ON sessions (expires_at);

CREATE TABLE patients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    patient_id_number TEXT NOT NULL DEFAULT '',
    name_last TEXT NOT NULL DEFAULT '',
    name_first TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT NOT NULL DEFAULT '',
    items TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX idx_patients_facility ON patients (facility_id);
CREATE INDEX idx_patients_name ON patients (name_last, name_first);
CREATE INDEX idx_patients_id_number ON patients (patient_id_number);
CREATE INDEX idx_patients_facility_pid ON patients (facility_id, patient_id_number);

CREATE TABLE tumors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    medical_record_number TEXT NOT NULL DEFAULT '',
    accession_number TEXT NOT NULL DEFAULT '',
    sequence_number TEXT NOT NULL DEFAULT '',
    primary_site TEXT NOT NULL DEFAULT '',
    histology TEXT NOT NULL DEFAULT '',
    behavior TEXT NOT NULL DEFAULT '',
    date_of_diagnosis TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    assigned_to INTEGER NULL REFERENCES users (id),
    reviewed_by INTEGER NULL REFERENCES users (id),
    edit_errors INTEGER NOT NULL DEFAULT 0,
    edit_warnings INTEGER NOT NULL DEFAULT 0,
    items TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX idx_tumors_patient ON tumors (patient_id);
CREATE INDEX idx_tumors_patient_seq ON tumors (patient_id, sequence_number);
CREATE INDEX idx_tumors_status ON tumors (status);
CREATE INDEX idx_tumors_mrn ON tumors (medical_record_number);
CREATE INDEX idx_tumors_accession ON tumors (accession_number);
CREATE INDEX idx_tumors_site ON tumors (primary_site);
CREATE INDEX idx_tumors_dx_date ON tumors (date_of_diagnosis);
CREATE INDEX idx_tumors_assigned ON tumors (assigned_to);
CREATE INDEX idx_tumors_reviewed ON tumors (reviewed_by);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at DATETIME NOT NULL,
    user_id INTEGER NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL DEFAULT '',
    entity_id TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_audit_events_at ON audit_events (at);
CREATE INDEX idx_audit_events_entity ON audit_events (entity, entity_id);
CREATE INDEX idx_audit_events_user ON audit_events (user_id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE tumors;
DROP TABLE patients;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE facilities;
