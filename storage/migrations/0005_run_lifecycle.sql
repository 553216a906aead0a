-- A running run holds a lease: its owner (one runner process) renews
-- lease_until while it works. A run whose lease expired was left by a
-- process that died; another process may take it over. Times are UTC
-- RFC 3339 text of fixed width, so that they compare as text.
ALTER TABLE runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_status_lease ON runs (status, lease_until);
