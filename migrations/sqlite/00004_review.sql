-- +goose Up
-- The review workflow, administration and the QA audit (issue 7).
--
-- user_facilities: a user may work for several facilities. users.facility_id stays as the user's
-- home facility (the one shown and chosen first); every facility a user may see is a row here,
-- the home facility included. An administrator needs none: they see every facility.
-- must_change_password: set by an administrator's password reset; the user must choose a new
-- password at their next login before anything else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
CREATE TABLE user_facilities (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    facility_id INTEGER NOT NULL REFERENCES facilities (id),
    PRIMARY KEY (user_id, facility_id)
);
CREATE INDEX idx_user_facilities_facility ON user_facilities (facility_id);
INSERT INTO user_facilities (user_id, facility_id) SELECT id, facility_id FROM users WHERE facility_id IS NOT NULL;

-- The facility's identifiers a submission file carries: reportingFacility (NAACCR #540).
ALTER TABLE facilities ADD COLUMN id_number TEXT NOT NULL DEFAULT '';

-- status_changed_at: when the case entered its status; the review queue waits from it, oldest first.
ALTER TABLE tumors ADD COLUMN status_changed_at DATETIME NULL;
UPDATE tumors SET status_changed_at = updated_at;
CREATE INDEX idx_tumors_status_changed ON tumors (status, status_changed_at);
CREATE INDEX idx_tumors_facility_status_changed ON tumors (facility_id, status, status_changed_at);

-- Every workflow step of a case (also in the audit trail): the review history, the queue's
-- registrar (who sent it), and the productivity figures read from here.
CREATE TABLE status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    facility_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    user_id INTEGER NULL REFERENCES users (id),
    reason TEXT NOT NULL DEFAULT '',
    edit_errors INTEGER NOT NULL DEFAULT 0,
    edit_warnings INTEGER NOT NULL DEFAULT 0,
    at DATETIME NOT NULL
);
CREATE INDEX idx_status_changes_tumor ON status_changes (tumor_id, at);
CREATE INDEX idx_status_changes_facility ON status_changes (facility_id, at);
CREATE INDEX idx_status_changes_user ON status_changes (user_id, at);

-- A reviewer's comment anchored to an item (naaccr_id; '' for the case as a whole). The
-- registrar resolves it (resolution says what was done); the reviewer closes it.
CREATE TABLE review_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    naaccr_id TEXT NOT NULL DEFAULT '',
    author_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    resolved_at DATETIME NULL,
    resolved_by INTEGER NULL REFERENCES users (id),
    resolution TEXT NOT NULL DEFAULT '',
    closed_at DATETIME NULL,
    closed_by INTEGER NULL REFERENCES users (id)
);
CREATE INDEX idx_review_comments_tumor ON review_comments (tumor_id, naaccr_id);

-- Blind re-abstraction: a sample of approved cases, the items to re-abstract, each case's
-- re-abstracted values and, per item, the original, the reviewer's value and a reason code.
CREATE TABLE reabstraction_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id INTEGER NULL REFERENCES facilities (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at DATETIME NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    items TEXT NOT NULL
);
CREATE TABLE reabstraction_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sample_id INTEGER NOT NULL REFERENCES reabstraction_samples (id) ON DELETE CASCADE,
    tumor_id INTEGER NOT NULL REFERENCES tumors (id) ON DELETE CASCADE,
    abstractor_id INTEGER NULL REFERENCES users (id),
    reviewer_id INTEGER NULL REFERENCES users (id),
    completed_at DATETIME NULL
);
CREATE UNIQUE INDEX idx_reabstraction_cases_sample_tumor ON reabstraction_cases (sample_id, tumor_id);
CREATE INDEX idx_reabstraction_cases_tumor ON reabstraction_cases (tumor_id);
CREATE TABLE reabstraction_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES reabstraction_cases (id) ON DELETE CASCADE,
    naaccr_id TEXT NOT NULL,
    original TEXT NOT NULL DEFAULT '',
    reviewed TEXT NOT NULL DEFAULT '',
    agree INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_reabstraction_items_case_item ON reabstraction_items (case_id, naaccr_id);

-- +goose Down
DROP TABLE reabstraction_items;
DROP TABLE reabstraction_cases;
DROP TABLE reabstraction_samples;
DROP TABLE review_comments;
DROP TABLE status_changes;
DROP INDEX idx_tumors_facility_status_changed;
DROP INDEX idx_tumors_status_changed;
ALTER TABLE tumors DROP COLUMN status_changed_at;
ALTER TABLE facilities DROP COLUMN id_number;
DROP TABLE user_facilities;
ALTER TABLE users DROP COLUMN must_change_password;
