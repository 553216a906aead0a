package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pg is the package's private PostgreSQL server, started by the first test
// that needs it and stopped by TestMain.
var pg = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// eachDatabase runs fn as a subtest on a throwaway SQLite database and on
// a fresh PostgreSQL one.
func eachDatabase(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			d := DataDir(filepath.Join(t.TempDir(), "data"))
			dsn := d.Database()
			if kind == "postgres" {
				dsn = pg.Database(t)
			}
			db, err := storage.Open(context.Background(), dsn, d.Artifacts(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, db)
		})
	}
}

func TestSubcommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cmdline, want string }{
		{"/usr/bin/ferry --config ferry.yaml --log-format json serve", "serve"},
		{"ferry serve", "serve"},
		{"ferry --config=ferry.yaml run demobank-statements --login x", "run"},
		{"ferry --database postgres://h/db --log-level debug run bot", "run"},
		{"ferry --json runs list", "runs"},
		{"ferry", ""},
		{"", ""},
	} {
		if got := subcommand(tc.cmdline); got != tc.want {
			t.Errorf("subcommand(%q) = %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}

// PlanHandoff checks the bot, the login and its fields without any
// secret, and fills the period from the script's defaults relative to the
// time given, not today.
func TestPlanHandoff(t *testing.T) {
	t.Parallel()
	svc, _ := newTestService(t)
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	logins := map[string][]string{"zw": {"user", "password"}, "a-first": {"user", "password"}, "nopass": {"user"}}
	req, err := svc.PlanHandoff(logins, RunRequest{Bot: "demobank-statements"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if req.Login != "a-first" || req.Params.From.IsZero() || req.Params.To.IsZero() || req.Params.To.After(ferry.DateOf(now)) {
		t.Fatalf("planned %+v: want the first login by name and a period up to %s", req, ferry.DateOf(now))
	}
	from := ferry.NewDate(2026, 10, 1)
	req, err = svc.PlanHandoff(logins, RunRequest{Bot: "demobank-statements", Login: "zw", Params: ferry.RunParams{From: from, To: from}}, now)
	if err != nil || req.Params.From != from || req.Params.To != from || req.Login != "zw" {
		t.Fatalf("planned %+v, %v: want zw on %s", req, err, from)
	}
	var ie *InvalidError
	for _, r := range []RunRequest{{Bot: "no-such-bot"}, {Bot: "demobank-statements", Login: "nobody"},
		{Bot: "demobank-statements", Params: ferry.RunParams{From: from, To: from.AddDays(-1)}}} {
		if _, err := svc.PlanHandoff(logins, r, now); !errors.As(err, &ie) {
			t.Errorf("PlanHandoff(%+v): %v, want an *InvalidError", r, err)
		}
	}
	if _, err := svc.PlanHandoff(logins, RunRequest{Bot: "demobank-statements", Login: "nopass"}, now); !errors.Is(err, runner.ErrIncompleteCredential) {
		t.Errorf("a login without a password: %v, want ErrIncompleteCredential", err)
	}
	if _, err := svc.PlanHandoff(nil, RunRequest{Bot: "demobank-statements"}, now); !errors.As(err, &ie) {
		t.Errorf("no logins: %v, want an *InvalidError", err)
	}
}

// Handoff writes the run and exactly the runner's job in one transaction:
// both or neither.
func TestHandoffWritesRunAndJob(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.MigrateRiver(ctx); err != nil {
			t.Fatal(err)
		}
		jobs, err := InsertOnly(db)
		if err != nil {
			t.Fatal(err)
		}
		req := runner.Request{Bot: "demobank-statements", Login: "zw", Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 2)}}
		id, err := Handoff(ctx, db, jobs, req, 3*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		run, err := db.Run(ctx, id)
		if err != nil || run.Status != ferry.RunQueued || run.Bot != req.Bot || run.Login != "zw" || run.Params.From != req.Params.From {
			t.Fatalf("run %d: %+v %v", id, run, err)
		}
		var kind, args string
		var maxAttempts int
		q := `SELECT kind, json(args), max_attempts FROM river_job`
		if db.Postgres() {
			q = `SELECT kind, CAST(args AS TEXT), max_attempts FROM river_job`
		}
		if err := db.SQL.QueryRowContext(ctx, q).Scan(&kind, &args, &maxAttempts); err != nil {
			t.Fatal(err)
		}
		var got runner.RunArgs
		if err := json.Unmarshal([]byte(args), &got); err != nil {
			t.Fatalf("job args %s: %v", args, err)
		}
		if kind != (runner.RunArgs{}).Kind() || got.RunID != id || got.Timeout != 3*time.Hour || maxAttempts != RunMaxAttempts {
			t.Fatalf("job %s %s (max %d attempts), want the runner's job of run %d", kind, args, maxAttempts, id)
		}
		// A job that cannot be inserted leaves no run behind.
		if _, err := Handoff(ctx, db, failingInserter{}, req, 0); err == nil {
			t.Fatal("a failed insert was not reported")
		}
		runs, err := db.Runs(ctx, 10)
		if err != nil || len(runs) != 1 {
			t.Fatalf("after a failed hand-off: %d runs, %v; want 1", len(runs), err)
		}
	})
}

type failingInserter struct{}

func (failingInserter) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return nil, errors.New("queue full")
}

type idleArgs struct{}

func (idleArgs) Kind() string { return "ferry_test_idle" }

// RiverLeader is empty on a database no client works (River's tables
// absent, or no client started), names the leader while a working client
// runs, and is empty again once it stops and resigns.
func TestRiverLeader(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if l, err := RiverLeader(ctx, db); err != nil || l != "" {
			t.Fatalf("before River's tables: %q, %v; want none", l, err)
		}
		if err := db.MigrateRiver(ctx); err != nil {
			t.Fatal(err)
		}
		if l, err := RiverLeader(ctx, db); err != nil || l != "" {
			t.Fatalf("no client: %q, %v; want none", l, err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[idleArgs]) error { return nil }))
		q, err := db.NewQueue(&river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, Workers: workers,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		leader := waitFor(t, 30*time.Second, "a leader", func() (string, error) { return RiverLeader(ctx, db) }, func(l string) bool { return l != "" })
		t.Logf("leader %s", leader)
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "no leader after the stop", func() (string, error) { return RiverLeader(ctx, db) }, func(l string) bool { return l == "" })
	})
}

