package bots_test

import (
	"context"
	"fmt"

	"github.com/ferry-rpa/ferry"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/selectors"
)

// fragileSelectors keeps one way per element, its #id (as careless
// recorders write), so that renaming an id breaks the element and the
// healer has to find it.
func fragileSelectors(t *testing.T) []byte {
	t.Helper()
	f := version1Selectors(t)
	var b strings.Builder
	b.WriteString("site: demobank\nversion: 1\nelements:\n")
	names := make([]string, 0, len(f.Elements))
	for n := range f.Elements {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		el := f.Elements[n]
		w := el.Ways[0]
		for _, x := range el.Ways {
			if x.Kind == selectors.ByCSS && strings.HasPrefix(x.Value, "#") {
				w = x
				break
			}
		}
		fmt.Fprintf(&b, "  %s:\n", n)
		if el.Many {
			b.WriteString("    many: true\n")
		}
		fmt.Fprintf(&b, "    ways:\n      - %s: %q\n", w.Kind, w.Value)
		if w.Name != "" {
			fmt.Fprintf(&b, "        name: %q\n", w.Name)
		}
	}
	return []byte(b.String())
}

func parseSel(t *testing.T, src []byte) *selectors.File {
	t.Helper()
	f, err := selectors.Parse("fragile.yaml", src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return f
}

// The healer's accuracy where it has to heal: one-way selectors, each
// element's id renamed in turn. Read-only steps use a heal in the run;
// otherwise the proposals are applied and the bot runs again. A heal is
// correct when the run then succeeds and the sandbox saw exactly the
// actions of an unmutated run (so no heal ever pointed at a wrong element).
func TestHealerAccuracyOnRenamedIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bot twice per mutation")
	}
	// Not parallel: it runs many browsers itself; alone it is faster and steadier.
	src := fragileSelectors(t)
	clean := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, clean)
	j := shortJob(t, base)
	j.Selectors = parseSel(t, src)
	res, err := browser.Run(context.Background(), j)
	if err != nil {
		t.Fatalf("clean run with one-way selectors: %v", err)
	}
	fps := res.Fingerprints
	time.Sleep(300 * time.Millisecond)
	baseline := sandbox.Actions(clean.Events())
	var muts []sandbox.Mutation
	for _, m := range sandbox.Mutations(touched) {
		if m.Kind == sandbox.MutRenameID {
			muts = append(muts, m)
		}
	}
	out := make([]healOutcome, len(muts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, m := range muts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// A run that fails for another reason than a selector (a slow
			// machine) says nothing about the healer: try the scenario again.
			for try := 0; try < 3; try++ {
				o, inconclusive := healScenario(t, m, src, fps, baseline)
				out[i] = o
				if !inconclusive {
					return
				}
			}
		}()
	}
	wg.Wait()
	needed, made, right, survived, inconclusive := 0, 0, 0, 0, 0
	for _, o := range out {
		t.Logf("%s: heals %d, run ok %v %s", o.m, o.made, o.ok, o.detail)
		if strings.HasPrefix(o.detail, "inconclusive") {
			inconclusive++
			continue
		}
		needed += o.needed
		made += o.made
		right += o.right
		if o.ok {
			survived++
		}
		if strings.HasPrefix(o.detail, "actions differ") {
			t.Errorf("%s: a heal led the bot to a wrong element: %s", o.m, o.detail)
		}
	}
	if inconclusive > len(out)/3 {
		t.Fatalf("%d of %d scenarios inconclusive (the machine is too slow for this test)", inconclusive, len(out))
	}
	t.Logf("renamed ids: %d mutations (%d inconclusive), %d needed healing, %d heals made, %d correct; %d runs ended successful", len(out), inconclusive, needed, made, right, survived)
	if made == 0 || right < made {
		t.Fatalf("healer accuracy %d/%d", right, made)
	}
}

type healOutcome struct {
	m                   sandbox.Mutation
	needed, made, right int
	ok                  bool
	detail              string
}

