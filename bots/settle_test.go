package bots_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

// runNightly runs the sandbox's nightly statement bot against bank with
// generous step limits and checks it downloaded every file.
func runNightly(t *testing.T, bank *sandbox.Bank) {
	t.Helper()
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[0]
	j := job(t, base, u)
	j.StepTimeout = 20 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, j)
	if err != nil {
		t.Fatalf("run failed (%s): %v", ferry.ClassOf(err), err)
	}
	if got, want := len(res.Downloads), 3*len(u.Accounts); got != want {
		t.Fatalf("got %d downloads, want %d", got, want)
	}
	for _, d := range res.Downloads {
		st, err := bank.Statement(d.Account, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsSeen[d.Account] != len(st.Lines) {
			t.Errorf("account %s: saw %d rows across pages, statement has %d", d.Account, res.RowsSeen[d.Account], len(st.Lines))
		}
	}
}

// The statements page's own script (its click handlers) arrives 4 s
// after the page loaded. A click before it ran would be lost, and the wait
// after it a false site_changed: the engine settles the page a click
// navigated to (load, network idle, quiet DOM) before it acts on it.
func TestLateScriptClicksAreNotLost(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.LateScript = 4 * time.Second })
	runNightly(t, bank)
}

// The statements page replaces each field and button with a fresh copy the
// first time it gets focus: the node a fill looked up is detached from the
// document when it types. The engine looks it up again through its
// selector and types into the new one.
func TestRerenderedElementIsLookedUpAgain(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Rerender = true })
	runNightly(t, bank)
}

// Both races at once, as a real single-page application has them.
func TestLateScriptAndRerender(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.LateScript = 3 * time.Second; s.Rerender = true })
	runNightly(t, bank)
}
