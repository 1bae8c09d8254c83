-- The deadline each breach was recorded for (NULL while none): the SLA watcher records a
-- breach once, and a new deadline (acknowledgement, transfer, reopening) clears it.
ALTER TABLE reports ADD COLUMN ack_overdue_at TEXT;
ALTER TABLE reports ADD COLUMN handle_overdue_at TEXT;

-- What the watcher looks for: the next deadline not yet breached, of reports still waiting.
CREATE INDEX reports_ack_due ON reports (deadline_ack)
    WHERE status = 'submitted' AND ack_overdue_at IS NULL;
CREATE INDEX reports_handle_due ON reports (deadline_handle)
    WHERE status IN ('submitted', 'acknowledged', 'in_progress', 'reopened') AND handle_overdue_at IS NULL;

-- A device's "me too"s, which a live stream of its scope starts from.
CREATE INDEX events_follows ON events (actor, seq) WHERE kind = 'followed';
