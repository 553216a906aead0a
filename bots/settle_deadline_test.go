package bots_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// A click whose mousedown opens a confirm() dialog blocks the page's
// renderer. Every CDP call of the step carries the step's deadline, so the
// run ends soon after it, not when the run's own context ends (rod's
// Element.Click sent its mouse events with no deadline at all).
func TestBlockedClickEndsAtTheStepDeadline(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head><title>blocking</title></head><body>
<button id="go" onmousedown="confirm('Really?')">Go</button><p id="done" hidden>done</p></body></html>`))
	}))
	t.Cleanup(srv.Close)
	sel, err := selectors.Parse("block.yaml", []byte("site: block\nversion: 1\nelements:\n  go: {ways: [{css: \"#go\"}]}\n  done: {ways: [{css: \"#done\"}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scripts.Parse("block.yaml", []byte("bot: block\nsite: block\nsteps:\n  - open: \"${site.url}/\"\n  - click: go\n  - wait: done\n"), sel)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	_, err = browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: srv.URL, StepTimeout: 20 * time.Second,
		Credential: ferry.Credential{Name: "block", Fields: map[string]string{}}, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	took := time.Since(started)
	t.Logf("run ended after %s: %v", took.Round(time.Millisecond), err)
	if ctx.Err() != nil || took > 2*time.Minute {
		t.Fatalf("the run outlived its steps' deadlines: %s", took)
	}
}
