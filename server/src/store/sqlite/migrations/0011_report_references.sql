-- Each report's short reference for people (PA-1042): numbered in the order reports were
-- received, for good. Reports already stored are numbered by their receipt time (then id),
-- as they would have been had references existed.
ALTER TABLE reports ADD COLUMN number INTEGER;

UPDATE reports SET number = (
    SELECT COUNT(*) FROM reports earlier
    WHERE (earlier.received_at, earlier.id) <= (reports.received_at, reports.id)
);

CREATE UNIQUE INDEX reports_by_number ON reports(number);
