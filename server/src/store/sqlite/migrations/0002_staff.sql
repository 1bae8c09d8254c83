-- Staff accounts: ward officers (one ward), city staff and administrators. Usernames are
-- stored lowercase, so they are unique whatever the case they are typed in. The password is
-- kept only as an argon2id PHC string. A ward officer's ward is checked against `wards` when
-- the account is made (no foreign key: `wards` is keyed by code and boundary set).
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('ward', 'city', 'admin')),
    ward_code     TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,                 -- set when the account is closed; its sessions end
    CHECK ((role = 'ward') = (ward_code IS NOT NULL))
);

-- Signed-in sessions. Like a device's, the bearer token is only ever stored as its SHA-256;
-- a session lasts 12 hours (an officer's working day and a margin).
CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_staff ON sessions (staff_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
