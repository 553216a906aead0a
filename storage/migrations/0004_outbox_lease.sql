-- An outbox item is claimed before it is sent: a lease with an owner and an
-- expiry, so that two deliverers never send the same item at once and an
-- item held by a deliverer that died is claimable again when its lease
-- runs out. Times are fixed-width UTC text (storage.tsLayout).
ALTER TABLE outbox ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_due ON outbox (sink, status, next_attempt_at, id);
-- Times compared in SQL, written by earlier versions as RFC 3339 in any
-- zone and width, are rewritten in the fixed-width UTC form (SQLite's
-- date functions convert a zone offset to UTC).
UPDATE schedules SET last_slot = strftime('%Y-%m-%dT%H:%M:%S', last_slot) || '.000000000Z'
	WHERE last_slot <> '' AND strftime('%Y-%m-%dT%H:%M:%S', last_slot) IS NOT NULL;
UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%S', next_attempt_at) || '.000000000Z'
	WHERE next_attempt_at <> '' AND strftime('%Y-%m-%dT%H:%M:%S', next_attempt_at) IS NOT NULL;
