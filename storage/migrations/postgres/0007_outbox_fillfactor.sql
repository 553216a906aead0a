-- Room on each page for the new version of a row a claim leases: the
-- lease columns are not indexed, so that update stays on its page (a HOT
-- update) and touches no index.
ALTER TABLE outbox SET (fillfactor = 70);
