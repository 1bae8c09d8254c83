-- Uploaded photos. The files are content-addressed on disk (`photos/`, by SHA-256 of the
-- original); a row is one upload by one device or staff member, so a report can only use
-- photos its own device uploaded, and an "after" photo must come from staff.
CREATE TABLE photos (
    id          TEXT PRIMARY KEY,       -- UUID
    sha256      TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- jpeg | png | webp, of the original
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,          -- device:<id> | staff:<id>
    created_at  TEXT NOT NULL
);

CREATE TABLE report_photos (
    report_id   TEXT NOT NULL REFERENCES reports(id),
    photo_id    TEXT NOT NULL REFERENCES photos(id),
    role        TEXT NOT NULL CHECK (role IN ('report', 'after')),
    position    INTEGER NOT NULL,
    PRIMARY KEY (report_id, photo_id)
) WITHOUT ROWID;
