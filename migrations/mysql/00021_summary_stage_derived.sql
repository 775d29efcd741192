-- +goose Up
-- The reports' Summary Stage 2018 is the one the registrar coded (#764), else the one the staging
-- engine derived from EOD (#762): most cases diagnosed since 2018 carry only the derived one.
UPDATE tumors t JOIN tumor_items ti ON ti.tumor_id = t.id
SET t.summary_stage_2018 = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.derivedSummaryStage2018')), ''), 1)
WHERE t.summary_stage_2018 = '';

-- +goose Down
-- A derived stage copied up is not told apart from a coded one; the next save of each case writes
-- the column again by the rule of its version.
SELECT 1;
