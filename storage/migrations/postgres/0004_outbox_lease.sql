-- PostgreSQL twin of ../0004_outbox_lease.sql: the claim lease. (No
-- PostgreSQL database holds times an earlier version wrote.)
ALTER TABLE outbox ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_due ON outbox (sink, status, next_attempt_at, id);
