-- Logins kept between runs: one row per login (LoginKey: a digest, never
-- the user name), its browser state sealed (AES-GCM; never clear text) and
-- what is known of the site's trust window.
CREATE TABLE login_states (
	login_key        TEXT PRIMARY KEY,
	site             TEXT NOT NULL,
	credential       TEXT NOT NULL DEFAULT '',
	bot              TEXT NOT NULL DEFAULT '',
	sealed           BLOB NOT NULL,
	seal_key         TEXT NOT NULL DEFAULT '',
	saved_at         TEXT NOT NULL DEFAULT '',
	run_id           INTEGER NOT NULL DEFAULT 0,
	second_factor_at TEXT NOT NULL DEFAULT '',
	trust_declared   INTEGER NOT NULL DEFAULT 0,
	last_valid_at    TEXT NOT NULL DEFAULT '',
	observed_expiry  TEXT NOT NULL DEFAULT ''
);
