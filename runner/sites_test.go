package runner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
)

// twoSites is a runner whose one demobank script serves two sites, each a
// sandbox bank of its own: "demobank" (the script's own) and
// "demobank-east". "demobank-zhangwei-2" is a second credential of the
// user zhangwei.
func twoSites(t *testing.T, dir string, mod func(*runner.Config)) (*env, *sandbox.Bank) {
	t.Helper()
	// The same bank data on both: the sandbox's account numbers are fixed,
	// and one account with two histories would be two bookings under one
	// bank id.
	east := sandbox.New(sandbox.Options{Seed: 5})
	eastURL, stop, err := east.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	e := setup(t, dir, sandbox.New(sandbox.Options{Seed: 5}), func(c *runner.Config) {
		c.Sites["demobank-east"] = eastURL
		cs := creds()
		zw := cs["demobank-zhangwei"]
		zw.Name = "demobank-zhangwei-2"
		cs[zw.Name] = zw
		c.Credentials = cs
		// These tests are about when runs start, not how fast a loaded
		// machine renders a page.
		c.StepTimeout = 30 * time.Second
		if mod != nil {
			mod(c)
		}
	})
	return e, east
}

// enqueue queues an ad-hoc run of the demobank script as login on site.
func (e *env) enqueue(t *testing.T, login, site string) int64 {
	t.Helper()
	id, err := e.r.Enqueue(context.Background(), runner.Request{Bot: "demobank-statements", Login: login, Site: site,
		Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitAll waits for every run to end and requires that each succeeded.
func (e *env) waitAll(t *testing.T, ids ...int64) []ferry.RunRecord {
	t.Helper()
	// Generous: the runs of one login or site run one after another, on a
	// machine that may be loaded.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out []ferry.RunRecord
	for _, id := range ids {
		run, err := e.r.Wait(ctx, id)
		if err != nil {
			t.Fatalf("run %d: %v", id, err)
		}
		if run.Status != ferry.RunSucceeded {
			t.Fatalf("run %d (%s on %s): %s/%s %s", id, run.Login, run.Site, run.Status, run.Class, run.Error)
		}
		out = append(out, run)
	}
	return out
}

// attempts are the times each attempt of run id was logged in, from its
// first step's start to its last step's end, as the store has them: a run
// that failed and was retried is not logged in while it waits.
func (e *env) attempts(t *testing.T, id int64) [][2]time.Time {
	t.Helper()
	steps, nums, err := e.db.Steps(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]time.Time
	for i, s := range steps {
		end := s.Started.Add(s.Duration)
		if i == 0 || nums[i] != nums[i-1] {
			out = append(out, [2]time.Time{s.Started, end})
			continue
		}
		last := &out[len(out)-1]
		if s.Started.Before(last[0]) {
			last[0] = s.Started
		}
		if end.After(last[1]) {
			last[1] = end
		}
	}
	if len(out) == 0 {
		t.Fatalf("run %d stored no steps", id)
	}
	return out
}

// overlap reports whether two runs were ever logged in at the same time,
// and when.
func (e *env) overlap(t *testing.T, a, b int64) (bool, string) {
	t.Helper()
	for _, x := range e.attempts(t, a) {
		for _, y := range e.attempts(t, b) {
			if x[0].Before(y[1]) && y[0].Before(x[1]) {
				f := "15:04:05.000"
				return true, fmt.Sprintf("run %d %s–%s and run %d %s–%s", a, x[0].Format(f), x[1].Format(f), b, y[0].Format(f), y[1].Format(f))
			}
		}
	}
	return false, ""
}

// A login is the site and the user the credential logs in as: two
// credentials of one user on one site never run at once, while the same
// user runs on two sites at once. One script serves both sites, each
// run's site is stored, and each bank sees its own logins.
func TestLoginIsSiteAndUser(t *testing.T) {
	t.Parallel()
	// The first run to reach a step on each site waits there until a run
	// of the other site has reached one: both sites' runs are logged in at
	// once, or the barrier times out and the test fails.
	arrived := map[string]chan struct{}{"demobank": make(chan struct{}), "demobank-east": make(chan struct{})}
	var once [2]sync.Once
	siteOf := sync.Map{} // run id → site
	barrier := func(runID int64, _ ferry.Step) {
		site, ok := siteOf.Load(runID)
		if !ok {
			return
		}
		i, other := 0, "demobank-east"
		if site == "demobank-east" {
			i, other = 1, "demobank"
		}
		once[i].Do(func() {
			close(arrived[site.(string)])
			select {
			case <-arrived[other]:
			case <-time.After(2 * time.Minute):
				t.Errorf("a run on %s waited 2 minutes for a run of the same user on %s to be logged in at the same time", site, other)
			}
		})
	}
	e, east := twoSites(t, t.TempDir(), func(c *runner.Config) {
		c.Workers = 3
		c.OnStep = barrier
	})
	a := e.enqueue(t, "demobank-zhangwei", "")
	b := e.enqueue(t, "demobank-zhangwei-2", "demobank")
	c := e.enqueue(t, "demobank-zhangwei", "demobank-east")
	siteOf.Store(a, "demobank")
	siteOf.Store(b, "demobank")
	siteOf.Store(c, "demobank-east")
	runs := e.waitAll(t, a, b, c)
	if both, when := e.overlap(t, a, b); both {
		t.Fatalf("two credentials of one user on one site were logged in at once: %s", when)
	}
	for i, want := range []string{"demobank", "demobank", "demobank-east"} {
		if runs[i].Site != want {
			t.Errorf("run %d: site %q stored, want %q", runs[i].ID, runs[i].Site, want)
		}
	}
	if n := east.Stats().LoginAttempts; n < 1 {
		t.Errorf("the east bank saw %d logins, want its run's", n)
	}
	if n := e.bank.Stats().LoginAttempts; n < 2 {
		t.Errorf("the first bank saw %d logins, want its two runs'", n)
	}
}

// Per-site limits hold on a shared database (PostgreSQL): with
// max_concurrent 1 two users of one site run one after the other; with a
// minimum interval, the second login starts that long after the first
// (start times as the store recorded them), while the runs may overlap.
func TestSiteLimitsHold(t *testing.T) {
	t.Parallel()
	const interval = 4 * time.Second
	e, _ := twoSites(t, pg.Database(t), func(c *runner.Config) {
		c.Workers = 4
		c.SiteLimits = map[string]ferry.SiteLimits{
			"demobank":      {MaxConcurrent: 1},
			"demobank-east": {MinInterval: interval},
		}
	})
	ids := []int64{
		e.enqueue(t, "demobank-zhangwei", "demobank"), e.enqueue(t, "demobank-lina", "demobank"),
		e.enqueue(t, "demobank-zhangwei", "demobank-east"), e.enqueue(t, "demobank-lina", "demobank-east"),
	}
	runs := e.waitAll(t, ids...)
	if both, when := e.overlap(t, ids[0], ids[1]); both {
		t.Fatalf("max_concurrent 1: two runs logged in to one site at once: %s", when)
	}
	// Each run's StartedAt is its first login (BeginRun's time).
	gap := runs[3].StartedAt.Sub(runs[2].StartedAt).Abs()
	if gap < interval {
		t.Fatalf("min_interval %s: logins %s apart (runs %d at %s, %d at %s)", interval, gap, ids[2], runs[2].StartedAt, ids[3], runs[3].StartedAt)
	}
}
