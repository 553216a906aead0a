package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// SinkStatus is one sink's state as the outbox tells it (the console's
// sinks page). LastError is the sink's own message, as stored: whoever
// shows it redacts what may be secret in it.
type SinkStatus struct {
	Sink              string
	Pending, Parked   int
	DeliveredRecently int // delivered since the time SinkStatuses was given
	LastSuccess       time.Time
	LastErrorAt       time.Time
	LastError         string
}

// SinkStatuses returns every sink the outbox names, by name: its pending
// and parked items, those delivered since since, the last delivery, and
// the last error with its time (migration 0014's trigger keeps it, in wall-clock time).
func (d *DB) SinkStatuses(ctx context.Context, since time.Time) ([]SinkStatus, error) {
	q := d.conn(ctx)
	// Each figure from an index (outbox_claim for pending items,
	// outbox_pending for the few parked, outbox_delivered, outbox_failed):
	// the page never reads every delivered item.
	by := map[string]*SinkStatus{}
	get := func(sink string) *SinkStatus {
		if by[sink] == nil {
			by[sink] = &SinkStatus{Sink: sink}
		}
		return by[sink]
	}
	for _, status := range []string{"pending", "parked"} {
		rows, err := q.QueryContext(ctx, `SELECT sink, COUNT(*) FROM outbox WHERE status = ? GROUP BY sink`, status)
		if err != nil {
			return nil, fmt.Errorf("storage: sinks' status: %w", err)
		}
		for rows.Next() {
			var sink string
			var n int
			if err := rows.Scan(&sink, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: sinks' status: %w", err)
			}
			if status == "pending" {
				get(sink).Pending = n
			} else {
				get(sink).Parked = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: sinks' status: %w", err)
		}
	}
	// The sinks that delivered or failed but have nothing waiting.
	for _, query := range []string{`SELECT DISTINCT sink FROM outbox WHERE status = 'delivered'`, `SELECT DISTINCT sink FROM outbox WHERE failed_at <> ''`} {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("storage: sinks' status: %w", err)
		}
		for rows.Next() {
			var sink string
			if err := rows.Scan(&sink); err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: sinks' status: %w", err)
			}
			get(sink)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: sinks' status: %w", err)
		}
	}
	out := make([]SinkStatus, 0, len(by))
	for _, sink := range slices.Sorted(maps.Keys(by)) {
		s := by[sink]
		var last string
		err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(delivered_at), '') FROM outbox WHERE sink = ? AND status = 'delivered' AND delivered_at >= ?`, sink, d.ts(since)).
			Scan(&s.DeliveredRecently, &last)
		if err != nil {
			return nil, fmt.Errorf("storage: sink %s: deliveries: %w", sink, err)
		}
		if last == "" {
			// Nothing recent: the last success may be older.
			if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(delivered_at), '') FROM outbox WHERE sink = ? AND status = 'delivered'`, sink).Scan(&last); err != nil {
				return nil, fmt.Errorf("storage: sink %s: last delivery: %w", sink, err)
			}
		}
		s.LastSuccess = parseTS(last)
		var at string
		err = q.QueryRowContext(ctx, `SELECT failed_at, failure FROM outbox WHERE sink = ? AND failed_at <> '' ORDER BY failed_at DESC LIMIT 1`, sink).Scan(&at, &s.LastError)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("storage: sink %s: last failure: %w", sink, err)
		}
		s.LastErrorAt = parseTS(at)
		out = append(out, *s)
	}
	return out, nil
}
