-- +goose Up
-- Registry reports (internal/reports) count tumors by items that lived only in tumor_items: they
-- get columns of their own, copies the store writes with the tumor (Tumor.promote), so that a
-- report is one GROUP BY over tumors and not a read of every abstract. Where NAACCR has an older
-- and a newer item for the same fact, the column holds the newer one, else the older one; the
-- AJCC stage group is the pathological one, else the clinical one (88 and 99 count as not
-- given), as a CoC annual report shows it. Sex (Sex Assigned at Birth #225, else Sex #220) is
-- Patient-level, so it is a column of patients. See the MySQL migration of the same number.
ALTER TABLE patients ADD COLUMN sex TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN age_at_diagnosis TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN summary_stage_2018 TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN ajcc_stage_group TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN county_at_dx TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN date_first_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN date_first_treatment TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN date_case_completed TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_surgery TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_radiation TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_chemo TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_hormone TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_immuno TEXT NOT NULL DEFAULT '';
ALTER TABLE tumors ADD COLUMN rx_other TEXT NOT NULL DEFAULT '';

UPDATE patients SET sex = substr(COALESCE(NULLIF(json_extract(items, '$.sexAssignedAtBirth'), ''), json_extract(items, '$.sex'), ''), 1, 1);
UPDATE tumors SET (age_at_diagnosis, summary_stage_2018, ajcc_stage_group, county_at_dx, date_first_contact,
        date_first_treatment, date_case_completed, rx_surgery, rx_radiation, rx_chemo, rx_hormone, rx_immuno, rx_other) = (
    SELECT substr(COALESCE(json_extract(ti.items, '$.ageAtDiagnosis'), ''), 1, 3),
        substr(COALESCE(json_extract(ti.items, '$.summaryStage2018'), ''), 1, 1),
        substr(CASE WHEN COALESCE(json_extract(ti.items, '$.ajccTnmPathStageGroup'), '') NOT IN ('', '88', '99')
            THEN json_extract(ti.items, '$.ajccTnmPathStageGroup')
            ELSE COALESCE(json_extract(ti.items, '$.ajccTnmClinStageGroup'), '') END, 1, 15),
        substr(COALESCE(json_extract(ti.items, '$.countyAtDx'), ''), 1, 3),
        substr(COALESCE(json_extract(ti.items, '$.dateOf1stContact'), ''), 1, 8),
        substr(COALESCE(NULLIF(json_extract(ti.items, '$.date1stCrsRxCoc'), ''), json_extract(ti.items, '$.dateInitialRxSeer'), ''), 1, 8),
        substr(COALESCE(NULLIF(json_extract(ti.items, '$.dateCaseCompletedCoc'), ''), json_extract(ti.items, '$.dateCaseCompleted'), ''), 1, 8),
        substr(COALESCE(NULLIF(json_extract(ti.items, '$.rxSummSurgPrimSite2023'), ''), json_extract(ti.items, '$.rxSummSurgPrimSite'), ''), 1, 4),
        substr(COALESCE(NULLIF(json_extract(ti.items, '$.phase1RadiationTreatmentModality'), ''), json_extract(ti.items, '$.rxSummRadiation'), ''), 1, 2),
        substr(COALESCE(json_extract(ti.items, '$.rxSummChemo'), ''), 1, 2),
        substr(COALESCE(json_extract(ti.items, '$.rxSummHormone'), ''), 1, 2),
        substr(COALESCE(json_extract(ti.items, '$.rxSummBrm'), ''), 1, 2),
        substr(COALESCE(json_extract(ti.items, '$.rxSummOther'), ''), 1, 1)
    FROM tumor_items ti WHERE ti.tumor_id = tumors.id)
WHERE EXISTS (SELECT 1 FROM tumor_items ti WHERE ti.tumor_id = tumors.id);

-- A report reads a facility's tumors of some years of diagnosis: idx_tumors_facility_dx
-- (00008) leads with those columns already.

-- +goose Down
ALTER TABLE tumors DROP COLUMN rx_other;
ALTER TABLE tumors DROP COLUMN rx_immuno;
ALTER TABLE tumors DROP COLUMN rx_hormone;
ALTER TABLE tumors DROP COLUMN rx_chemo;
ALTER TABLE tumors DROP COLUMN rx_radiation;
ALTER TABLE tumors DROP COLUMN rx_surgery;
ALTER TABLE tumors DROP COLUMN date_case_completed;
ALTER TABLE tumors DROP COLUMN date_first_treatment;
ALTER TABLE tumors DROP COLUMN date_first_contact;
ALTER TABLE tumors DROP COLUMN county_at_dx;
ALTER TABLE tumors DROP COLUMN ajcc_stage_group;
ALTER TABLE tumors DROP COLUMN summary_stage_2018;
ALTER TABLE tumors DROP COLUMN age_at_diagnosis;
ALTER TABLE patients DROP COLUMN sex;
