-- PostgreSQL twin of ../0014_schedules.sql: schedules administered from
-- the console and `ferry schedules`; every runner sharing the database reads
-- this table and fires what it holds. Slots keep their own table
-- (schedules). params is a JSON object of strings; times are fixed-width
-- UTC text (storage.tsLayout).
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
	version      BIGINT NOT NULL,
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
CREATE FUNCTION outbox_failed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.last_error <> '' AND NEW.attempts > OLD.attempts THEN
		NEW.failed_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z';
		NEW.failure := NEW.last_error;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER outbox_failed_at BEFORE UPDATE OF attempts ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_failed_at();
-- The sinks' page counts recent deliveries and finds the last success and
-- failure per sink without reading every delivered item.
CREATE INDEX outbox_delivered ON outbox (sink, delivered_at) WHERE status = 'delivered';
CREATE INDEX outbox_failed ON outbox (sink, failed_at) WHERE failed_at <> '';
