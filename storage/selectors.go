package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry"
)

// RecordSelectorVersion stores content as the site's newest version unless
// the newest already has it. It returns the version's number and whether
// it is new.
func (d *DB) RecordSelectorVersion(ctx context.Context, site, version string, content []byte, author, message string) (seq int, added bool, err error) {
	sum := ferry.SHA256Hex(content)
	err = d.tx(ctx, func(tx txer) error {
		// Concurrent recorders of one site take turns: each reads the
		// newest version the one before committed.
		if err := d.lockOn(ctx, tx, lockSelectorSite, site); err != nil {
			return err
		}
		var last int
		var lastSum string
		err := tx.QueryRowContext(ctx, `SELECT seq, sha256 FROM selector_versions WHERE site = ? ORDER BY seq DESC LIMIT 1`, site).Scan(&last, &lastSum)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastSum == sum {
			seq = last
			return nil
		}
		seq, added = last+1, true
		_, err = tx.ExecContext(ctx, `INSERT INTO selector_versions (site, seq, version, sha256, content, author, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			site, seq, version, sum, string(content), author, message, d.ts(d.now()))
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: selector version: %w", err)
	}
	return seq, added, nil
}

// SelectorVersions lists a site's versions, oldest first.
func (d *DB) SelectorVersions(ctx context.Context, site string) ([]SelectorVersion, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT site, seq, version, sha256, content, author, message, created_at FROM selector_versions WHERE site = ? ORDER BY seq`, site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SelectorVersion
	for rows.Next() {
		var v SelectorVersion
		var at string
		if err := rows.Scan(&v.Site, &v.Seq, &v.Version, &v.SHA256, &v.Content, &v.Author, &v.Message, &at); err != nil {
			return nil, err
		}
		v.CreatedAt = parseTS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// SelectorVersionAt returns version seq of a site.
func (d *DB) SelectorVersionAt(ctx context.Context, site string, seq int) (SelectorVersion, error) {
	var v SelectorVersion
	var at string
	err := d.conn(ctx).QueryRowContext(ctx, `SELECT site, seq, version, sha256, content, author, message, created_at FROM selector_versions WHERE site = ? AND seq = ?`, site, seq).
		Scan(&v.Site, &v.Seq, &v.Version, &v.SHA256, &v.Content, &v.Author, &v.Message, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("storage: site %s version %d: %w", site, seq, ErrNoSelectorVersion)
	}
	v.CreatedAt = parseTS(at)
	return v, err
}

// SaveFingerprints keeps, per site, element and variant, the newest
// fingerprint.
func (d *DB) SaveFingerprints(ctx context.Context, fps []StoredFingerprint) error {
	if len(fps) == 0 {
		return nil
	}
	return d.tx(ctx, func(tx txer) error {
		for _, f := range fps {
			_, err := tx.ExecContext(ctx, `INSERT INTO selector_fingerprints (site, element, variant, page, fingerprint, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (site, element, variant) DO UPDATE SET page = excluded.page, fingerprint = excluded.fingerprint, run_id = excluded.run_id, updated_at = excluded.updated_at`,
				f.Site, f.Element, f.Variant, f.Page, f.Data, f.RunID, d.ts(d.now()))
			if err != nil {
				return fmt.Errorf("storage: fingerprint %s/%s: %w", f.Site, f.Element, err)
			}
		}
		return nil
	})
}

// Fingerprints returns a site's fingerprints.
func (d *DB) Fingerprints(ctx context.Context, site string) ([]StoredFingerprint, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT site, element, variant, page, fingerprint, run_id FROM selector_fingerprints WHERE site = ?`, site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredFingerprint
	for rows.Next() {
		var f StoredFingerprint
		if err := rows.Scan(&f.Site, &f.Element, &f.Variant, &f.Page, &f.Data, &f.RunID); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// AddHeal stores a proposal unless the same one (site, element, variant and
// ways) is already waiting for review; it returns the proposal's id.
func (d *DB) AddHeal(ctx context.Context, h HealRecord) (id int64, added bool, err error) {
	err = d.tx(ctx, func(tx txer) error {
		// Concurrent proposals of one element take turns, so that one
		// proposal is stored once.
		if err := d.lockOn(ctx, tx, lockHeal, h.Site, h.Element, h.Variant); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM selector_heals WHERE site = ? AND element = ? AND variant = ? AND way = ? AND status = 'proposed'`,
			h.Site, h.Element, h.Variant, h.Way).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO selector_heals (site, element, variant, run_id, page, way, score, runner_up, breakdown, diff, base_seq, before_artifact, after_artifact, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?) RETURNING id`,
			h.Site, h.Element, h.Variant, h.RunID, h.Page, h.Way, h.Score, h.RunnerUp, h.Breakdown, h.Diff, h.BaseSeq, h.BeforeArtifact, h.AfterArtifact, d.ts(d.now())).Scan(&id)
		if err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: heal: %w", err)
	}
	return id, added, nil
}

const healColumns = `id, site, element, variant, run_id, page, way, score, runner_up, breakdown, diff, base_seq, before_artifact, after_artifact, status, created_at, decided_at, decided_by`

func scanHeal(sc interface{ Scan(...any) error }) (HealRecord, error) {
	var h HealRecord
	var created, decided string
	err := sc.Scan(&h.ID, &h.Site, &h.Element, &h.Variant, &h.RunID, &h.Page, &h.Way, &h.Score, &h.RunnerUp, &h.Breakdown, &h.Diff, &h.BaseSeq,
		&h.BeforeArtifact, &h.AfterArtifact, &h.Status, &created, &decided, &h.DecidedBy)
	h.CreatedAt, h.DecidedAt = parseTS(created), parseTS(decided)
	return h, err
}

// Heals lists proposals, newest first; site and status filter when set.
func (d *DB) Heals(ctx context.Context, site, status string) ([]HealRecord, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+healColumns+` FROM selector_heals WHERE (? = '' OR site = ?) AND (? = '' OR status = ?) ORDER BY id DESC`, site, site, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HealRecord
	for rows.Next() {
		h, err := scanHeal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Heal returns one proposal.
func (d *DB) Heal(ctx context.Context, id int64) (HealRecord, error) {
	h, err := scanHeal(d.conn(ctx).QueryRowContext(ctx, `SELECT `+healColumns+` FROM selector_heals WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("storage: heal %d: %w", id, ErrNoHeal)
	}
	return h, err
}

// DecideHeal accepts or rejects a proposal that is still proposed.
func (d *DB) DecideHeal(ctx context.Context, id int64, status, by string) error {
	if status != "accepted" && status != "rejected" {
		return fmt.Errorf("storage: heal %d: status %q is neither accepted nor rejected", id, status)
	}
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE selector_heals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'proposed'`, status, d.ts(d.now()), by, id)
	if err != nil {
		return fmt.Errorf("storage: heal %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := d.Heal(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("storage: heal %d is %w", id, ErrNotWaiting)
	}
	return nil
}
