package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/riverqueue/river"
)

// runArgs is a job that runs one stored run, as the runner's are.
type runArgs struct {
	RunID int64 `json:"run_id"`
}

func (runArgs) Kind() string { return "storage_test_run" }

// finishWorker finishes the job's run: proof that a worker reads what the
// job's transaction committed.
type finishWorker struct {
	river.WorkerDefaults[runArgs]
	db   *storage.DB
	done chan int64
}

func (w *finishWorker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	if err := w.db.FinishRun(ctx, job.Args.RunID, ferry.RunSucceeded, "", "", "done by river"); err != nil {
		return err
	}
	w.done <- job.Args.RunID
	return nil
}

// TestRiverJobsCommitWithRuns: a run row and its River job commit and roll
// back together, and a worker runs the committed job, on both databases
// through one code path.
func TestRiverJobsCommitWithRuns(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"SQLite": openSQLite, "Postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, false, nil)
			if err := db.MigrateRiver(ctx); err != nil {
				t.Fatal(err)
			}
			w := &finishWorker{db: db, done: make(chan int64, 1)}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			q, err := db.NewQueue(&river.Config{
				Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
				Workers:           workers,
				FetchPollInterval: 50 * time.Millisecond,
				FetchCooldown:     10 * time.Millisecond,
				TestOnly:          true,
			})
			if err != nil {
				t.Fatal(err)
			}
			enqueue := func(fail error) (int64, error) {
				var id int64
				err := db.InTx(ctx, func(ctx context.Context) error {
					var err error
					if id, err = db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"}); err != nil {
						return err
					}
					if _, err := q.Insert(ctx, runArgs{RunID: id}, nil); err != nil {
						return err
					}
					return fail
				})
				return id, err
			}
			boom := errors.New("boom")
			dropped, err := enqueue(boom)
			if !errors.Is(err, boom) {
				t.Fatalf("enqueue that fails: %v", err)
			}
			if _, err := db.Run(ctx, dropped); !errors.Is(err, ferry.ErrNotFound) {
				t.Fatalf("rolled-back run: %v", err)
			}
			if n := riverJobs(t, db); n != 0 {
				t.Fatalf("%d River jobs after the rollback, want 0", n)
			}
			kept, err := enqueue(nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := riverJobs(t, db); n != 1 {
				t.Fatalf("%d River jobs after the commit, want 1", n)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = q.Stop(stopCtx)
			})
			select {
			case id := <-w.done:
				if id != kept {
					t.Fatalf("worked run %d, want %d", id, kept)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the committed job was not worked within 30s")
			}
			if r, _ := db.Run(ctx, kept); r.Status != ferry.RunSucceeded || r.Summary != "done by river" {
				t.Fatalf("run after its job: %+v", r)
			}
		})
	}
}

func riverJobs(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'storage_test_run'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Several processes starting at once on a fresh PostgreSQL database each
// apply River's migrations: one at a time, none fails.
func TestRiverMigrationsConcurrent(t *testing.T) {
	t.Parallel()
	url := pg.Database(t)
	ctx := context.Background()
	const n = 3
	dbs := make([]*storage.DB, n)
	for i := range dbs {
		db, err := storage.OpenWith(ctx, storage.Options{DSN: url, ArtifactsInDatabase: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	errs := make(chan error, n)
	for _, db := range dbs {
		go func() { errs <- db.MigrateRiver(ctx) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent River migrations: %v", err)
		}
	}
	q, err := dbs[0].NewQueue(&river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Insert(ctx, runArgs{RunID: 1}, nil); err != nil {
		t.Fatalf("insert after the migrations: %v", err)
	}
}
