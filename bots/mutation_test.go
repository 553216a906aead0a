package bots_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/selectors"
)

// touched are the elements the short statement run acts on or reads.
var touched = []string{"login.user", "login.password", "login.submit", "accounts.title", "nav.statements",
	"statement.account", "statement.from", "statement.to", "statement.search", "statement.spinner", "statement.results",
	"statement.next_page", "statement.download_xlsx", "statement.download_csv", "statement.download_pdf"}

// actions runs the short job against a fresh bank with one mutation and
// returns the run's error and what the sandbox saw the bot do.
func mutatedRun(t *testing.T, m *sandbox.Mutation) (*bots.Result, error, []string) {
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Mutation = m })
	base := serve(t, bank)
	j := shortJob(t, base)
	// Generous: under a loaded CI machine a PDF can take seconds to come;
	// only a failing lookup ever waits this long.
	j.StepTimeout = 8 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, j)
	time.Sleep(300 * time.Millisecond) // beacons are asynchronous
	return res, err, sandbox.Actions(bank.Events())
}

// Mutation survival: single changes to the pages, one at a time, with the
// selector files unchanged. At least 90 % of runs must still succeed, and
// no run may ever act on a wrong element: the sandbox's record of what the
// bot clicked and typed must equal an unmutated run's, or, for a run that
// failed, be a prefix of it.
func TestMutationSurvival(t *testing.T) {
	if testing.Short() {
		t.Skip("mutation survival runs the bot once per mutation")
	}
	// Not parallel: it runs many browsers itself; alone it is faster and steadier.
	_, err, baseline := mutatedRun(t, nil)
	if err != nil {
		t.Fatalf("unmutated run: %v", err)
	}
	muts := sandbox.Mutations(touched)
	if len(muts) < 50 {
		t.Fatalf("only %d mutations generated, want at least 50", len(muts))
	}
	type outcome struct {
		m     sandbox.Mutation
		err   error
		wrong string
	}
	results := make([]outcome, len(muts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, m := range muts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err, acts := mutatedRun(t, &m)
			o := outcome{m: m, err: err}
			n := len(acts)
			if err == nil && n != len(baseline) {
				o.wrong = "a successful run did something else: " + strings.Join(acts, ", ")
			}
			for k := 0; k < n && k < len(baseline); k++ {
				if acts[k] != baseline[k] {
					o.wrong = "action " + acts[k] + " where the unmutated run did " + baseline[k]
					break
				}
			}
			if n > len(baseline) {
				o.wrong = "more actions than the unmutated run: " + strings.Join(acts, ", ")
			}
			results[i] = o
		}()
	}
	wg.Wait()
	survived := 0
	for _, o := range results {
		if o.wrong != "" {
			t.Errorf("%s: acted on a wrong element: %s", o.m, o.wrong)
		}
		if o.err == nil {
			survived++
		} else {
			t.Logf("%s: run failed: %v", o.m, o.err)
		}
	}
	rate := float64(survived) / float64(len(results))
	t.Logf("unmutated run's actions: %s", strings.Join(baseline, ", "))
	t.Logf("mutation survival: %d of %d runs succeeded (%.1f%%)", survived, len(results), 100*rate)
	if rate < 0.9 {
		t.Errorf("survival %.1f%% is under the 90%% target", 100*rate)
	}
}

// The oracle the survival test relies on can tell a wrong element: a
// selector file that finds the password field for the user field is
// caught by its record of actions.
func TestEventOracleCatchesAWrongElement(t *testing.T) {
	t.Parallel()
	_, err, baseline := mutatedRun(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	j := shortJob(t, base)
	j.StepTimeout = 8 * time.Second
	sel := *j.Selectors
	sel.Elements = map[string]selectors.Element{}
	for k, v := range j.Selectors.Elements {
		sel.Elements[k] = v
	}
	sel.Elements["login.user"] = selectors.Element{Name: "login.user", Ways: []selectors.Way{{Kind: selectors.ByCSS, Value: "#password"}}}
	j.Selectors = &sel
	_, _ = browser.Run(context.Background(), j)
	time.Sleep(300 * time.Millisecond)
	acts := sandbox.Actions(bank.Events())
	if len(acts) == 0 || acts[0] != "type login.password" || baseline[0] != "type login.user" {
		t.Fatalf("the oracle did not see the wrong field: baseline %v, got %v", baseline, acts)
	}
}

// When a primary way stops matching, the run still succeeds on a later
// way and its trace says so: rot shows before every way fails.
func TestFallbackWayIsMarked(t *testing.T) {
	t.Parallel()
	res, err, _ := mutatedRun(t, &sandbox.Mutation{Kind: sandbox.MutChangeText, Target: "login.user"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Trace {
		if s.Element == "login.user" {
			if !strings.Contains(s.Way, "(fallback: way 2 of 3)") {
				t.Fatalf("login.user found by %q, want a marked fallback", s.Way)
			}
			return
		}
	}
	t.Fatal("no login.user step in the trace")
}
