-- Issue 23: a resident moves their device's identity (the reports it filed and follows, the
-- dossiers it tracks) to another device with a one-time code shown on the old one. Only the
-- code's SHA-256 is kept; one code per device at a time, until it expires or is used.
CREATE TABLE transfer_codes (
    code_hash  BLOB PRIMARY KEY,
    device_id  TEXT NOT NULL UNIQUE REFERENCES devices(id),
    expires_at TEXT NOT NULL            -- RFC 3339, UTC
);
