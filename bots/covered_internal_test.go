package bots

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

const goneSelectors = `site: gone
version: 1
elements:
  spinner: {ways: [{role: status}, {css: "#spinner"}]}
  renamed: {ways: [{css: "#old-spinner"}]}
  brief: {ways: [{css: "#brief"}]}
`

// internalRun opens path of a small site in a fresh page of its own
// browser and returns a run on it, for engine functions no script step
// reaches yet.
func internalRun(t *testing.T, body string, fps map[string]Fingerprint) *run {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>gone</title></head><body>%s</body></html>", body)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	br, err := Launch(ctx, BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = br.Close() })
	inc, done, err := br.incognito(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(done)
	page, err := inc.Page(proto.TargetCreateTarget{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	page = page.Context(ctx)
	if err := page.WaitLoad(); err != nil {
		t.Fatal(err)
	}
	sel, err := selectors.Parse("gone.yaml", []byte(goneSelectors))
	if err != nil {
		t.Fatal(err)
	}
	return &run{job: Job{Selectors: sel, Fingerprints: fps}, page: page, log: zerolog.Nop(),
		res: &Result{Fingerprints: map[string]Fingerprint{}}, vars: map[string]string{}, secret: map[string]bool{}}
}

// wait_gone on a spinner no way has ever found is a SelectorError naming
// it, not "gone"; a hidden spinner, one seen before it went, and one an
// earlier run fingerprinted are gone.
func TestWaitGoneNeverFoundIsSelectorError(t *testing.T) {
	r := internalRun(t, `<div id="spinner" role="status" hidden>Loading</div><div id="brief">working</div>
`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.waitGone(ctx, "spinner"); err != nil {
		t.Fatalf("hidden spinner: %v", err)
	}
	// Seen, then gone: a spinner this run saw has gone away.
	sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
	err := r.waitGone(sctx, "brief")
	scancel()
	var se *SelectorError
	if !errors.As(err, &se) || !se.Gone {
		t.Fatalf("brief is still there: got %v, want it never went away", err)
	}
	if _, err := r.page.Eval(`() => document.getElementById('brief').remove()`); err != nil {
		t.Fatal(err)
	}
	if err := r.waitGone(ctx, "brief"); err != nil {
		t.Fatalf("spinner that went away: %v", err)
	}
	err = r.waitGone(ctx, "renamed")
	if !errors.As(err, &se) || !se.Never || !strings.Contains(err.Error(), `selector "renamed"`) || !strings.Contains(err.Error(), "no way has ever found it") {
		t.Fatalf("renamed spinner: got %v, want a SelectorError naming it", err)
	}
	r.job.Fingerprints = map[string]Fingerprint{FingerprintKey("renamed", ""): {Element: "renamed"}}
	if err := r.waitGone(ctx, "renamed"); err != nil {
		t.Fatalf("a spinner an earlier run saw: %v", err)
	}
}

// A lookup polls under lookupContext and leaves the step's context time
// for a heal: the step's deadline has not passed when the lookup's has.
func TestLookupContextReservesTimeForTheHeal(t *testing.T) {
	for _, tc := range []struct {
		step, wantMin, wantMax time.Duration
	}{
		{15 * time.Second, 2900 * time.Millisecond, 3 * time.Second},
		{3 * time.Second, 900 * time.Millisecond, time.Second},
		{60 * time.Second, 3900 * time.Millisecond, 4 * time.Second},
		{time.Second, 400 * time.Millisecond, 500 * time.Millisecond},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), tc.step)
		lctx, lcancel := lookupContext(ctx)
		sdl, _ := ctx.Deadline()
		ldl, _ := lctx.Deadline()
		if got := sdl.Sub(ldl); got < tc.wantMin || got > tc.wantMax {
			t.Errorf("step %v: reserve %v, want %v..%v", tc.step, got, tc.wantMin, tc.wantMax)
		}
		lcancel()
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	lctx, lcancel := lookupContext(ctx)
	defer lcancel()
	<-lctx.Done()
	if ctx.Err() != nil {
		t.Fatal("the step's context ended with the lookup's: no time left to heal")
	}
	if _, ok := lookupContext(context.Background()); ok == nil {
		t.Fatal("nil cancel")
	}
}
