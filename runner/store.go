package runner

// What the runner needs of its database, as interfaces: the domain's
// stores and run leases, and River on the database's own driver. main
// chooses the implementation (storage.DB on SQLite or PostgreSQL); the
// runner links no storage implementation and no River driver.

import (
	"context"
	"fmt"
	"reflect"

	"github.com/ferry-rpa/ferry"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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
	// The store also has NewQueue(*river.Config) (Q, error), where Q is its
	// own queue type implementing Queue (see newQueue).
}

// Queue is River's client on the store's driver, as the runner uses it:
// the methods of river.Client that do not name the driver's transaction
// type. Jobs inserted with a context from the store's InTx commit and roll
// back with that transaction.
type Queue interface {
	// Start starts working jobs and the periodic jobs' schedule; ctx, if
	// cancelled, cancels the jobs in flight (see river.Client.Start).
	Start(ctx context.Context) error
	// Stop stops fetching jobs and waits for those running to finish, or
	// for ctx to end, returning ctx's error then.
	Stop(ctx context.Context) error
	// StopAndCancel cancels the running jobs' contexts and waits for them.
	StopAndCancel(ctx context.Context) error
	// Stopped is closed when the client has stopped.
	Stopped() <-chan struct{}
	// Subscribe returns job events of the given kinds and a function that
	// ends the subscription.
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	// PeriodicJobs is the client's periodic job bundle.
	PeriodicJobs() *river.PeriodicJobBundle
	// JobGet returns a job; an unknown id is river.ErrNotFound (wrapped).
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	// JobRetry makes a job available to run now.
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	// JobCancel cancels a job.
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	// Insert inserts a job, in the transaction ctx carries (from the
	// store's InTx) when it carries one. Errors wrap River's.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// newQueue makes the store's River client. The store's NewQueue returns
// its own concrete queue type (storage's is *storage.Queue): Go has no
// covariant method results, so no interface method can name it without
// the runner importing the implementation. It is found by name, its
// signature checked, and its result checked against Queue.
func newQueue(db Store, cfg *river.Config) (Queue, error) {
	m := reflect.ValueOf(db).MethodByName("NewQueue")
	errType := reflect.TypeFor[error]()
	if !m.IsValid() || m.Type().NumIn() != 1 || m.Type().In(0) != reflect.TypeFor[*river.Config]() ||
		m.Type().NumOut() != 2 || m.Type().Out(1) != errType || !m.Type().Out(0).Implements(reflect.TypeFor[Queue]()) {
		return nil, fmt.Errorf("runner: the store (%T) has no method NewQueue(*river.Config) (Queue, error)", db)
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(cfg)})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, err
	}
	q, _ := out[0].Interface().(Queue)
	if q == nil || (out[0].Kind() == reflect.Pointer && out[0].IsNil()) {
		return nil, fmt.Errorf("runner: the store (%T) returned no queue", db)
	}
	return q, nil
}
