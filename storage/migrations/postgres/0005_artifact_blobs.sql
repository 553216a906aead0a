-- Artifact bytes in the database, for machines that share it and no
-- directory: one row per distinct SHA-256, its bytes in chunks of at most
-- 1 MiB (written and read one at a time).
CREATE TABLE artifact_blobs (
	sha256 TEXT PRIMARY KEY,
	size   BIGINT NOT NULL,
	chunks INTEGER NOT NULL
);
CREATE TABLE artifact_chunks (
	blob TEXT NOT NULL,
	n    INTEGER NOT NULL,
	data BYTEA NOT NULL,
	PRIMARY KEY (blob, n)
);
