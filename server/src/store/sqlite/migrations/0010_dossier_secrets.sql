-- Issue 22: a dossier's tracking has a budget of wrong secrets of its own, whoever sends
-- them. `track_failures` wrong secrets have come since `track_failures_since`; once they
-- reach the budget nobody new may track the dossier until `tracking_locked_until`.
-- Secrets keep their stored form (SHA-256 of the id and the secret): the four- and six-digit
-- secrets of dossiers registered before still match; new dossiers get 8 random characters
-- and a code whose end is random instead of a serial.
ALTER TABLE dossiers ADD COLUMN track_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN track_failures_since TEXT;
ALTER TABLE dossiers ADD COLUMN tracking_locked_until TEXT;
