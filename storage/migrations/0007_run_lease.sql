-- A running run's heartbeat: the process working it and until when. A
-- running run whose lease expired was left by a process that died.
ALTER TABLE runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_running ON runs (lease_until) WHERE status = 'running';
