-- PostgreSQL twin of ../0012_invoices.sql.
-- Invoices as records (issue 12): one row per invoice under its dedup key
-- (the 数电 number, or code and number), its items, the files it was read
-- from, and its status history. Money is decimal text; times are
-- fixed-width UTC text (storage.tsLayout); dates are YYYY-MM-DD.
CREATE TABLE invoices (
	dedup_key      TEXT PRIMARY KEY,
	run_id         BIGINT NOT NULL REFERENCES runs (id),
	direction      TEXT NOT NULL CHECK (direction IN ('issued', 'received')),
	status         TEXT NOT NULL,
	-- queued: on its way to the sinks (or there); held: its problems keep
	-- it back, and nothing of it was queued.
	state          TEXT NOT NULL CHECK (state IN ('queued', 'held')),
	problems       TEXT NOT NULL DEFAULT '[]',
	kind           TEXT NOT NULL,
	code           TEXT NOT NULL,
	number         TEXT NOT NULL,
	issue_date     TEXT NOT NULL,
	check_code     TEXT NOT NULL,
	buyer_name     TEXT NOT NULL,
	buyer_tax_id   TEXT NOT NULL,
	seller_name    TEXT NOT NULL,
	seller_tax_id  TEXT NOT NULL,
	amount         TEXT NOT NULL,
	tax            TEXT NOT NULL,
	total          TEXT NOT NULL,
	total_in_words TEXT NOT NULL,
	currency       TEXT NOT NULL,
	red            INTEGER NOT NULL,
	flags          TEXT NOT NULL DEFAULT '[]',
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
);
CREATE INDEX invoices_date ON invoices (issue_date, dedup_key);
CREATE INDEX invoices_direction_status ON invoices (direction, status);
CREATE INDEX invoices_number ON invoices (number);

CREATE TABLE invoice_items (
	dedup_key   TEXT NOT NULL REFERENCES invoices (dedup_key),
	seq         INTEGER NOT NULL,
	name        TEXT NOT NULL,
	spec        TEXT NOT NULL,
	unit        TEXT NOT NULL,
	quantity    TEXT NOT NULL, -- empty when not printed
	unit_price  TEXT NOT NULL, -- empty when not printed
	amount      TEXT NOT NULL,
	tax_rate    TEXT NOT NULL,
	tax         TEXT NOT NULL,
	tax_printed TEXT NOT NULL,
	PRIMARY KEY (dedup_key, seq)
);

CREATE TABLE invoice_sources (
	dedup_key   TEXT NOT NULL REFERENCES invoices (dedup_key),
	artifact_id BIGINT NOT NULL REFERENCES artifacts (id),
	run_id      BIGINT NOT NULL REFERENCES runs (id),
	name        TEXT NOT NULL,
	format      TEXT NOT NULL,
	PRIMARY KEY (dedup_key, artifact_id)
);

-- Every status an invoice was seen with, first seen by which run.
CREATE TABLE invoice_statuses (
	dedup_key  TEXT NOT NULL REFERENCES invoices (dedup_key),
	status     TEXT NOT NULL,
	run_id     BIGINT NOT NULL REFERENCES runs (id),
	seen_at    TEXT NOT NULL,
	PRIMARY KEY (dedup_key, status)
);
