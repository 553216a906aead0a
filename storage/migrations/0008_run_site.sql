-- The site a run logs in to and who it logs in as there (a digest: see
-- ferry.LoginKey), and each site's last login: BeginRun's per-user and
-- per-site limits.
ALTER TABLE runs ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN login_key TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_running_login ON runs (login_key) WHERE status = 'running';
CREATE INDEX runs_running_site ON runs (site) WHERE status = 'running';
CREATE TABLE site_logins (
    site TEXT PRIMARY KEY,
    last_login_at TEXT NOT NULL
);
