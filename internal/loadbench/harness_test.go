package loadbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// pg is the package's private PostgreSQL server, started by the first
// benchmark that needs it and stopped by TestMain.
var pg = pgtest.New()

var (
	flagRuns  = flag.Int("loadbench.runs", 0, "runs in a throughput window (default 4 per worker, at least 8)")
	flagSlots = flag.Int("loadbench.slots", 6, "schedule slots the latency benchmark measures")
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// bot is the sandbox bot every benchmark runs.
const bot = "demobank-statements"

// rigOptions say what a rig runs on.
type rigOptions struct {
	postgres bool
	workers  int
	// users is how many sandbox logins the bank has (default twice the
	// workers, at least 4): the runner runs one login at a time, so a
	// full queue needs more logins than workers.
	users int
	// oneAccount limits every enqueued run to its login's first account
	// (three downloads instead of nine): for the harness's own test.
	oneAccount bool
	schedules  func(logins []string) []runner.Schedule
	onStep     func(runID int64, s ferry.Step)
}

// rig is one Ferry node: a runner with its own database, browser and
// sandbox bank, started, and stopped at the end of tb.
type rig struct {
	tb      testing.TB
	bank    *sandbox.Bank
	browser *bots.Browser
	db      *storage.DB
	r       *runner.Runner
	logins  []string
	first   map[string]string // login → its first account
	one     bool              // rigOptions.oneAccount
	next    int               // the next (login, month) an enqueued run takes
	stopped bool
}

// benchUsers are n sandbox logins, each with three accounts of its own
// (copies of the demo user's: two CNY, one of which the bank shows as an
// inline PDF, and one USD), so that every run downloads and stores as
// much as the demo user's.
func benchUsers(n int) ([]sandbox.User, []sandbox.Account) {
	defaults := sandbox.DefaultAccounts()[:3]
	var users []sandbox.User
	var accounts []sandbox.Account
	for i := 1; i <= n; i++ {
		u := sandbox.User{ID: fmt.Sprintf("bench%02d", i), Password: "Ferry#Bench2026"}
		for j, a := range defaults {
			a.ID = fmt.Sprintf("62220290%02d%06d", i, j+1)
			accounts = append(accounts, a)
			u.Accounts = append(u.Accounts, a.ID)
		}
		users = append(users, u)
	}
	return users, accounts
}

func newRig(tb testing.TB, o rigOptions) *rig {
	tb.Helper()
	ctx := context.Background()
	if o.users == 0 {
		o.users = max(4, 2*o.workers)
	}
	users, accounts := benchUsers(o.users)
	bank := sandbox.New(sandbox.Options{Seed: 10, Users: users, Accounts: accounts})
	base, stopBank, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stopBank)
	creds := runner.StaticCredentials{}
	var logins []string
	first := map[string]string{}
	for _, u := range users {
		name := "demobank-" + u.ID
		creds[name] = ferry.Credential{Name: name, Fields: map[string]string{"user": u.ID, "password": u.Password}}
		logins = append(logins, name)
		first[name] = u.Accounts[0]
	}
	dir := tb.TempDir()
	dsn := filepath.Join(dir, "ferry.db")
	if o.postgres {
		dsn = pg.Database(tb)
	}
	db, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	log := zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.WarnLevel)
	browser, err := bots.Launch(ctx, bots.BrowserOptions{Logger: log})
	if errors.Is(err, bots.ErrNoBrowser) {
		testenv.Missing(tb, "the benchmarks need Chromium (Debian package chromium): %v", err)
	}
	if err != nil {
		tb.Fatalf("launch Chromium: %v", err)
	}
	tb.Cleanup(func() { _ = browser.Close() })
	cfg := runner.Config{DB: db, Browser: browser, Sites: map[string]string{"demobank": base}, Credentials: creds,
		Sinks:   []delivery.Sink{&delivery.JSONLines{Path: filepath.Join(dir, "records.jsonl")}},
		Workers: o.workers, RetryBase: time.Second, StepTimeout: 30 * time.Second, Logger: log,
		// Catch-up is for slots missed while no process was leader; here
		// one process leads throughout, and an `@every` schedule has no
		// fixed slots for catch-up to compare with.
		CatchUpEvery: 24 * time.Hour,
		OnStep:       o.onStep}
	if o.schedules != nil {
		cfg.Schedules = o.schedules(logins)
	}
	r, err := runner.New(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	g := &rig{tb: tb, bank: bank, browser: browser, db: db, r: r, logins: logins, first: first, one: o.oneAccount}
	tb.Cleanup(g.stop)
	return g
}

