package service

import (
	"context"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// FollowStore is what following a run reads. *storage.DB implements it.
type FollowStore interface {
	// Run returns one run; an error wrapping storage.ErrNotFound when there
	// is no such run, else the database's.
	Run(ctx context.Context, id int64) (storage.RunRecord, error)
	// Steps returns a run's stored steps and the attempt of each, attempt
	// by attempt, in order; an error is the database's.
	Steps(ctx context.Context, runID int64) ([]ferry.Step, []int, error)
	// Lease returns who holds a run's lease and until when ("" when
	// nobody does); an error is the database's.
	Lease(ctx context.Context, id int64) (string, time.Time, error)
}

// Progress is what changed in a followed run since the last report.
type Progress struct {
	Run storage.RunRecord
	// Changed is set when the run's status or attempt changed (the first
	// report always has it).
	Changed bool
	// Owner is who works the run (host/pid/…) while it is running.
	Owner string
	// Steps are the steps stored since the last report, with the attempt
	// of each in Attempts.
	Steps    []ferry.Step
	Attempts []int
	// NoWorkers is set, once per wait, when the run waits (queued,
	// interrupted, or running under a lease nobody renews) and nothing
	// works the database: it goes on only when a serve starts.
	NoWorkers bool
}

// FollowOptions tune Follow.
type FollowOptions struct {
	// Every is how often the store is read (default 250 ms).
	Every time.Duration
	// Workers, when set, reports whether a process works the database
	// (see RiverLeader); Follow asks it every WorkersEvery while the run
	// waits, to tell the operator when nothing will take it.
	Workers      func(ctx context.Context) (bool, error)
	WorkersEvery time.Duration // default 5 s
}

// Ended reports whether a run has ended for good: succeeded, failed or
// held. An interrupted run has not: it resumes when a serve starts.
func Ended(s ferry.RunStatus) bool {
	return s == ferry.RunSucceeded || s == ferry.RunFailed || s == ferry.RunHeld
}

// Follow reads a run from the store until it has ended, calling report
// with what changed (its status, its owner, steps as they are stored), and
// returns it as it ended. It only reads: stopping it (ctx) leaves the run
// to whoever works it. Errors: ctx's error, wrapped, when it ends first;
// the store's (a run that does not exist wraps storage.ErrNotFound).
func Follow(ctx context.Context, store FollowStore, id int64, o FollowOptions, report func(Progress)) (storage.RunRecord, error) {
	if o.Every <= 0 {
		o.Every = 250 * time.Millisecond
	}
	if o.WorkersEvery <= 0 {
		o.WorkersEvery = 5 * time.Second
	}
	type stepKey struct{ attempt, seq int }
	seen := map[stepKey]bool{}
	var last storage.RunRecord
	var lastOwner string
	first, warned := true, false
	var checked time.Time // when Workers was last asked
	for {
		run, err := store.Run(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("follow run %d: %w", id, ctx.Err())
			}
			return last, fmt.Errorf("follow run %d: %w", id, err)
		}
		steps, attempts, err := store.Steps(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return run, fmt.Errorf("follow run %d: %w", id, ctx.Err())
			}
			return run, fmt.Errorf("follow run %d: steps: %w", id, err)
		}
		p := Progress{Run: run, Changed: first || run.Status != last.Status || run.Attempt != last.Attempt}
		for i, s := range steps {
			k := stepKey{attempts[i], s.Seq}
			if !seen[k] {
				seen[k] = true
				p.Steps = append(p.Steps, s)
				p.Attempts = append(p.Attempts, attempts[i])
			}
		}
		waiting := run.Status == ferry.RunQueued || run.Status == ferry.RunInterrupted
		if run.Status == ferry.RunRunning {
			owner, until, err := store.Lease(ctx, id)
			if err == nil && owner != lastOwner {
				p.Owner, lastOwner, p.Changed = owner, owner, true
			}
			// A lease nobody renews: the process working the run died,
			// and the run waits for a serve to take it over.
			waiting = err == nil && !until.IsZero() && time.Now().After(until)
		}
		if !waiting {
			warned = false
		} else if o.Workers != nil && time.Since(checked) >= o.WorkersEvery {
			checked = time.Now()
			if live, err := o.Workers(ctx); err == nil && !live && !warned {
				p.NoWorkers, warned = true, true
			} else if live {
				warned = false
			}
		}
		if p.Changed || len(p.Steps) > 0 || p.NoWorkers {
			report(p)
		}
		first, last = false, run
		if Ended(run.Status) {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, fmt.Errorf("follow run %d: %w", id, ctx.Err())
		case <-time.After(o.Every):
		}
	}
}
