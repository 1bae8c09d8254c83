-- The dashboards' figures, kept as reports change (issue 25): see SQLite's
-- 0013_kept_figures.sql, of which this is the same in PostgreSQL's types.
CREATE TABLE ward_days (
    ward_code           text NOT NULL,
    day                 date NOT NULL,
    received            bigint NOT NULL DEFAULT 0,
    acks_due            bigint NOT NULL DEFAULT 0,
    acks_on_time        bigint NOT NULL DEFAULT 0,
    resolutions_due     bigint NOT NULL DEFAULT 0,
    resolutions_on_time bigint NOT NULL DEFAULT 0,
    ratings             bigint NOT NULL DEFAULT 0,
    satisfied           bigint NOT NULL DEFAULT 0,
    resolved            bigint NOT NULL DEFAULT 0,
    backlog_change      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (ward_code, day)
);
CREATE INDEX ward_days_by_day ON ward_days (day);

CREATE TABLE handling_samples (
    ward_code text NOT NULL,
    day       date NOT NULL,
    tenths    integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (ward_code, day, tenths)
);
CREATE INDEX handling_samples_by_day ON handling_samples (day);

CREATE TABLE kept_reports (
    report_id    uuid PRIMARY KEY REFERENCES reports(id),
    answered     boolean NOT NULL,
    contribution text NOT NULL
);

-- Today's figures count the open reports, not the history; the overdue list is found by
-- the deadlines.
CREATE INDEX reports_open ON reports (ward_code, received_at)
    WHERE status IN ('submitted', 'acknowledged', 'in_progress', 'reopened');
CREATE INDEX reports_late_ack ON reports (deadline_ack) WHERE status = 'submitted';
CREATE INDEX reports_late_handle ON reports (deadline_handle)
    WHERE status IN ('submitted', 'acknowledged', 'in_progress', 'reopened');
