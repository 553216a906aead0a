-- Claim takes the oldest due items of a sink: this index gives pending
-- items in id order, so that a claim reads its batch, not every pending
-- item of the sink.
CREATE INDEX outbox_claim ON outbox (sink, id) WHERE status = 'pending';
