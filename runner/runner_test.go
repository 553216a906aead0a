package runner_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

var browser *bots.Browser

// pg is the package's private PostgreSQL server, started by the first test
// that needs it.
var pg = pgtest.New()

func TestMain(m *testing.M) {
	var err error
	browser, err = bots.Launch(context.Background(), bots.BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner tests need Chromium:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = browser.Close()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

type env struct {
	bank  *sandbox.Bank
	db    *storage.DB
	r     *runner.Runner
	jsonl string
	dir   string
}

func creds() runner.StaticCredentials { return sandbox.Credentials() }

func setup(t *testing.T, dir string, bank *sandbox.Bank, mod func(*runner.Config)) *env {
	t.Helper()
	ctx := context.Background()
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dsn := filepath.Join(dir, "ferry.db")
	if strings.HasPrefix(dir, "postgres://") {
		dsn, dir = dir, t.TempDir()
	}
	db, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	jsonl := filepath.Join(dir, "records.jsonl")
	cfg := runner.Config{DB: db, Browser: browser, Sites: map[string]string{"demobank": base}, Credentials: creds(),
		Sinks: []delivery.Sink{&delivery.JSONLines{Path: jsonl}}, RetryBase: 300 * time.Millisecond,
		StepTimeout: 5 * time.Second, ReservePath: filepath.Join(dir, "ferry.reserve"), Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	if mod != nil {
		mod(&cfg)
	}
	r, err := runner.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{bank: bank, db: db, r: r, jsonl: jsonl, dir: dir}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
		db.Close()
	})
	return e
}

func (e *env) run(t *testing.T, login string) storage.RunRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id, err := e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: login,
		Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// waitLines waits (up to 30 s) for the file to hold want lines and returns
// how many it holds.
func waitLines(t *testing.T, path string, want int) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := countLines(t, path)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

func TestNightlyTwiceDeliversOnce(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	// The finance system's side: an HTTP endpoint that keeps one record per
	// Idempotency-Key and counts every POST.
	var mu sync.Mutex
	posts, byKey := 0, map[string]string{}
	finance := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		posts++
		byKey[r.Header.Get("Idempotency-Key")] = string(body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer finance.Close()
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.Sinks = append(c.Sinks, &delivery.HTTP{URL: finance.URL})
	})
	want := 0
	for _, a := range sandbox.DefaultUsers()[0].Accounts {
		st, _ := bank.Statement(a, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
		want += len(st.Lines)
	}
	first := e.run(t, "demobank-zhangwei")
	if first.Status != ferry.RunSucceeded {
		t.Fatalf("first run: %s %s %s", first.Status, first.Class, first.Error)
	}
	// Delivery follows the run's commit (the outbox); wait for it.
	if got := waitLines(t, e.jsonl, want); got != want {
		t.Fatalf("first run delivered %d records, want %d", got, want)
	}
	second := e.run(t, "demobank-zhangwei")
	if second.Status != ferry.RunSucceeded || !strings.Contains(second.Summary, `"new_lines":0`) {
		t.Fatalf("second run: %s %s", second.Status, second.Summary)
	}
	if got := countLines(t, e.jsonl); got != want {
		t.Fatalf("after the second run the sink holds %d records, want still %d", got, want)
	}
	mu.Lock()
	if posts != want || len(byKey) != want {
		t.Fatalf("finance system got %d POSTs for %d keys, want %d each", posts, len(byKey), want)
	}
	for k, body := range byKey {
		if !strings.Contains(body, `"dedup_key":"`+k+`"`) || !strings.Contains(body, `"amount":"`) {
			t.Fatalf("record %s: %s", k, body)
		}
	}
	mu.Unlock()
	// Nine files for one attempt. A first attempt cut short by a slow
	// machine (a download past the 5-second step limit under load) keeps
	// its own files and evidence too, so the count is exact only for a run
	// done in one attempt; the records above are checked either way.
	arts, _ := e.db.Artifacts(context.Background(), first.ID)
	if first.Attempt == 1 && len(arts) != 9 {
		t.Fatalf("first run stored %d artifacts, want 9", len(arts))
	}
}

func Test503BurstRecoversByRetry(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	bank.Set(func(s *sandbox.Switches) { s.Unavailable503 = 3 })
	e := setup(t, t.TempDir(), bank, nil)
	run := e.run(t, "demobank-lina")
	if run.Status != ferry.RunSucceeded || run.Attempt < 2 {
		t.Fatalf("got %s after %d attempts (%s), want success after a retry", run.Status, run.Attempt, run.Error)
	}
	if bank.Stats().Unavailable != 3 {
		t.Fatalf("bank answered %d 503s, want 3", bank.Stats().Unavailable)
	}
}

func TestWrongPasswordNeverRetried(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		cr := creds()
		bad := cr["demobank-zhangwei"]
		bad.Fields = map[string]string{"user": "zhangwei", "password": "wrong"}
		cr["demobank-zhangwei"] = bad
		c.Credentials = cr
	})
	run := e.run(t, "demobank-zhangwei")
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassCredentialsRejected || run.Attempt != 1 {
		t.Fatalf("got %s/%s after %d attempts", run.Status, run.Class, run.Attempt)
	}
	if n := bank.Stats().FailedLogins; n != 1 {
		t.Fatalf("bank saw %d failed logins, want 1", n)
	}
	arts, _ := e.db.Artifacts(context.Background(), run.ID)
	kinds := map[string]bool{}
	for _, a := range arts {
		kinds[a.Name] = a.Kind == "evidence"
	}
	if !kinds["screenshot.png"] || !kinds["page.html"] || !kinds["evidence.json"] {
		t.Fatalf("evidence missing: %+v", arts)
	}
}

