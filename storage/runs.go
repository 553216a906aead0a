package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// NewRun inserts a queued run, in the transaction ctx carries if any, and
// returns its id (see ferry.RunStore).
func (d *DB) NewRun(ctx context.Context, r ferry.Run) (int64, error) {
	return d.CreateRun(ctx, nil, r)
}

// CreateRun is NewRun on q (a *sql.Tx from Tx, or nil for NewRun's
// choice). A scheduled run whose slot already exists returns ErrSlotTaken.
func (d *DB) CreateRun(ctx context.Context, q Queryer, r ferry.Run) (int64, error) {
	params, _ := json.Marshal(r.Params)
	slot := ""
	if !r.Slot.IsZero() {
		slot = r.Slot.UTC().Format(time.RFC3339)
	}
	var id int64
	err := d.queryer(ctx, q).QueryRowContext(ctx, `INSERT INTO runs (bot, login, site, schedule, slot, params, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Bot, r.Login, r.Site, r.Schedule, slot, string(params), ferry.RunQueued, d.ts(d.now())).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("storage: run of schedule %s at %s: %w", r.Schedule, slot, ErrSlotTaken)
		}
		return 0, fmt.Errorf("storage: create run: %w", err)
	}
	return id, nil
}

// StartRun marks a run running for the given attempt.
func (d *DB) StartRun(ctx context.Context, id int64, attempt int, selectorVersion string) error {
	return d.updateRun(ctx, id, "start", startRun, ferry.RunRunning, attempt, selectorVersion, d.ts(d.now()), id)
}

const startRun = `UPDATE runs SET status = ?, attempt = ?, selector_version = ?, started_at = CASE WHEN started_at = '' THEN ? ELSE started_at END, class = '', error = '' WHERE id = ?`

// BeginRun marks a run running unless its user is logged in to its site
// by another run or the site's limits say wait (see ferry.RunStore). On
// PostgreSQL a transaction-scoped advisory lock on the site (on the login
// key for a run without one) orders concurrent calls, so each check reads
// what the call before committed; SQLite's IMMEDIATE transactions are one
// at a time.
func (d *DB) BeginRun(ctx context.Context, id int64, s ferry.RunStart) error {
	return d.tx(ctx, func(tx txer) error {
		var bot, login, site string
		if err := tx.QueryRowContext(ctx, `SELECT bot, login, site FROM runs WHERE id = ?`, id).Scan(&bot, &login, &site); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("storage: begin run %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("storage: begin run %d: %w", id, err)
		}
		if s.Site != "" {
			site = s.Site
		}
		key := s.LoginKey
		if key == "" {
			key = ferry.LoginKey("bot "+bot, login)
		}
		lock := []string{"site", site}
		if site == "" {
			lock = []string{"login", key}
		}
		if err := d.lockOn(ctx, tx, lockLogin, lock...); err != nil {
			return fmt.Errorf("storage: begin run %d: %w", id, err)
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE login_key = ? AND status = ? AND id <> ? LIMIT 1`, key, ferry.RunRunning, id).Scan(&other)
		switch {
		case err == nil:
			return fmt.Errorf("storage: begin run %d of %s: %w", id, bot, &ferry.BusyError{Site: site, RunID: other, Err: ErrLoginBusy, Reason: "the same user is logged in"})
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: begin run %d: %w", id, err)
		}
		now := d.now()
		if site != "" && s.Limits.MaxConcurrent > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE site = ? AND status = ? AND id <> ?`, site, ferry.RunRunning, id).Scan(&n); err != nil {
				return fmt.Errorf("storage: begin run %d: %w", id, err)
			}
			if n >= s.Limits.MaxConcurrent {
				return fmt.Errorf("storage: begin run %d of %s: %w", id, bot, &ferry.BusyError{Site: site, Err: ErrSiteBusy,
					Reason: fmt.Sprintf("%d of at most %d runs logged in", n, s.Limits.MaxConcurrent)})
			}
		}
		if site != "" && s.Limits.MinInterval > 0 {
			var last string
			err := tx.QueryRowContext(ctx, `SELECT last_login_at FROM site_logins WHERE site = ?`, site).Scan(&last)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("storage: begin run %d: %w", id, err)
			}
			if at := parseTS(last); !at.IsZero() && now.Before(at.Add(s.Limits.MinInterval)) {
				return fmt.Errorf("storage: begin run %d of %s: %w", id, bot, &ferry.BusyError{Site: site, Err: ErrSiteBusy, RetryAt: at.Add(s.Limits.MinInterval),
					Reason: fmt.Sprintf("at least %s between logins", s.Limits.MinInterval)})
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, attempt = ?, selector_version = ?, started_at = CASE WHEN started_at = '' THEN ? ELSE started_at END, class = '', error = '', site = ?, login_key = ? WHERE id = ?`,
			ferry.RunRunning, s.Attempt, s.SelectorVersion, d.ts(now), site, key, id); err != nil {
			return fmt.Errorf("storage: begin run %d: %w", id, err)
		}
		if site != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO site_logins (site, last_login_at) VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET last_login_at = excluded.last_login_at`, site, d.ts(now)); err != nil {
				return fmt.Errorf("storage: begin run %d: site %s: %w", id, site, err)
			}
		}
		return nil
	})
}

// updateRun runs an UPDATE of run id and reports a run that is not there.
func (d *DB) updateRun(ctx context.Context, id int64, what, query string, args ...any) error {
	res, err := d.conn(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("storage: %s run %d: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("storage: %s run %d: %w", what, id, ErrNotFound)
	}
	return nil
}

// FinishRun records a run's outcome.
func (d *DB) FinishRun(ctx context.Context, id int64, status ferry.RunStatus, class ferry.FailureClass, errText, summary string) error {
	return d.updateRun(ctx, id, "finish", `UPDATE runs SET status = ?, class = ?, error = ?, summary = ?, finished_at = ? WHERE id = ?`,
		status, class, errText, summary, d.ts(d.now()), id)
}

// RequeueRun marks a run queued again for a retry, keeping its error.
func (d *DB) RequeueRun(ctx context.Context, id int64, class ferry.FailureClass, errText string) error {
	return d.updateRun(ctx, id, "requeue", `UPDATE runs SET status = ?, class = ?, error = ? WHERE id = ?`, ferry.RunQueued, class, errText, id)
}

// AddSteps appends a run attempt's step trace.
func (d *DB) AddSteps(ctx context.Context, runID int64, attempt int, steps []ferry.Step) error {
	return d.tx(ctx, func(tx txer) error {
		for _, s := range steps {
			_, err := tx.ExecContext(ctx, `INSERT INTO steps (run_id, attempt, seq, path, action, element, way, detail, status, started_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (run_id, attempt, seq) DO UPDATE SET path = excluded.path, action = excluded.action, element = excluded.element, way = excluded.way,
					detail = excluded.detail, status = excluded.status, started_at = excluded.started_at, duration_ms = excluded.duration_ms`,
				runID, attempt, s.Seq, s.Path, s.Action, s.Element, s.Way, s.Detail, s.Status, d.ts(s.Started), s.Duration.Milliseconds())
			if err != nil {
				return fmt.Errorf("storage: add step: %w", err)
			}
		}
		return nil
	})
}

const runColumns = `id, bot, login, site, schedule, slot, params, status, class, error, attempt, selector_version, summary, created_at, started_at, finished_at`

func scanRun(sc interface{ Scan(...any) error }) (RunRecord, error) {
	var r RunRecord
	var slot, params, created, started, finished string
	err := sc.Scan(&r.ID, &r.Bot, &r.Login, &r.Site, &r.Schedule, &slot, &params, &r.Status, &r.Class, &r.Error, &r.Attempt, &r.SelectorVersion, &r.Summary, &created, &started, &finished)
	if err != nil {
		return r, err
	}
	r.Slot = parseTS(slot)
	_ = json.Unmarshal([]byte(params), &r.Params)
	r.CreatedAt, r.StartedAt, r.FinishedAt = parseTS(created), parseTS(started), parseTS(finished)
	return r, nil
}

// Run returns one run.
func (d *DB) Run(ctx context.Context, id int64) (RunRecord, error) {
	r, err := scanRun(d.conn(ctx).QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	return r, err
}

// Runs lists the newest runs first.
func (d *DB) Runs(ctx context.Context, limit int) ([]RunRecord, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Steps returns a run's trace, attempt by attempt.
func (d *DB) Steps(ctx context.Context, runID int64) ([]ferry.Step, []int, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT attempt, seq, path, action, element, way, detail, status, started_at, duration_ms FROM steps WHERE run_id = ? ORDER BY attempt, seq`, runID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []ferry.Step
	var attempts []int
	for rows.Next() {
		var s ferry.Step
		var started string
		var ms int64
		var attempt int
		if err := rows.Scan(&attempt, &s.Seq, &s.Path, &s.Action, &s.Element, &s.Way, &s.Detail, &s.Status, &started, &ms); err != nil {
			return nil, nil, err
		}
		s.RunID, s.Started, s.Duration = runID, parseTS(started), time.Duration(ms)*time.Millisecond
		out = append(out, s)
		attempts = append(attempts, attempt)
	}
	return out, attempts, rows.Err()
}

