package bots_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/selectors"
)

// shortJob is one account over three days: one page of results.
func shortJob(t testing.TB, base string) bots.Job {
	j := job(t, base, sandbox.DefaultUsers()[0], "6222021000010001")
	j.Params.From, j.Params.To = ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 3)
	return j
}

func version1Selectors(t testing.TB) *selectors.File {
	t.Helper()
	data, err := os.ReadFile("testdata/demobank-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := selectors.Parse("demobank-v1.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func dismissed(res *bots.Result) bool {
	for _, s := range res.Trace {
		if s.Action == "click" && strings.HasPrefix(s.Element, "consent.") {
			return true
		}
	}
	return false
}

// Version 2 of the bank, with the shipped selector file (variants for both
// versions): the run succeeds, the cookie banner is clicked away, and the
// sandbox saw the bot act only on the elements it meant to.
func TestRedesignWithVariants(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Redesign = true })
	base := serve(t, bank)
	res, err := browser.Run(context.Background(), shortJob(t, base))
	if err != nil {
		t.Fatalf("run on version 2: %v", err)
	}
	if len(res.Downloads) != 3 || !dismissed(res) {
		t.Fatalf("%d downloads, banner dismissed %v", len(res.Downloads), dismissed(res))
	}
	time.Sleep(300 * time.Millisecond) // beacons are asynchronous
	acts := strings.Join(sandbox.Actions(bank.Events()), ", ")
	for _, want := range []string{"click consent.accept", "type login.user", "type login.password", "click login.submit",
		"click nav.statements", "type statement.from", "click statement.search", "click statement.download_pdf"} {
		if !strings.Contains(acts, want) {
			t.Errorf("the sandbox did not see %q; it saw: %s", want, acts)
		}
	}
	for _, step := range res.Trace {
		if step.Element == "login.user" && !strings.Contains(step.Way, "登录名") {
			t.Errorf("login.user found by %s, want the version 2 label", step.Way)
		}
	}
}

// Version 2 served to a bot that holds only version-1 selectors: the run
// fails as "site changed", naming the selector, the page and what each
// way found, with an evidence bundle.
func TestRedesignWithVersion1SelectorsIsSiteChanged(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Redesign = true })
	base := serve(t, bank)
	j := shortJob(t, base)
	j.Selectors = version1Selectors(t)
	j.StepTimeout = 5 * time.Second
	res, err := browser.Run(context.Background(), j)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged {
		t.Fatalf("got %v, want site_changed", err)
	}
	if !strings.Contains(err.Error(), `selector "login.user" on /login`) || !strings.Contains(err.Error(), `css="#user-id" matched 0`) {
		t.Fatalf("error does not name selector, page and ways: %v", err)
	}
	ev := res.Evidence
	if ev == nil || ev.Selector != "login.user" || len(ev.Screenshot) == 0 || !strings.Contains(ev.HTML, "f-login-name") {
		t.Fatalf("evidence: %+v", ev)
	}
	if bank.Stats().LoginAttempts != 0 {
		t.Fatal("the bot submitted a login form it could not read")
	}
}

// Under a 50 % rollout, 20 runs with the shipped file all succeed, and both
// versions were served.
func TestRolloutTwentyRuns(t *testing.T) {
	// Not parallel: it runs many browsers itself; alone it is faster and steadier.
	bank := sandbox.New(sandbox.Options{Seed: 5})
	bank.Set(func(s *sandbox.Switches) { s.Rollout = 0.5 })
	base := serve(t, bank)
	var mu sync.Mutex
	v2, failed := 0, 0
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			j := shortJob(t, base)
			// Three browsers at once beside the other race-built packages: a
			// 5 s step limit is a flake there (3 of 20 under CI), not a finding.
			j.StepTimeout = 30 * time.Second
			res, err := browser.Run(ctx, j)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || len(res.Downloads) != 3 {
				failed++
				t.Errorf("run failed: %v", err)
				return
			}
			if dismissed(res) {
				v2++
			}
		}()
	}
	wg.Wait()
	t.Logf("20 runs, %d on version 2, %d failed", v2, failed)
	if v2 == 0 || v2 == 20 {
		t.Fatalf("%d of 20 runs saw version 2: the rollout did not mix versions", v2)
	}
}
