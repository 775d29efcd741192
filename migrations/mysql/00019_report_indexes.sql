-- +goose Up
-- Registry reports (internal/reports) read a facility's tumors of some years of diagnosis and
-- count them by a few promoted columns (00016). Read through idx_tumors_facility_dx, each of
-- 100,000 tumors was a lookup of its row, and of its patient's row for sex: 0.3-1.1 s a report.
-- Here the tumor keeps a copy of its patient's sex (as it keeps the names, Tumor.ofPatient),
-- and three covering indexes hold every column a report filters, groups or measures by, so
-- that a report reads one index and no row. Each leads with the filter (facility, date of
-- diagnosis, class of case, status) and the site group's columns (primary site, histology);
-- then the counts' dimensions, the treatment summaries, or the dates of the intervals. See the
-- SQLite migration of the same number.
ALTER TABLE tumors ADD COLUMN sex VARCHAR(1) NOT NULL DEFAULT '';
UPDATE tumors t JOIN patients p ON p.id = t.patient_id SET t.sex = p.sex;

ALTER TABLE tumors
    ADD INDEX idx_tumors_report (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
        sex, summary_stage_2018, ajcc_stage_group, age_at_diagnosis, county_at_dx),
    ADD INDEX idx_tumors_report_rx (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
        rx_surgery, rx_radiation, rx_chemo, rx_hormone, rx_immuno, rx_other),
    ADD INDEX idx_tumors_report_dates (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
        date_first_contact, date_first_treatment, date_case_completed);

-- +goose Down
ALTER TABLE tumors DROP INDEX idx_tumors_report_dates, DROP INDEX idx_tumors_report_rx, DROP INDEX idx_tumors_report,
    DROP COLUMN sex;
