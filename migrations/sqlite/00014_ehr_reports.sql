-- +goose Up
-- EHR intake (issue 18): electronic pathology reports (HL7 v2 ORU^R01, NAACCR Volume V) as
-- received, each on the facility's suspense list, and the item values suggested from them.
--
-- raw is the message as received (bytes, kept for the retention period) with its SHA-256; a
-- sender token in MSH-8 is redacted from raw (the hash is of the bytes as received).
-- sender is MSH-3 and MSH-4 (sending application and facility) as text; control_id is MSH-10,
-- unique per sender: the same message sent twice is stored once. suspense_id is the record on
-- the suspense list the report became. accession is the specimen's accession number (OBR-20 or
-- ORC-3/OBR-3), collected_at the specimen collection date (OBR-7, CCYYMMDD).
CREATE TABLE ehr_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    format TEXT NOT NULL,
    sender TEXT NOT NULL,
    control_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    raw BLOB NOT NULL,
    accession TEXT NOT NULL DEFAULT '',
    collected_at TEXT NOT NULL DEFAULT '',
    ordering_provider TEXT NOT NULL DEFAULT '',
    suspense_id INTEGER NULL REFERENCES suspense_records (id) ON DELETE SET NULL,
    remote_addr TEXT NOT NULL DEFAULT '',
    received_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX idx_ehr_reports_control ON ehr_reports (facility_id, sender, control_id);
CREATE INDEX idx_ehr_reports_suspense ON ehr_reports (suspense_id);

-- A suggested value of an item from a report: naaccr_id and value, where it came from (source:
-- "OBX 4 (LN 85337-4)", "OBR-7") and the text it was read from; it stays a suggestion until a
-- registrar saves it in an abstract.
CREATE TABLE ehr_suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES ehr_reports (id) ON DELETE CASCADE,
    naaccr_id TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    source_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_ehr_suggestions_report ON ehr_suggestions (report_id);

-- A sender allowed on the MLLP listener (issue 18): the facility its reports join, a name for
-- the administrator, and its token's SHA-256 (the token is 256 random bits, shown once when
-- made; a slow hash would add nothing). It sends the token in MSH-8 (Security), which is
-- redacted from the raw message stored. revoked_at ends it.
CREATE TABLE ehr_senders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    revoked_at DATETIME NULL
);
CREATE UNIQUE INDEX idx_ehr_senders_token ON ehr_senders (token_hash);

-- +goose Down
DROP TABLE ehr_senders;
DROP TABLE ehr_suggestions;
DROP TABLE ehr_reports;