// stop stops the runner, giving runs in flight 30 s.
func (g *rig) stop() {
	if g.stopped {
		return
	}
	g.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = g.r.Stop(ctx)
}

// months is how many whole months the sandbox has statements for before
// the runs' period (2025-01 to 2026-10).
const months = 22

// enqueue queues n runs, each for the next login in turn and, once every
// login has had one, the next month: every run has a period of its own,
// so every run stores new lines and delivers them, as a nightly run does.
func (g *rig) enqueue(n int) []int64 {
	g.tb.Helper()
	ctx := context.Background()
	ids := make([]int64, 0, n)
	for range n {
		k := g.next
		g.next++
		login := g.logins[k%len(g.logins)]
		m := k / len(g.logins)
		if m >= months {
			g.tb.Fatalf("out of periods: %d runs for %d logins", g.next, len(g.logins))
		}
		// time.Date normalises month 13 to January of the next year.
		first := time.Date(2025, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC)
		from, to := ferry.DateOf(first), ferry.DateOf(first.AddDate(0, 1, -1))
		p := ferry.RunParams{From: from, To: to}
		if g.one {
			p.Accounts = []string{g.first[login]}
		}
		id, err := g.r.Enqueue(ctx, runner.Request{Bot: bot, Login: login, Params: p})
		if err != nil {
			g.tb.Fatalf("enqueue run %d: %v", k, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// ended reports whether a run's status is final.
func ended(s ferry.RunStatus) bool {
	return s == ferry.RunSucceeded || s == ferry.RunFailed || s == ferry.RunHeld
}

// finished returns the runs among ids that have ended, in the order they
// finished.
func (g *rig) finished(ids []int64) []ferry.RunRecord {
	g.tb.Helper()
	runs, err := g.db.Runs(context.Background(), g.next+100)
	if err != nil {
		g.tb.Fatal(err)
	}
	var out []ferry.RunRecord
	for _, r := range runs {
		if slices.Contains(ids, r.ID) && ended(r.Status) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ferry.RunRecord) int { return a.FinishedAt.Compare(b.FinishedAt) })
	return out
}

// waitFinished polls until at least n of ids have ended (every 250 ms,
// for at most limit) and returns the ended runs in finishing order. A run
// that did not succeed fails tb unless tolerate is set.
func (g *rig) waitFinished(ids []int64, n int, limit time.Duration) []ferry.RunRecord {
	g.tb.Helper()
	return g.waitEnded(ids, n, limit, false)
}

// waitEnded is waitFinished; with tolerate, failed runs are returned
// like the others, for the caller to count.
func (g *rig) waitEnded(ids []int64, n int, limit time.Duration, tolerate bool) []ferry.RunRecord {
	g.tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		done := g.finished(ids)
		for _, r := range done {
			if r.Status != ferry.RunSucceeded && !tolerate {
				g.tb.Fatalf("run %d (%s, %s to %s): %s %s: %s", r.ID, r.Login, r.Params.From, r.Params.To, r.Status, r.Class, r.Error)
			}
		}
		if len(done) >= n {
			return done
		}
		if time.Now().After(deadline) {
			g.tb.Fatalf("%d of %d runs ended after %s", len(done), n, limit)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// stepCounter counts the steps of each run by action, from OnStep.
type stepCounter struct {
	mu sync.Mutex
	n  map[int64]map[string]int
}

func (c *stepCounter) onStep(runID int64, s ferry.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[int64]map[string]int{}
	}
	if c.n[runID] == nil {
		c.n[runID] = map[string]int{}
	}
	c.n[runID][s.Action]++
}

// count is how many steps of action run id has ended.
func (c *stepCounter) count(id int64, action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id][action]
}

// median of xs (sorted in place); 0 for none.
func median(xs []float64) float64 {
	return quantile(xs, 0.5)
}

// quantile is the q-quantile of xs by linear interpolation between the
// closest ranks (xs is sorted in place); 0 for none.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	lo := int(pos)
	if lo+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[lo] + (pos-float64(lo))*(xs[lo+1]-xs[lo])
}
