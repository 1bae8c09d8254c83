-- Wards as routed: a boundary set can be replaced later without changing the ward of an
-- older report, because a report points at (code, valid_from).
CREATE TABLE wards (
    code        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,          -- ISO date
    valid_until TEXT,                   -- exclusive; NULL while current
    name        TEXT NOT NULL,
    name_en     TEXT,
    kind        TEXT NOT NULL,
    PRIMARY KEY (code, valid_from)
) WITHOUT ROWID;

-- Residents' devices. The bearer token is only ever stored as its SHA-256; the contact
-- details are never shown publicly.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,       -- UUID
    token_hash  BLOB NOT NULL UNIQUE,
    name        TEXT,
    phone       TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,   -- UUID made by the device, so a retry is the same report
    device_id       TEXT NOT NULL REFERENCES devices(id),
    content_hash    BLOB NOT NULL,      -- SHA-256 of the report as filed: tells a retry from a clash
    category        TEXT NOT NULL,
    priority        TEXT NOT NULL,
    description     TEXT NOT NULL,
    lon             REAL NOT NULL,
    lat             REAL NOT NULL,
    accuracy_m      REAL,
    ward_code       TEXT NOT NULL,
    ward_valid_from TEXT NOT NULL,
    ward_match      TEXT NOT NULL,      -- inside | nearest
    ward_distance_m REAL NOT NULL,
    status          TEXT NOT NULL,
    received_at     TEXT NOT NULL,      -- RFC 3339, UTC
    deadline_ack    TEXT NOT NULL,
    deadline_handle TEXT NOT NULL,
    last_seq        INTEGER NOT NULL,   -- the newest event about this report
    FOREIGN KEY (ward_code, ward_valid_from) REFERENCES wards (code, valid_from)
);
CREATE INDEX reports_by_ward ON reports (ward_code, status, received_at);
CREATE INDEX reports_by_device ON reports (device_id, received_at);

-- Every change, in order: the audit trail, the live stream and the sync cursor. `seq` is
-- gap-free because one writer appends and nothing is ever deleted or rewritten.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    report_id   TEXT NOT NULL REFERENCES reports(id),
    ward_code   TEXT NOT NULL,          -- the ward whose inbox the event belongs to
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,          -- device:<id> | staff:<id> | system
    data        TEXT NOT NULL           -- JSON, the event's own fields
);
CREATE INDEX events_by_report ON events (report_id, seq);
CREATE TRIGGER events_are_never_rewritten BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
