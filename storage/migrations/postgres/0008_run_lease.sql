-- PostgreSQL twin of ../0007_run_lease.sql (0007 here is the outbox's
-- fillfactor).
ALTER TABLE runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_running ON runs (lease_until) WHERE status = 'running';
