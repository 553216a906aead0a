package runner

// What the runner needs of its database, as interfaces: the domain's
// stores and run leases, and River on the database's own driver. main
// chooses the implementation (storage.DB on SQLite or PostgreSQL); the
// runner links no storage implementation and no River driver.

import (
	"context"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/jobqueue"
	"github.com/riverqueue/river"
)

// Store is the database a runner works on.
type Store interface {
	ferry.Store
	ferry.RunLeaseStore
	// ReleaseOutboxLeases ends at once every outbox lease not held by
	// keep, and returns how many it ended. Only a process that knows it is
	// the database's only user (it holds the data directory's lock on a
	// SQLite database) may call it: the leases of a live deliverer would be
	// taken from it.
	ReleaseOutboxLeases(ctx context.Context, keep string) (int, error)
	// Postgres reports whether the database is shared PostgreSQL (other
	// processes, on other machines, may work on it) rather than an
	// embedded SQLite file.
	Postgres() bool
	// MigrateRiver applies River's own migrations to the database. Errors
	// name the database.
	MigrateRiver(ctx context.Context) error
	// NewQueue returns a River client configured by cfg on the store's
	// own driver; a cfg without Queues gives a client that only inserts.
	// Errors wrap River's.
	NewQueue(cfg *river.Config) (Queue, error)
}

// Queue is River's client on the store's driver (see jobqueue.Queue).
type Queue = jobqueue.Queue
