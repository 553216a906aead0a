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
