-- +goose Up
-- What an intake's check found already received among its tumors without errors (what accept
-- would not import), apart from existing_tumors, which is what the last accept found.
ALTER TABLE intakes ADD COLUMN received_tumors INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE intakes DROP COLUMN received_tumors;
