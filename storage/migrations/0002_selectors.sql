-- Every selector file content a site has served, in order: the history
-- ops browse, diff and roll back to.
CREATE TABLE selector_versions (
	id         INTEGER PRIMARY KEY,
	site       TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	version    TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	content    TEXT NOT NULL,
	author     TEXT NOT NULL,
	message    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (site, seq)
);

-- The last element each lookup found, per site, element and variant:
-- what the healer compares a changed page against.
CREATE TABLE selector_fingerprints (
	site        TEXT NOT NULL,
	element     TEXT NOT NULL,
	variant     TEXT NOT NULL,
	page        TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	run_id      INTEGER NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (site, element, variant)
);

-- Heals: proposed changes to a selector file, for a person to review.
CREATE TABLE selector_heals (
	id          INTEGER PRIMARY KEY,
	site        TEXT NOT NULL,
	element     TEXT NOT NULL,
	variant     TEXT NOT NULL,
	run_id      INTEGER NOT NULL,
	page        TEXT NOT NULL,
	way         TEXT NOT NULL,
	score       REAL NOT NULL,
	runner_up   REAL NOT NULL,
	breakdown   TEXT NOT NULL,
	diff        TEXT NOT NULL,
	base_seq    INTEGER NOT NULL,
	before_artifact INTEGER NOT NULL DEFAULT 0,
	after_artifact  INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
	created_at  TEXT NOT NULL,
	decided_at  TEXT NOT NULL DEFAULT '',
	decided_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX selector_heals_site ON selector_heals (site, status);
