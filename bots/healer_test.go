package bots_test

import (
	"context"
	"fmt"
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
	t.Parallel()
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
	type outcome struct {
		m                   sandbox.Mutation
		needed, made, right int
		ok                  bool
		detail              string
	}
	out := make([]outcome, len(muts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for i, m := range muts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := outcome{m: m}
			file := src
			var last []string
			for attempt := 0; attempt < 3; attempt++ {
				bank := sandbox.New(sandbox.Options{Seed: 11})
				bank.Set(func(s *sandbox.Switches) { s.Mutation = &m })
				b := serve(t, bank)
				j := shortJob(t, b)
				j.Selectors = parseSel(t, file)
				j.Fingerprints = fps
				j.StepTimeout = 1500 * time.Millisecond
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				res, err := browser.Run(ctx, j)
				cancel()
				time.Sleep(300 * time.Millisecond)
				last = sandbox.Actions(bank.Events())
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
					o.ok = strings.Join(last, ",") == strings.Join(baseline, ",")
					if !o.ok {
						o.detail = "actions differ: " + strings.Join(last, ", ")
					}
					break
				}
				if len(accepted) == 0 {
					o.detail = err.Error()
					break
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
			if o.ok {
				o.right = o.made
			}
			out[i] = o
		}()
	}
	wg.Wait()
	needed, made, right, survived := 0, 0, 0, 0
	for _, o := range out {
		needed += o.needed
		made += o.made
		right += o.right
		if o.ok {
			survived++
		}
		if o.made > o.right {
			t.Errorf("%s: a heal led the bot wrong: %s", o.m, o.detail)
		}
		t.Logf("%s: heals %d, run ok %v %s", o.m, o.made, o.ok, o.detail)
	}
	t.Logf("renamed ids: %d mutations, %d needed healing, %d heals made, %d correct; %d runs ended successful", len(out), needed, made, right, survived)
	if made == 0 || right < made {
		t.Fatalf("healer accuracy %d/%d", right, made)
	}
}
