-- +goose Up
-- Registry reports (internal/reports) count tumors by items that lived only in tumor_items: they
-- get columns of their own, copies the store writes with the tumor (Tumor.promote), so that a
-- report is one GROUP BY over tumors and not a read of every abstract. Where NAACCR has an older
-- and a newer item for the same fact, the column holds the newer one, else the older one; the
-- AJCC stage group is the pathological one, else the clinical one (88 and 99 count as not
-- given), as a CoC annual report shows it. Sex (Sex Assigned at Birth #225, else Sex #220) is
-- Patient-level, so it is a column of patients.
ALTER TABLE patients ADD COLUMN sex VARCHAR(1) NOT NULL DEFAULT '';
ALTER TABLE tumors
    ADD COLUMN age_at_diagnosis VARCHAR(3) NOT NULL DEFAULT '',
    ADD COLUMN summary_stage_2018 VARCHAR(1) NOT NULL DEFAULT '',
    ADD COLUMN ajcc_stage_group VARCHAR(15) NOT NULL DEFAULT '',
    ADD COLUMN county_at_dx VARCHAR(3) NOT NULL DEFAULT '',
    ADD COLUMN date_first_contact VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN date_first_treatment VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN date_case_completed VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN rx_surgery VARCHAR(4) NOT NULL DEFAULT '',
    ADD COLUMN rx_radiation VARCHAR(2) NOT NULL DEFAULT '',
    ADD COLUMN rx_chemo VARCHAR(2) NOT NULL DEFAULT '',
    ADD COLUMN rx_hormone VARCHAR(2) NOT NULL DEFAULT '',
    ADD COLUMN rx_immuno VARCHAR(2) NOT NULL DEFAULT '',
    ADD COLUMN rx_other VARCHAR(1) NOT NULL DEFAULT '';

UPDATE patients SET sex = LEFT(COALESCE(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(items, '$.sexAssignedAtBirth')), ''),
    JSON_UNQUOTE(JSON_EXTRACT(items, '$.sex')), ''), 1);
UPDATE tumors t JOIN tumor_items ti ON ti.tumor_id = t.id SET
    t.age_at_diagnosis = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.ageAtDiagnosis')), ''), 3),
    t.summary_stage_2018 = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.summaryStage2018')), ''), 1),
    t.ajcc_stage_group = LEFT(CASE WHEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.ajccTnmPathStageGroup')), '') NOT IN ('', '88', '99')
        THEN JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.ajccTnmPathStageGroup'))
        ELSE COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.ajccTnmClinStageGroup')), '') END, 15),
    t.county_at_dx = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.countyAtDx')), ''), 3),
    t.date_first_contact = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.dateOf1stContact')), ''), 8),
    t.date_first_treatment = LEFT(COALESCE(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.date1stCrsRxCoc')), ''),
        JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.dateInitialRxSeer')), ''), 8),
    t.date_case_completed = LEFT(COALESCE(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.dateCaseCompletedCoc')), ''),
        JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.dateCaseCompleted')), ''), 8),
    t.rx_surgery = LEFT(COALESCE(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummSurgPrimSite2023')), ''),
        JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummSurgPrimSite')), ''), 4),
    t.rx_radiation = LEFT(COALESCE(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.phase1RadiationTreatmentModality')), ''),
        JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummRadiation')), ''), 2),
    t.rx_chemo = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummChemo')), ''), 2),
    t.rx_hormone = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummHormone')), ''), 2),
    t.rx_immuno = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummBrm')), ''), 2),
    t.rx_other = LEFT(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ti.items, '$.rxSummOther')), ''), 1);

-- A report reads a facility's tumors of some years of diagnosis: idx_tumors_facility_dx
-- (00008) leads with those columns already.

-- +goose Down
ALTER TABLE tumors
    DROP COLUMN rx_other, DROP COLUMN rx_immuno, DROP COLUMN rx_hormone, DROP COLUMN rx_chemo,
    DROP COLUMN rx_radiation, DROP COLUMN rx_surgery, DROP COLUMN date_case_completed,
    DROP COLUMN date_first_treatment, DROP COLUMN date_first_contact, DROP COLUMN county_at_dx,
    DROP COLUMN ajcc_stage_group, DROP COLUMN summary_stage_2018, DROP COLUMN age_at_diagnosis;
ALTER TABLE patients DROP COLUMN sex;
