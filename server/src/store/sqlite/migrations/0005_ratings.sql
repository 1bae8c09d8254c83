-- The reporter's ratings of the ward's answers: one per answer (rating moves a resolved
-- report on, to closed or reopened, so an answer cannot be rated twice; a reopened report
-- answered again can be). The share of ratings of 4 or more is the city's satisfaction index.
CREATE TABLE ratings (
    id          INTEGER PRIMARY KEY,
    report_id   TEXT NOT NULL REFERENCES reports(id),
    stars       INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment     TEXT,
    reopened    INTEGER NOT NULL CHECK (reopened IN (0, 1)),
    created_at  TEXT NOT NULL
);
CREATE INDEX ratings_by_report ON ratings (report_id);
