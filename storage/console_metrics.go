package storage

import (
	"context"
	"fmt"
	"time"
)

// MetricsSnapshot is what /metrics reports, read from the database at
// each scrape: the database is shared by every node of a cluster, so any
// node's scrape tells the whole cluster's state, and nothing is lost
// when a node restarts.
type MetricsSnapshot struct {
	// Runs counts runs by status and failure class ("" for none).
	Runs map[[2]string]int
	// Durations holds the seconds each finished run took (from start to
	// finish of its last attempt), keyed by final status.
	Durations map[string][]float64
	// Deliveries counts outbox items by status (pending, delivered,
	// parked) and sink.
	Deliveries map[[2]string]int
	// Fallbacks counts steps whose element was found by a fallback way
	// (not the selector's first).
	Fallbacks int
	// Heals counts heal proposals by status (proposed, accepted,
	// rejected).
	Heals map[string]int
	// Waiting counts unfinished runs with an open challenge: a run
	// waiting for a person keeps its status running, and its challenge
	// says it waits.
	Waiting int
}

// MetricsSnapshot reads the figures /metrics reports. Errors name the
// query that failed.
func (d *DB) MetricsSnapshot(ctx context.Context) (MetricsSnapshot, error) {
	m := MetricsSnapshot{Runs: map[[2]string]int{}, Durations: map[string][]float64{}, Deliveries: map[[2]string]int{}, Heals: map[string]int{}}
	c := d.conn(ctx)
	rows, err := c.QueryContext(ctx, `SELECT status, class, COUNT(*) FROM runs GROUP BY status, class`)
	if err != nil {
		return m, fmt.Errorf("storage: metrics: runs: %w", err)
	}
	for rows.Next() {
		var st, cl string
		var n int
		if err := rows.Scan(&st, &cl, &n); err != nil {
			rows.Close()
			return m, fmt.Errorf("storage: metrics: runs: %w", err)
		}
		m.Runs[[2]string{st, cl}] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("storage: metrics: runs: %w", err)
	}
	// Durations are computed here rather than in SQL: timestamps are
	// text, and the two dialects subtract them differently.
	rows, err = c.QueryContext(ctx, `SELECT status, started_at, finished_at FROM runs WHERE started_at <> '' AND finished_at <> ''`)
	if err != nil {
		return m, fmt.Errorf("storage: metrics: durations: %w", err)
	}
	for rows.Next() {
		var st, a, b string
		if err := rows.Scan(&st, &a, &b); err != nil {
			rows.Close()
			return m, fmt.Errorf("storage: metrics: durations: %w", err)
		}
		if s, f := parseTS(a), parseTS(b); !s.IsZero() && !f.Before(s) {
			m.Durations[st] = append(m.Durations[st], f.Sub(s).Seconds())
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("storage: metrics: durations: %w", err)
	}
	if err := c.QueryRowContext(ctx, `SELECT COUNT(DISTINCT c.run_id) FROM challenges c JOIN runs r ON r.id = c.run_id
		WHERE c.state IN ('pending', 'answered') AND r.finished_at = ''`).Scan(&m.Waiting); err != nil {
		return m, fmt.Errorf("storage: metrics: waiting runs: %w", err)
	}
	rows, err = c.QueryContext(ctx, `SELECT status, sink, COUNT(*) FROM outbox GROUP BY status, sink`)
	if err != nil {
		return m, fmt.Errorf("storage: metrics: outbox: %w", err)
	}
	for rows.Next() {
		var st, sink string
		var n int
		if err := rows.Scan(&st, &sink, &n); err != nil {
			rows.Close()
			return m, fmt.Errorf("storage: metrics: outbox: %w", err)
		}
		m.Deliveries[[2]string{st, sink}] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("storage: metrics: outbox: %w", err)
	}
	// The engine labels a fallback's way "… (fallback: way N of M)".
	if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM steps WHERE way LIKE '%(fallback: way %'`).Scan(&m.Fallbacks); err != nil {
		return m, fmt.Errorf("storage: metrics: fallbacks: %w", err)
	}
	rows, err = c.QueryContext(ctx, `SELECT status, COUNT(*) FROM selector_heals GROUP BY status`)
	if err != nil {
		return m, fmt.Errorf("storage: metrics: heals: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return m, fmt.Errorf("storage: metrics: heals: %w", err)
		}
		m.Heals[st] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("storage: metrics: heals: %w", err)
	}
	return m, nil
}

// Ready reports whether the database answers a query within timeout:
// what /readyz checks.
func (d *DB) Ready(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var one int
	if err := d.conn(ctx).QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("storage: ready: %w", err)
	}
	return nil
}
