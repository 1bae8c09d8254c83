-- Residents who say "me too" about a report someone else filed. The count is public; who
-- follows is not.
CREATE TABLE followers (
    report_id   TEXT NOT NULL REFERENCES reports(id),
    device_id   TEXT NOT NULL REFERENCES devices(id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (report_id, device_id)
) WITHOUT ROWID;

-- Lists newest first, and the nearby search's box on latitude.
CREATE INDEX reports_by_time ON reports (received_at, id);
CREATE INDEX reports_by_lat ON reports (lat);

-- The staff workflow's own facts about a report (the texts live in its events).
ALTER TABLE reports ADD COLUMN acknowledged_at TEXT;
ALTER TABLE reports ADD COLUMN duplicate_of TEXT REFERENCES reports(id);
