-- "3 rõ": ward leads (lãnh đạo phường/xã) beside ward officers, and each report assigned to
-- one officer of its ward.
--
-- SQLite cannot change a CHECK, so `staff` is made again with the new role. Sessions and
-- dossiers refer to it and foreign keys are on (and cannot be switched off inside the
-- migration's transaction): the check is deferred to the commit, by which time every row is
-- back under its own id in a table named `staff`.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE staff_before AS SELECT * FROM staff;
DROP TABLE staff;
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('ward', 'ward_lead', 'city', 'admin')),
    ward_code     TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,                 -- set when the account is closed; its sessions end
    CHECK ((role IN ('ward', 'ward_lead')) = (ward_code IS NOT NULL))
);
INSERT INTO staff (id, username, password_hash, role, ward_code, created_at, disabled_at)
    SELECT id, username, password_hash, role, ward_code, created_at, disabled_at FROM staff_before;
DROP TABLE staff_before;

-- The officer who answers for the report; NULL until the ward assigns it, and again after a
-- transfer (the new ward assigns its own).
ALTER TABLE reports ADD COLUMN assigned_to INTEGER REFERENCES staff(id);
-- An officer's own queue ("Việc của tôi").
CREATE INDEX reports_by_officer ON reports (assigned_to, status) WHERE assigned_to IS NOT NULL;
