-- An outbox item is claimed before it is sent: a lease with an owner and an
-- expiry, so that two deliverers never send the same item at once and an
-- item held by a deliverer that died is claimable again when its lease
-- runs out. Times are fixed-width UTC text (storage.tsLayout).
ALTER TABLE outbox ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_due ON outbox (sink, status, next_attempt_at, id);
