-- PostgreSQL twin of ../0013_vault.sql.
-- The credential vault (issue 13): one row per credential field, its value
-- sealed with age to the vault's key (base64 ciphertext), the public key
-- it is sealed to, and when it was set. No value is ever stored in clear.
CREATE TABLE vault_fields (
	credential TEXT NOT NULL,
	field      TEXT NOT NULL,
	sealed     TEXT NOT NULL,
	recipient  TEXT NOT NULL,
	set_at     TEXT NOT NULL,
	PRIMARY KEY (credential, field)
);
