-- Ferry's own tables. Money is stored as decimal text, never as REAL.
-- Times are RFC 3339 text with their zone.
CREATE TABLE runs (
	id               INTEGER PRIMARY KEY,
	bot              TEXT NOT NULL,
	login            TEXT NOT NULL,
	schedule         TEXT NOT NULL DEFAULT '',
	slot             TEXT NOT NULL DEFAULT '',
	params           TEXT NOT NULL DEFAULT '{}',
	status           TEXT NOT NULL,
	class            TEXT NOT NULL DEFAULT '',
	error            TEXT NOT NULL DEFAULT '',
	attempt          INTEGER NOT NULL DEFAULT 0,
	selector_version TEXT NOT NULL DEFAULT '',
	summary          TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	started_at       TEXT NOT NULL DEFAULT '',
	finished_at      TEXT NOT NULL DEFAULT ''
);
-- A schedule slot runs once, however often it is enqueued.
CREATE UNIQUE INDEX runs_schedule_slot ON runs (schedule, slot) WHERE schedule <> '';
CREATE INDEX runs_bot_login ON runs (bot, login, status);

CREATE TABLE steps (
	run_id      INTEGER NOT NULL REFERENCES runs (id),
	attempt     INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	path        TEXT NOT NULL,
	action      TEXT NOT NULL,
	element     TEXT NOT NULL,
	way         TEXT NOT NULL,
	detail      TEXT NOT NULL,
	status      TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	PRIMARY KEY (run_id, attempt, seq)
);

CREATE TABLE artifacts (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER NOT NULL REFERENCES runs (id),
	kind        TEXT NOT NULL,
	name        TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	size        INTEGER NOT NULL,
	mime        TEXT NOT NULL,
	account     TEXT NOT NULL DEFAULT '',
	format      TEXT NOT NULL DEFAULT '',
	captured_at TEXT NOT NULL
);
CREATE INDEX artifacts_run ON artifacts (run_id);

CREATE TABLE statements (
	id            INTEGER PRIMARY KEY,
	run_id        INTEGER NOT NULL REFERENCES runs (id),
	artifact_id   INTEGER NOT NULL REFERENCES artifacts (id),
	account       TEXT NOT NULL,
	currency      TEXT NOT NULL,
	period_from   TEXT NOT NULL,
	period_to     TEXT NOT NULL,
	opening       TEXT NOT NULL,
	closing       TEXT NOT NULL,
	line_count    INTEGER NOT NULL,
	new_lines     INTEGER NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('accepted', 'held')),
	problem       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE statement_lines (
	dedup_key     TEXT PRIMARY KEY,
	statement_id  INTEGER NOT NULL REFERENCES statements (id),
	run_id        INTEGER NOT NULL REFERENCES runs (id),
	account       TEXT NOT NULL,
	booking_date  TEXT NOT NULL,
	value_date    TEXT NOT NULL,
	amount        TEXT NOT NULL,
	currency      TEXT NOT NULL,
	counterparty  TEXT NOT NULL,
	description   TEXT NOT NULL,
	reference     TEXT NOT NULL,
	balance_after TEXT NOT NULL,
	created_at    TEXT NOT NULL
);

-- One row per record and sink; written in the same transaction as the record.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	sink            TEXT NOT NULL,
	dedup_key       TEXT NOT NULL,
	payload         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'parked')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	next_attempt_at TEXT NOT NULL,
	delivered_at    TEXT NOT NULL DEFAULT '',
	UNIQUE (sink, dedup_key)
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);

-- The last slot each schedule was known to reach, for catch-up after downtime.
CREATE TABLE schedules (
	id         TEXT PRIMARY KEY,
	spec       TEXT NOT NULL,
	last_slot  TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
