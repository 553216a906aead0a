package storage

// Run leases (migration 0007; PostgreSQL 0008). Portable SQL only: ? placeholders, times
// passed in as fixed-width UTC RFC 3339 text so that they compare as text
// on SQLite and PostgreSQL alike.

import (
	"context"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// leaseFormat is RFC 3339 in UTC with a fixed number of fraction digits:
// text comparison then orders times correctly.
const leaseFormat = "2006-01-02T15:04:05.000000000Z"

func leaseTS(t time.Time) string { return t.UTC().Format(leaseFormat) }

// ClaimRun gives owner the lease on a run until until, if nobody else holds
// a lease on it that is live at now. It reports whether owner holds the
// lease now; an error means the database could not be asked.
func (d *DB) ClaimRun(ctx context.Context, id int64, owner string, now, until time.Time) (bool, error) {
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_owner = '' OR lease_owner = ? OR lease_until < ?)`,
		owner, leaseTS(until), id, owner, leaseTS(now))
	if err != nil {
		return false, fmt.Errorf("storage: claim run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: claim run %d: %w", id, err)
	}
	return n == 1, nil
}

// RenewLease extends owner's lease on a run to until. It reports false,
// without error, when owner no longer holds the lease (another process took
// the run over after the lease expired).
func (d *DB) RenewLease(ctx context.Context, id int64, owner string, until time.Time) (bool, error) {
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE runs SET lease_until = ? WHERE id = ? AND lease_owner = ?`, leaseTS(until), id, owner)
	if err != nil {
		return false, fmt.Errorf("storage: renew lease of run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: renew lease of run %d: %w", id, err)
	}
	return n == 1, nil
}

// Lease returns who holds a run's lease and until when (zero when nobody
// does).
func (d *DB) Lease(ctx context.Context, id int64) (string, time.Time, error) {
	var owner, until string
	if err := d.conn(ctx).QueryRowContext(ctx, `SELECT lease_owner, lease_until FROM runs WHERE id = ?`, id).Scan(&owner, &until); err != nil {
		return "", time.Time{}, fmt.Errorf("storage: lease of run %d: %w", id, err)
	}
	t, _ := time.Parse(time.RFC3339Nano, until)
	return owner, t, nil
}

// InterruptRun marks a run that owner holds as interrupted by a graceful
// stop: no class, the note as its error text, and the lease released so
// that the next start takes it at once. It reports false when owner did
// not hold the lease (the run is someone else's now; nothing changed).
func (d *DB) InterruptRun(ctx context.Context, id int64, owner, note string) (bool, error) {
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE runs SET status = ?, class = '', error = ?, lease_owner = '', lease_until = '' WHERE id = ? AND lease_owner = ?`,
		ferry.RunInterrupted, note, id, owner)
	if err != nil {
		return false, fmt.Errorf("storage: interrupt run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: interrupt run %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up owner's lease on a run, whatever its status.
func (d *DB) ReleaseLease(ctx context.Context, id int64, owner string) error {
	if _, err := d.conn(ctx).ExecContext(ctx, `UPDATE runs SET lease_owner = '', lease_until = '' WHERE id = ? AND lease_owner = ?`, id, owner); err != nil {
		return fmt.Errorf("storage: release lease of run %d: %w", id, err)
	}
	return nil
}

// OrphanedRun is a run left by a process that no longer renews its lease:
// "running", or leased while queued or interrupted (its process died
// between taking the run and starting it).
type OrphanedRun struct {
	ID         int64
	Status     ferry.RunStatus
	Owner      string
	LeaseUntil string // as stored: RequeueOrphan matches it
}

// ExpiredLeases lists the runs, not ended, that are running or leased and
// whose lease expired before now. When deadOwnersBut is not empty, runs
// leased by any other owner count too: the caller knows (by a
// data-directory lock) that no other process runs.
func (d *DB) ExpiredLeases(ctx context.Context, now time.Time, deadOwnersBut string) ([]OrphanedRun, error) {
	expired := `lease_until < ?`
	args := []any{ferry.RunRunning, ferry.RunQueued, ferry.RunInterrupted, leaseTS(now)}
	if deadOwnersBut != "" {
		expired = `(lease_until < ? OR lease_owner <> ?)`
		args = append(args, deadOwnersBut)
	}
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT id, status, lease_owner, lease_until FROM runs
		WHERE (status = ? OR (lease_owner <> '' AND status IN (?, ?))) AND `+expired+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: orphaned runs: %w", err)
	}
	defer rows.Close()
	var out []OrphanedRun
	for rows.Next() {
		var o OrphanedRun
		if err := rows.Scan(&o.ID, &o.Status, &o.Owner, &o.LeaseUntil); err != nil {
			return nil, fmt.Errorf("storage: orphaned runs: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: orphaned runs: %w", err)
	}
	return out, nil
}

// RequeueOrphan marks an orphaned run queued again, in q (the transaction
// that enqueues its new job), if it is still as ExpiredLeases saw it. It
// reports false when another process requeued or took it first.
func (d *DB) RequeueOrphan(ctx context.Context, q Queryer, o OrphanedRun) (bool, error) {
	res, err := d.queryer(ctx, q).ExecContext(ctx, `UPDATE runs SET status = ?, lease_owner = '', lease_until = '' WHERE id = ? AND status = ? AND lease_owner = ? AND lease_until = ?`,
		ferry.RunQueued, o.ID, o.Status, o.Owner, o.LeaseUntil)
	if err != nil {
		return false, fmt.Errorf("storage: requeue orphaned run %d: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: requeue orphaned run %d: %w", o.ID, err)
	}
	return n == 1, nil
}
