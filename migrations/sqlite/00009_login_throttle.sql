-- +goose Up
-- Sign-in throttling and the sign-in form's pre-session (issue 13); see the MySQL migration.
CREATE TABLE login_throttles (
    username TEXT NOT NULL,
    remote_addr TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at DATETIME NOT NULL,
    PRIMARY KEY (username, remote_addr)
) WITHOUT ROWID;
CREATE INDEX idx_login_throttles_last_failure ON login_throttles (last_failure_at);

CREATE TABLE login_presessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_login_presessions_expires ON login_presessions (expires_at);

-- +goose Down
DROP TABLE login_presessions;
DROP TABLE login_throttles;
