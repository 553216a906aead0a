// Package jobqueue names River's client as Ferry's stores hand it out and
// the runner uses it, apart from both: storage returns one from NewQueue on
// its own driver (riversqlite or riverpgxv5), the runner and service take
// one, and neither links the other.
package jobqueue

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue is River's client on a store's driver, as Ferry uses it:
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