func TestMissedSlotCatchesUpOnce(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	dir := t.TempDir()
	sched := []runner.Schedule{{ID: "nightly-lina", Bot: "demobank-statements", Login: "demobank-lina", Cron: "CRON_TZ=Asia/Shanghai 30 2 * * *"}}
	ctx := context.Background()
	// Ferry knew the schedule two days ago, then was down.
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetScheduleSlot(ctx, db.SQL, "nightly-lina", sched[0].Cron, time.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i := 0; i < 2; i++ {
		e := setup(t, dir, bank, func(c *runner.Config) { c.Schedules = sched })
		deadline := time.Now().Add(2 * time.Minute)
		var runs []storage.RunRecord
		for time.Now().Before(deadline) {
			runs, _ = e.db.Runs(ctx, 10)
			if len(runs) == 1 && runs[0].Status == ferry.RunSucceeded {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(runs) != 1 || runs[0].Schedule != "nightly-lina" || runs[0].Status != ferry.RunSucceeded {
			t.Fatalf("start %d: runs %+v, want exactly one succeeded catch-up run", i+1, runs)
		}
		loc, _ := time.LoadLocation("Asia/Shanghai")
		slot := runs[0].Slot.In(loc)
		if slot.Hour() != 2 || slot.Minute() != 30 || runs[0].Params.From != ferry.DateOf(slot).AddDays(-1) {
			t.Fatalf("slot %s params %+v", slot, runs[0].Params)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = e.r.Stop(sctx)
		cancel()
		e.db.Close()
	}
}

func TestUnreconciledStatementIsHeldNotDelivered(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	bank.Set(func(s *sandbox.Switches) { s.MisstateClosing = true })
	e := setup(t, t.TempDir(), bank, nil)
	run := e.run(t, "demobank-lina")
	if run.Status != ferry.RunHeld || !strings.Contains(run.Summary, "does not reconcile") {
		t.Fatalf("got %s %s, want held with the reason", run.Status, run.Summary)
	}
	if got := countLines(t, e.jsonl); got != 0 {
		t.Fatalf("%d records of an unreconciled statement were delivered", got)
	}
	sts, _ := e.db.Statements(context.Background(), run.ID)
	if len(sts) != 1 || sts[0].Status != "held" {
		t.Fatalf("statements: %+v", sts)
	}
}

// The same runner on PostgreSQL: the run row and its River job (riverpgxv5)
// commit together, the bot runs against the sandbox bank, its records are
// stored and delivered once, and a second run of the same period adds
// nothing.
func TestRunOnPostgres(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	e := setup(t, pg.Database(t), bank, nil)
	want := 0
	for _, a := range sandbox.DefaultUsers()[0].Accounts {
		st, _ := bank.Statement(a, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
		want += len(st.Lines)
	}
	if want == 0 {
		t.Fatal("the sandbox has no lines in October 2026")
	}
	first := e.run(t, "demobank-zhangwei")
	if first.Status != ferry.RunSucceeded {
		t.Fatalf("first run: %s %s %s", first.Status, first.Class, first.Error)
	}
	if got := waitLines(t, e.jsonl, want); got != want {
		t.Fatalf("first run delivered %d records, want %d", got, want)
	}
	second := e.run(t, "demobank-zhangwei")
	if second.Status != ferry.RunSucceeded || !strings.Contains(second.Summary, `"new_lines":0`) {
		t.Fatalf("second run: %s %s", second.Status, second.Summary)
	}
	if got := countLines(t, e.jsonl); got != want {
		t.Fatalf("after the second run the sink holds %d records, want still %d", got, want)
	}
	if n, err := e.db.CountLines(context.Background()); err != nil || n != want {
		t.Fatalf("PostgreSQL holds %d lines (%v), want %d", n, err, want)
	}
}
