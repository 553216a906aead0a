-- PostgreSQL twin of ../0003_dedup_keys.sql.
-- Dedup keys unique per transaction (ferry.StatementLine.DedupKey). Rows
-- written before this migration carry the previous version's keys
-- (LegacyDedupKey): they keep them as dedup_key, the key their outbox rows
-- and sinks know, and legacy_key marks them. A rerun that meets such a line
-- again records its current key in alias_key, so that the line is found
-- under either key and is stored and delivered once.
ALTER TABLE statement_lines ADD COLUMN legacy_key TEXT NOT NULL DEFAULT '';
-- NULL until then: a unique index allows many NULLs and serves lookups.
ALTER TABLE statement_lines ADD COLUMN alias_key TEXT;
-- The bank's own id of the transaction (camt AcctSvcrRef, OFX FITID ...).
ALTER TABLE statement_lines ADD COLUMN transaction_id TEXT NOT NULL DEFAULT '';
UPDATE statement_lines SET legacy_key = dedup_key;
CREATE UNIQUE INDEX statement_lines_alias ON statement_lines (alias_key);
-- Legacy rows not yet matched, by what a line of any version shows alike.
CREATE INDEX statement_lines_unmatched_legacy ON statement_lines (booking_date, amount) WHERE legacy_key <> '' AND alias_key IS NULL;
-- Lines a save found already stored, under either key: counted, never
-- dropped without a trace.
ALTER TABLE statements ADD COLUMN duplicate_lines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE statements ADD COLUMN legacy_lines INTEGER NOT NULL DEFAULT 0;
