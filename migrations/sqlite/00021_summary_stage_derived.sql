-- +goose Up
-- The reports' Summary Stage 2018 is the one the registrar coded (#764), else the one the staging
-- engine derived from EOD (#762): most cases diagnosed since 2018 carry only the derived one.
UPDATE tumors SET summary_stage_2018 = (
    SELECT substr(COALESCE(json_extract(ti.items, '$.derivedSummaryStage2018'), ''), 1, 1)
    FROM tumor_items ti WHERE ti.tumor_id = tumors.id)
WHERE summary_stage_2018 = '' AND EXISTS (SELECT 1 FROM tumor_items ti WHERE ti.tumor_id = tumors.id);

-- +goose Down
-- A derived stage copied up is not told apart from a coded one; the next save of each case writes
-- the column again by the rule of its version.
SELECT 1;
