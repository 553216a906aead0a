package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// The outbox as a ferry.Outbox: items are claimed under a lease before
// they are sent. SQLite has one writer, and Claim selects and leases in
// one IMMEDIATE transaction (the DSN's _txlock), so no two claimers can
// lease the same item.
var _ ferry.Outbox = (*DB)(nil)

// Claim implements ferry.Outbox.
func (d *DB) Claim(ctx context.Context, sink, owner string, limit int, lease time.Duration) ([]ferry.OutboxItem, error) {
	if owner == "" {
		return nil, errors.New("storage: outbox claim without an owner")
	}
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("storage: outbox claim: limit %d and lease %s must be positive", limit, lease)
	}
	now := d.now()
	nowS, until := d.ts(now), d.ts(now.Add(lease))
	var out []ferry.OutboxItem
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, sink, dedup_key, payload, attempts FROM outbox
			WHERE sink = ? AND status = 'pending' AND next_attempt_at <= ? AND (lease_until = '' OR lease_until < ?)
			ORDER BY id LIMIT ?`, sink, nowS, nowS, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it ferry.OutboxItem
			var p string
			if err := rows.Scan(&it.ID, &it.Sink, &it.DedupKey, &p, &it.Attempts); err != nil {
				rows.Close()
				return err
			}
			it.Payload = []byte(p)
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, it := range out {
			if _, err := st.ExecContext(ctx, owner, until, it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: outbox claim (sink %s): %w", sink, err)
	}
	return out, nil
}

// held is the condition that owner still holds an item's lease at now.
const held = `status = 'pending' AND lease_owner = ? AND lease_until >= ?`

// Ack implements ferry.Outbox.
func (d *DB) Ack(ctx context.Context, owner string, ids []int64) error {
	now := d.ts(d.now())
	var lost []int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = '', lease_owner = '', lease_until = '' WHERE id = ? AND `+held)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			res, err := st.ExecContext(ctx, now, id, owner, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				lost = append(lost, id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: outbox ack: %w", err)
	}
	if len(lost) > 0 {
		return fmt.Errorf("storage: outbox ack of items %v: %w", lost, ferry.ErrLeaseLost)
	}
	return nil
}

// Release implements ferry.Outbox.
func (d *DB) Release(ctx context.Context, owner string, id int64, reason string, retryAt time.Time) error {
	return d.settle(ctx, owner, id, "pending", reason, retryAt)
}

// Park implements ferry.Outbox.
func (d *DB) Park(ctx context.Context, owner string, id int64, reason string) error {
	return d.settle(ctx, owner, id, "parked", reason, d.now())
}

func (d *DB) settle(ctx context.Context, owner string, id int64, status, reason string, retryAt time.Time) error {
	now := d.ts(d.now())
	res, err := d.SQL.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = '', lease_until = '' WHERE id = ? AND `+held,
		status, reason, d.ts(retryAt), id, owner, now)
	if err != nil {
		return fmt.Errorf("storage: outbox %s item %d: %w", status, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: outbox %s item %d: %w", status, id, ferry.ErrLeaseLost)
	}
	return nil
}