// waitFor polls get until ok holds, failing the test after limit.
func waitFor[T any](t *testing.T, limit time.Duration, what string, get func() (T, error), ok func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		v, err := get()
		if err == nil && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: last %v, %v", limit, what, v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Follow reports each change of a run as a worker in another goroutine
// stores it (the worker moves on only once the change was reported, so
// every state is seen), returns the run as it ended, and stops at once,
// leaving the run alone, when its context ends.
func TestFollow(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		id, err := db.NewRun(ctx, ferry.Run{Bot: "demobank-statements", Login: "zw"})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []string
		reported := make(chan string, 100)
		record := func(p Progress) {
			line := string(p.Run.Status)
			if p.Owner != "" {
				line += " on " + p.Owner
			}
			for i, s := range p.Steps {
				line += fmt.Sprintf(" step %d.%d %s", p.Attempts[i], s.Seq, s.Action)
			}
			if p.NoWorkers {
				line += " no workers"
			}
			mu.Lock()
			seen = append(seen, line)
			mu.Unlock()
			reported <- line
		}
		noWorkers := func(context.Context) (bool, error) { return false, nil }
		done := make(chan error, 1)
		var final storage.RunRecord
		go func() {
			var err error
			final, err = Follow(ctx, db, id, FollowOptions{Every: 5 * time.Millisecond, Workers: noWorkers, WorkersEvery: time.Millisecond}, record)
			done <- err
		}()
		expect := func(want string) {
			t.Helper()
			select {
			case got := <-reported:
				if got != want {
					t.Fatalf("reported %q, want %q", got, want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("nothing reported; want %q", want)
			}
		}
		expect("queued no workers")
		now := time.Now()
		if ok, err := db.ClaimRun(ctx, id, "host/42/abc", now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := db.BeginRun(ctx, id, ferry.RunStart{Attempt: 1, SelectorVersion: "v1"}); err != nil {
			t.Fatal(err)
		}
		expect("running on host/42/abc")
		step := func(seq int, action string) ferry.Step {
			return ferry.Step{Seq: seq, Action: action, Status: ferry.StepOK, Started: now}
		}
		if err := db.AddSteps(ctx, id, 1, []ferry.Step{step(1, "open"), step(2, "fill")}); err != nil {
			t.Fatal(err)
		}
		expect("running step 1.1 open step 1.2 fill")
		if err := db.FinishRun(ctx, id, ferry.RunSucceeded, "", "", `{"accounts":1}`); err != nil {
			t.Fatal(err)
		}
		expect("succeeded")
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if final.ID != id || final.Status != ferry.RunSucceeded {
			t.Fatalf("Follow returned %+v", final)
		}

		// Stopped by its context, Follow says so and changes nothing.
		id2, err := db.NewRun(ctx, ferry.Run{Bot: "demobank-statements", Login: "zw"})
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			_, err := Follow(cctx, db, id2, FollowOptions{Every: 5 * time.Millisecond}, record)
			done <- err
		}()
		expect("queued")
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow after cancel: %v, want context.Canceled", err)
		}
		if r, err := db.Run(ctx, id2); err != nil || r.Status != ferry.RunQueued {
			t.Fatalf("the followed run after the follower stopped: %+v %v, want it queued", r, err)
		}
		// A running run whose lease nobody renews waits too: its process
		// died, and nothing works the database.
		id3, err := db.NewRun(ctx, ferry.Run{Bot: "demobank-statements", Login: "zw"})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := db.ClaimRun(ctx, id3, "host/43/dead", now, now.Add(-time.Second)); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := db.BeginRun(ctx, id3, ferry.RunStart{Attempt: 1, SelectorVersion: "v1"}); err != nil {
			t.Fatal(err)
		}
		cctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, err := Follow(cctx, db, id3, FollowOptions{Every: 5 * time.Millisecond, Workers: noWorkers, WorkersEvery: time.Millisecond}, record)
			done <- err
		}()
		expect("running on host/43/dead no workers")
		cancel()
		<-done
		// A run that does not exist is the store's not-found error.
		if _, err := Follow(ctx, db, 999, FollowOptions{}, record); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Follow of no run: %v, want ErrNotFound", err)
		}
	})
}
