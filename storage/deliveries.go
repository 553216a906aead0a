package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Delivery is ferry.Delivery.
type Delivery = ferry.Delivery

const deliveryColumns = `id, sink, dedup_key, payload, status, attempts, last_error, next_attempt_at, delivered_at, lease_owner, lease_until`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, done, until string
	err := sc.Scan(&d.ID, &d.Sink, &d.DedupKey, &d.Payload, &d.Status, &d.Attempts, &d.LastError, &next, &done, &d.LeaseOwner, &until)
	d.NextAttempt, d.DeliveredAt, d.LeaseUntil = parseTS(next), parseTS(done), parseTS(until)
	return d, err
}

// Deliveries lists deliveries, newest first; status and sink filter when
// set.
func (d *DB) Deliveries(ctx context.Context, status, sink string, limit int) ([]Delivery, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE (? = '' OR status = ?) AND (? = '' OR sink = ?) ORDER BY id DESC LIMIT ?`,
		status, status, sink, sink, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		x, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Delivery returns one delivery.
func (d *DB) Delivery(ctx context.Context, id int64) (Delivery, error) {
	x, err := scanDelivery(d.conn(ctx).QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, fmt.Errorf("storage: delivery %d: %w", id, ErrNoDelivery)
	}
	return x, err
}

// RetryDeliveries puts parked deliveries back in the queue, due now: the
// given ids, or every parked one when ids is empty. It returns how many.
func (d *DB) RetryDeliveries(ctx context.Context, ids []int64) (int, error) {
	now := d.ts(d.now())
	if len(ids) == 0 {
		res, err := d.conn(ctx).ExecContext(ctx, `UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE status = 'parked'`, now)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	n := 0
	err := d.tx(ctx, func(tx txer) error {
		for _, id := range ids {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM outbox WHERE id = ?`, id).Scan(&status); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("storage: delivery %d: %w", id, ErrNoDelivery)
				}
				return err
			}
			if status != "parked" {
				return fmt.Errorf("storage: delivery %d is %s, not parked", id, status)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE id = ?`, now, id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// LineRecords returns every stored statement line as its delivery record,
// in booking order; from and to (YYYY-MM-DD) bound the booking date when
// set.
func (d *DB) LineRecords(ctx context.Context, from, to string) ([]LineRecord, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT dedup_key, run_id, account, booking_date, value_date, amount, currency, counterparty, description, reference, transaction_id, balance_after
		FROM statement_lines WHERE (? = '' OR booking_date >= ?) AND (? = '' OR booking_date <= ?) ORDER BY booking_date, account, rowid`, from, from, to, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineRecord
	for rows.Next() {
		r := LineRecord{Type: "statement_line"}
		var amount, bal string
		if err := rows.Scan(&r.DedupKey, &r.RunID, &r.Account, &r.BookingDate, &r.ValueDate, &amount, &r.Currency, &r.Counterparty, &r.Description, &r.Reference, &r.TransactionID, &bal); err != nil {
			return nil, err
		}
		r.Amount, r.BalanceAfter = fixed2(amount), fixed2(bal)
		out = append(out, r)
	}
	return out, rows.Err()
}

// fixed2 renders stored decimal text with two decimals, as records carry
// amounts (more digits, if any, are kept).
func fixed2(s string) string {
	dv, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	if dv.Exponent() < -2 {
		return dv.String()
	}
	return dv.StringFixed(2)
}