// healScenario runs the bot on a mutated bank, applying accepted heals and
// running again, up to three runs. The outcome is inconclusive when the
// last run failed for another reason than a changed site.
func healScenario(t *testing.T, m sandbox.Mutation, src []byte, fps map[string]bots.Fingerprint, baseline []string) (healOutcome, bool) {
	o := healOutcome{m: m}
	file := src
	for attempt := 0; attempt < 3; attempt++ {
		bank := sandbox.New(sandbox.Options{Seed: 11})
		bank.Set(func(s *sandbox.Switches) { s.Mutation = &m })
		b := serve(t, bank)
		j := shortJob(t, b)
		j.Selectors = parseSel(t, file)
		j.Fingerprints = fps
		j.StepTimeout = 5 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		res, err := browser.Run(ctx, j)
		cancel()
		time.Sleep(300 * time.Millisecond)
		acts := sandbox.Actions(bank.Events())
		// Whatever happened, the bot must not have acted off the
		// unmutated run's path.
		for k := 0; k < len(acts); k++ {
			if k >= len(baseline) || acts[k] != baseline[k] {
				o.detail = "actions differ: " + strings.Join(acts, ", ")
				return o, false
			}
		}
		var accepted []bots.Heal
		for _, h := range res.Heals {
			if h.Accepted {
				accepted = append(accepted, h)
			}
		}
		o.made += len(accepted)
		if len(res.Heals) > 0 {
			o.needed = 1
		}
		if err == nil {
			o.ok = len(acts) == len(baseline)
			if o.ok {
				o.right = o.made
			} else {
				o.detail = "actions differ: " + strings.Join(acts, ", ")
			}
			return o, false
		}
		if ferry.ClassOf(err) != ferry.ClassSiteChanged {
			o.detail = "inconclusive: " + err.Error()
			return o, true
		}
		if len(accepted) == 0 {
			o.detail = err.Error()
			return o, false
		}
		for _, h := range accepted {
			if h.Used {
				continue
			}
			if edited, err := selectors.PrependWay(file, h.Element, h.Variant, h.Ways[0]); err == nil {
				file = edited
			}
		}
	}
	return o, false
}

// Fingerprints seeded from the selector file's own ways on known-good
// pages (a canary run of the bot, or one live page) give the healer its
// references: the first broken run, with no earlier successful run, still
// gets a proposal.
func TestSeededFingerprintsGiveFirstBrokenRunProposals(t *testing.T) {
	t.Parallel()
	src := fragileSelectors(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clean := serve(t, sandbox.New(sandbox.Options{Seed: 11}))
	j := shortJob(t, clean)
	j.Selectors = parseSel(t, src)
	j.StepTimeout = 20 * time.Second
	seeded, err := browser.Seed(ctx, j)
	if err != nil {
		t.Fatalf("seed run: %v", err)
	}
	for _, name := range []string{"login.user", "login.submit", "statement.search", "statement.download_csv"} {
		if _, ok := seeded[bots.FingerprintKey(name, "")]; !ok {
			t.Errorf("the seed run did not fingerprint %s (it has %d)", name, len(seeded))
		}
	}
	page, err := browser.SeedPage(ctx, parseSel(t, src), clean+"/login", "", "")
	if err != nil {
		t.Fatalf("seed the login page: %v", err)
	}
	if fp, ok := page[bots.FingerprintKey("login.user", "")]; !ok || fp.Page != "/login" {
		t.Fatalf("the login page seed: %+v", page)
	}

	broken := func(fps map[string]bots.Fingerprint) *bots.Heal {
		bank := sandbox.New(sandbox.Options{Seed: 11})
		bank.Set(func(s *sandbox.Switches) {
			s.Mutation = &sandbox.Mutation{Kind: sandbox.MutRenameID, Target: "login.user"}
		})
		j := shortJob(t, serve(t, bank))
		j.Selectors = parseSel(t, src)
		j.Fingerprints = fps
		j.StepTimeout = 5 * time.Second
		res, err := browser.Run(ctx, j)
		if ferry.ClassOf(err) != ferry.ClassSiteChanged {
			t.Fatalf("renamed login.user: got %v, want site_changed", err)
		}
		for _, h := range res.Heals {
			if h.Element == "login.user" {
				return &h
			}
		}
		return nil
	}
	if h := broken(nil); h != nil {
		t.Fatalf("a heal without fingerprints: %+v", h.Ways)
	}
	for name, fps := range map[string]map[string]bots.Fingerprint{"canary seed": seeded, "page seed": page} {
		h := broken(fps)
		if h == nil {
			t.Fatalf("%s: no proposal for the renamed login.user", name)
		}
		if !h.Accepted || len(h.Ways) == 0 {
			t.Fatalf("%s: proposal for the renamed login.user not accepted: score %.2f, runner-up %.2f, %s", name, h.Score, h.RunnerUp, h.Reason)
		}
	}
}