// ActiveRun reports whether another run of bot with login is running.
func (d *DB) ActiveRun(ctx context.Context, bot, login string, except int64) (int64, error) {
	var id int64
	err := d.conn(ctx).QueryRowContext(ctx, `SELECT id FROM runs WHERE bot = ? AND login = ? AND status = ? AND id <> ? LIMIT 1`, bot, login, ferry.RunRunning, except).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// ScheduleLastSlot returns the last slot recorded for a schedule, and
// whether the schedule was known before.
func (d *DB) ScheduleLastSlot(ctx context.Context, id string) (time.Time, bool, error) {
	var s string
	err := d.conn(ctx).QueryRowContext(ctx, `SELECT last_slot FROM schedules WHERE id = ?`, id).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	return parseTS(s), err == nil, err
}

// AdvanceScheduleSlot records slot as the schedule's last slot unless a
// later one is recorded, in the transaction ctx carries if any.
func (d *DB) AdvanceScheduleSlot(ctx context.Context, id, spec string, slot time.Time) error {
	return d.SetScheduleSlot(ctx, nil, id, spec, slot)
}

// SetScheduleSlot is AdvanceScheduleSlot on q (a *sql.Tx from Tx, or nil
// for AdvanceScheduleSlot's choice).
func (d *DB) SetScheduleSlot(ctx context.Context, q Queryer, id, spec string, slot time.Time) error {
	_, err := d.queryer(ctx, q).ExecContext(ctx, `INSERT INTO schedules (id, spec, last_slot, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at,
			last_slot = CASE WHEN excluded.last_slot > schedules.last_slot THEN excluded.last_slot ELSE schedules.last_slot END`,
		id, spec, d.ts(slot), d.ts(d.now()))
	if err != nil {
		return fmt.Errorf("storage: schedule %s: record slot %s: %w", id, d.ts(slot), err)
	}
	return nil
}

// LeaseRun takes or extends a running run's heartbeat lease (see
// ferry.RunStore).
func (d *DB) LeaseRun(ctx context.Context, id int64, owner string, until time.Time) error {
	if owner == "" {
		return fmt.Errorf("storage: lease run %d without an owner", id)
	}
	now := d.ts(d.now())
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE runs SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND status = ? AND (lease_owner = ? OR lease_until = '' OR lease_until < ?)`,
		owner, d.ts(until), id, ferry.RunRunning, owner, now)
	if err != nil {
		return fmt.Errorf("storage: lease run %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		r, err := d.Run(ctx, id)
		if err != nil {
			return err
		}
		return fmt.Errorf("storage: lease run %d (%s, held by %q) for %s: %w", id, r.Status, d.runLeaseOwner(ctx, id), owner, ferry.ErrLeaseLost)
	}
	return nil
}

// OrphanedRuns lists running runs whose lease expired or never was taken.
func (d *DB) OrphanedRuns(ctx context.Context) ([]RunRecord, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE status = ? AND (lease_until = '' OR lease_until < ?) ORDER BY id`,
		ferry.RunRunning, d.ts(d.now()))
	if err != nil {
		return nil, fmt.Errorf("storage: orphaned runs: %w", err)
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: orphaned runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// runLeaseOwner names who holds a run's lease, for errors.
func (d *DB) runLeaseOwner(ctx context.Context, id int64) string {
	var owner string
	_ = d.conn(ctx).QueryRowContext(ctx, `SELECT lease_owner FROM runs WHERE id = ?`, id).Scan(&owner)
	return owner
}
