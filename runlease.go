package ferry

import (
	"context"
	"time"
)

// RunLeaseStore keeps who works a run: a lease with an owner (a process)
// and an expiry that the owner renews while it works. A run whose lease
// expired was left by a process that died; RunStore.OrphanedRuns lists
// those that were running. Times are the caller's: the owner's clock
// decides what "expired" means for ClaimRun, so that one process's view of
// its own leases is consistent.
type RunLeaseStore interface {
	// ClaimRun gives owner the lease on run id until until, whatever the
	// run's status, if nobody else holds a lease on it that is live at now
	// (expires after now). It reports whether owner holds the lease now;
	// of concurrent claims of a free lease exactly one reports true. An
	// unknown id reports false. An error means the store could not be
	// asked and nothing changed.
	ClaimRun(ctx context.Context, id int64, owner string, now, until time.Time) (bool, error)
	// RenewLease extends owner's lease on run id to until. It reports
	// false, changing nothing, when owner does not hold the lease (it
	// expired and another owner took the run over, or it was released);
	// the caller must then stop working the run. An error means the store
	// could not be asked.
	RenewLease(ctx context.Context, id int64, owner string, until time.Time) (bool, error)
	// Lease returns who holds run id's lease and until when: "" and the
	// zero time when nobody does. An unknown id is an error.
	Lease(ctx context.Context, id int64) (owner string, until time.Time, err error)
	// InterruptRun marks run id, which owner holds, interrupted by a
	// graceful stop: no class, note as its error text, and its lease
	// released so that the next start takes it at once. It reports false,
	// changing nothing, when owner does not hold the lease.
	InterruptRun(ctx context.Context, id int64, owner, note string) (bool, error)
	// ReleaseLease gives up owner's lease on run id, whatever the run's
	// status; a lease owner does not hold (or an unknown id) is left as
	// it is, without error.
	ReleaseLease(ctx context.Context, id int64, owner string) error
}
