-- +goose Up
-- Registry reports (internal/reports) read a facility's tumors of some years of diagnosis and
-- count them by a few promoted columns (00016). Read through idx_tumors_facility_dx, each of
-- 100,000 tumors was a lookup of its row, and of its patient's row for sex: 0.3-1.1 s a report.
-- Here the tumor keeps a copy of its patient's sex (as it keeps the names, Tumor.ofPatient),
-- and three covering indexes hold every column a report filters, groups or measures by, so
-- that a report reads one index and no row. Each leads with the filter (facility, date of
-- diagnosis, class of case, status) and the site group's columns (primary site, histology);
-- then the counts' dimensions, the treatment summaries, or the dates of the intervals. See the
-- MySQL migration of the same number.
ALTER TABLE tumors ADD COLUMN sex TEXT NOT NULL DEFAULT '';
UPDATE tumors SET sex = (SELECT p.sex FROM patients p WHERE p.id = tumors.patient_id);

CREATE INDEX idx_tumors_report ON tumors (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
    sex, summary_stage_2018, ajcc_stage_group, age_at_diagnosis, county_at_dx);
CREATE INDEX idx_tumors_report_rx ON tumors (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
    rx_surgery, rx_radiation, rx_chemo, rx_hormone, rx_immuno, rx_other);
CREATE INDEX idx_tumors_report_dates ON tumors (facility_id, date_of_diagnosis, class_of_case, status, primary_site, histology,
    date_first_contact, date_first_treatment, date_case_completed);

-- +goose Down
DROP INDEX idx_tumors_report_dates;
DROP INDEX idx_tumors_report_rx;
DROP INDEX idx_tumors_report;
ALTER TABLE tumors DROP COLUMN sex;
