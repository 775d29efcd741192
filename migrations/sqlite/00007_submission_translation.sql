-- +goose Up
-- A batch written in an older NAACCR version than cara stores (250) may not carry every value: the
-- translation's report (counts, then a line per item not carried over) is kept with the batch and
-- shown on its page. NULL for a batch written in the stored version.
ALTER TABLE submissions ADD COLUMN translation_report TEXT NULL;

-- +goose Down
ALTER TABLE submissions DROP COLUMN translation_report;
