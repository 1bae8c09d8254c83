-- The dashboards' figures, kept as reports change (issue 25), so that a dashboard costs in
-- proportion to the wards and days it shows, not to the reports ever filed. What each
-- counter means and under which day it is kept: store/figures.rs. A database from before is
-- filled from its history at start (dashboard::keep_history).
CREATE TABLE ward_days (
    ward_code           TEXT NOT NULL,
    day                 TEXT NOT NULL,      -- ISO date, in Hà Nội
    received            INTEGER NOT NULL DEFAULT 0,
    acks_due            INTEGER NOT NULL DEFAULT 0,
    acks_on_time        INTEGER NOT NULL DEFAULT 0,
    resolutions_due     INTEGER NOT NULL DEFAULT 0,
    resolutions_on_time INTEGER NOT NULL DEFAULT 0,
    ratings             INTEGER NOT NULL DEFAULT 0,
    satisfied           INTEGER NOT NULL DEFAULT 0,
    resolved            INTEGER NOT NULL DEFAULT 0,
    backlog_change      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ward_code, day)
) WITHOUT ROWID;
-- The city's dashboard reads every ward's days of a period.
CREATE INDEX ward_days_by_day ON ward_days (day);

-- Handling times (tenths of a working hour, as the figures round them), counted by the
-- ward and the day the reports were received: medians and p90 without a row per report.
CREATE TABLE handling_samples (
    ward_code TEXT NOT NULL,
    day       TEXT NOT NULL,
    tenths    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (ward_code, day, tenths)
) WITHOUT ROWID;
-- Covering: a period's samples are read from the index alone.
CREATE INDEX handling_samples_by_day ON handling_samples (day, ward_code, tenths, n);

-- What each report adds to the counters now, so that its next change takes it back first.
CREATE TABLE kept_reports (
    report_id    TEXT PRIMARY KEY REFERENCES reports(id),
    answered     INTEGER NOT NULL,          -- by the ward holding it, since its last transfer
    contribution TEXT NOT NULL              -- JSON
);

-- Today's figures count the open reports, not the history; the overdue list is found by
-- the deadlines.
CREATE INDEX reports_open ON reports (ward_code, received_at)
    WHERE status IN ('submitted', 'acknowledged', 'in_progress', 'reopened');
CREATE INDEX reports_late_ack ON reports (deadline_ack) WHERE status = 'submitted';
CREATE INDEX reports_late_handle ON reports (deadline_handle)
    WHERE status IN ('submitted', 'acknowledged', 'in_progress', 'reopened');
