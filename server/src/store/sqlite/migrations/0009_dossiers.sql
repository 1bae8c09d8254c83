-- Public-service dossiers, as a ward's one-stop desk records them. The applicant's contact
-- details are the desk's, for notices, and never public. A resident tracks a dossier by its
-- code and a secret handed over at the desk; only the secret's SHA-256 (salted with the
-- dossier's id) is kept.
CREATE TABLE dossiers (
    id           TEXT PRIMARY KEY,      -- UUID
    code         TEXT NOT NULL UNIQUE,  -- <ward>-<yymmdd>-<serial>, printed on the receipt
    procedure    TEXT NOT NULL,         -- a code of the procedure catalogue
    ward_code    TEXT NOT NULL,
    applicant    TEXT NOT NULL,
    phone        TEXT,
    email        TEXT,
    secret_hash  BLOB NOT NULL,
    status       TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    received_by  INTEGER NOT NULL REFERENCES staff(id),
    due_at       TEXT NOT NULL,         -- later by each wait for documents
    paused_at    TEXT,                  -- while waiting for documents
    missing      TEXT,
    finished_at  TEXT,
    overdue_at   TEXT,                  -- the due date a breach was recorded for
    last_seq     INTEGER NOT NULL
);
CREATE INDEX dossiers_by_ward ON dossiers (ward_code, status, received_at);
CREATE INDEX dossiers_due ON dossiers (due_at)
    WHERE status IN ('received', 'processing') AND overdue_at IS NULL;

-- The devices that track a dossier (each proved it knows the secret once).
CREATE TABLE dossier_trackers (
    dossier_id  TEXT NOT NULL REFERENCES dossiers(id),
    device_id   TEXT NOT NULL REFERENCES devices(id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (dossier_id, device_id)
) WITHOUT ROWID;
CREATE INDEX dossier_trackers_by_device ON dossier_trackers (device_id);

-- Events are about a report or a dossier, in one sequence: the table is rebuilt with an
-- optional report and an optional dossier, exactly one of them set. Rebuilding keeps every
-- sequence number; the append-only triggers are dropped for the copy and made again.
DROP TRIGGER events_are_never_rewritten;
DROP TRIGGER events_are_never_deleted;
CREATE TABLE events_rebuilt (
    seq         INTEGER PRIMARY KEY,
    report_id   TEXT REFERENCES reports(id),
    dossier_id  TEXT REFERENCES dossiers(id),
    ward_code   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    data        TEXT NOT NULL,
    CHECK ((report_id IS NULL) <> (dossier_id IS NULL))
);
INSERT INTO events_rebuilt (seq, report_id, ward_code, kind, at, actor, data)
    SELECT seq, report_id, ward_code, kind, at, actor, data FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
CREATE INDEX events_by_report ON events (report_id, seq);
CREATE INDEX events_by_dossier ON events (dossier_id, seq) WHERE dossier_id IS NOT NULL;
CREATE INDEX events_follows ON events (actor, seq) WHERE kind = 'followed';
CREATE INDEX events_tracks ON events (actor, seq) WHERE kind = 'tracked';
CREATE INDEX events_by_time ON events (at);
CREATE TRIGGER events_are_never_rewritten BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
