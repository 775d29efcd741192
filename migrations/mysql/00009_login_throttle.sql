-- +goose Up
-- Sign-in throttling and the sign-in form's pre-session (issue 13).
--
-- login_throttles counts failed sign-ins for three keys: a client address over every username
-- (username ''), an account from one address, and an account over every address (remote_addr
-- ''). The delay before the next attempt follows from failures and last_failure_at; a row with
-- no failure for a while starts over and is pruned. It lives in the database, not in a process,
-- so that the throttle holds behind a load balancer.
CREATE TABLE login_throttles (
    username VARCHAR(64) NOT NULL,
    remote_addr VARCHAR(64) NOT NULL,
    failures INT NOT NULL,
    last_failure_at DATETIME(6) NOT NULL,
    PRIMARY KEY (username, remote_addr),
    INDEX idx_login_throttles_last_failure (last_failure_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- login_presessions binds the sign-in form's CSRF token to a server-side pre-session whose token
-- (kept here only as its SHA-256) is in the sign-in cookie, so that a cookie and form field made
-- up together are refused.
CREATE TABLE login_presessions (
    token_hash CHAR(64) NOT NULL PRIMARY KEY,
    csrf_token VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    INDEX idx_login_presessions_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE login_presessions;
DROP TABLE login_throttles;
