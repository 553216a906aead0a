-- Schedules administered from the console and `ferry schedules` (issue 13):
-- every runner sharing the database reads this table and fires what it
-- holds; ferry.yaml's schedules stay in the file. Slots keep their own
-- table (schedules: the last slot reached). params is a JSON object of
-- strings; times are fixed-width UTC text (storage.tsLayout).
CREATE TABLE schedule_defs (
	id           TEXT PRIMARY KEY,
	bot          TEXT NOT NULL,
	login        TEXT NOT NULL,
	site         TEXT NOT NULL DEFAULT '',
	cron         TEXT NOT NULL,
	zone         TEXT NOT NULL DEFAULT '',
	params       TEXT NOT NULL DEFAULT '{}',
	paused       INTEGER NOT NULL DEFAULT 0,
	active_since TEXT NOT NULL,
	version      INTEGER NOT NULL,
	updated_by   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);

-- The sinks' status page (issue 13) shows when each sink last failed: the
-- time an outbox item was last settled with an error (released for a
-- retry or parked) and that error, kept by a trigger so that the
-- deliverer's code is unchanged. An ack clears last_error but not these:
-- the sink's last failure stays known after the item went through.
ALTER TABLE outbox ADD COLUMN failed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN failure TEXT NOT NULL DEFAULT '';
CREATE TRIGGER outbox_failed_at AFTER UPDATE OF attempts ON outbox
	WHEN NEW.last_error <> '' AND NEW.attempts > OLD.attempts
BEGIN
	UPDATE outbox SET failed_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000000Z', failure = NEW.last_error WHERE id = NEW.id;
END;
-- The sinks' page counts recent deliveries and finds the last success and
-- failure per sink without reading every delivered item.
CREATE INDEX outbox_delivered ON outbox (sink, delivered_at) WHERE status = 'delivered';
CREATE INDEX outbox_failed ON outbox (sink, failed_at) WHERE failed_at <> '';
