package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
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
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT sink,
			SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = 'parked' THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = 'delivered' AND delivered_at >= ? THEN 1 ELSE 0 END),
			MAX(delivered_at), MAX(failed_at)
		FROM outbox GROUP BY sink ORDER BY sink`, d.ts(since))
	if err != nil {
		return nil, fmt.Errorf("storage: sinks' status: %w", err)
	}
	var out []SinkStatus
	for rows.Next() {
		var s SinkStatus
		var delivered, errAt string
		if err := rows.Scan(&s.Sink, &s.Pending, &s.Parked, &s.DeliveredRecently, &delivered, &errAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: sinks' status: %w", err)
		}
		s.LastSuccess, s.LastErrorAt = parseTS(delivered), parseTS(errAt)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: sinks' status: %w", err)
	}
	// The last error's message: the one of the item that failed last.
	for i := range out {
		if out[i].LastErrorAt.IsZero() {
			continue
		}
		err := d.conn(ctx).QueryRowContext(ctx, `SELECT failure FROM outbox WHERE sink = ? AND failed_at <> '' ORDER BY failed_at DESC, id DESC LIMIT 1`, out[i].Sink).Scan(&out[i].LastError)
		if err != nil {
			return nil, fmt.Errorf("storage: sink %s: last error: %w", out[i].Sink, err)
		}
	}
	return out, nil
}

var _ ferry.OutboxStore = (*DB)(nil)
