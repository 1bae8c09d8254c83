-- Programs that file reports through the Open311 GeoReport v2 API (`/open311/v2`), such as
-- an aggregator or another city app. Each reports as a device of its own, whose token is the
-- client's `api_key` (issued by `phananh-server create-api-key`); a resident's device token
-- is not an api_key, since it has no row here.
CREATE TABLE open311_clients (
    device_id   TEXT PRIMARY KEY REFERENCES devices(id),
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Contact details a report came with, for the person behind it (Open311's first_name,
-- last_name, email, phone): private like a device's own, shown only in the full view.
CREATE TABLE report_contacts (
    report_id   TEXT PRIMARY KEY REFERENCES reports(id),
    name        TEXT,
    email       TEXT,
    phone       TEXT
) WITHOUT ROWID;

-- A link to media the filer hosts itself (Open311's media_url), kept as given, not fetched.
ALTER TABLE reports ADD COLUMN media_url TEXT;

-- Status changes by time, for the feed of updates (`servicerequestupdates`).
CREATE INDEX events_by_time ON events (at);
