-- Challenges: what a run asks a person (an SMS code, a QR scan), used once.
-- An answer is kept only sealed to a key the waiting run holds in memory
-- (sealed), with a salted digest (answer_hash); never in clear text, and
-- the sealed answer is wiped when the challenge closes.
CREATE TABLE challenges (
	id            INTEGER PRIMARY KEY,
	run_id        INTEGER NOT NULL REFERENCES runs (id),
	seq           INTEGER NOT NULL,
	bot           TEXT NOT NULL DEFAULT '',
	kind          TEXT NOT NULL,
	prompt        TEXT NOT NULL DEFAULT '',
	destination   TEXT NOT NULL DEFAULT '',
	deadline      TEXT NOT NULL,
	attempts_left INTEGER NOT NULL DEFAULT -1,
	message       TEXT NOT NULL DEFAULT '',
	screenshot    BLOB NOT NULL DEFAULT x'',
	state         TEXT NOT NULL,
	pub_key       BLOB NOT NULL,
	sealed        BLOB NOT NULL DEFAULT x'',
	answer_hash   TEXT NOT NULL DEFAULT '',
	answered_by   TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	answered_at   TEXT NOT NULL DEFAULT '',
	closed_at     TEXT NOT NULL DEFAULT '',
	UNIQUE (run_id, seq)
);
CREATE INDEX challenges_open ON challenges (id) WHERE state IN ('pending', 'answered');
