-- Operations pushed by offline clients: each id is applied at most once, in the same
-- transaction as its change, and its answer is kept so a retried push gets the same one.
CREATE TABLE sync_operations (
    id           TEXT PRIMARY KEY,      -- UUID made by the client
    device_id    TEXT NOT NULL REFERENCES devices(id),
    request_hash BLOB NOT NULL,         -- SHA-256 of the operation: tells a retry from a clash
    answer       TEXT NOT NULL,         -- JSON: accepted with the report, or refused
    created_at   TEXT NOT NULL
);
