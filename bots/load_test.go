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

// A page whose scripts make its load event circular (as some libraries'
// handlers do by keeping a reference to the event on it): open must still
// wait for the load and go on. rod's WaitLoad returned the event by value
// and failed with "Object reference chain is too long" (go-rod PR #1150).
func TestOpenSurvivesACircularLoadEvent(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		// Holds the load event back until the engine is waiting for it.
		time.Sleep(700 * time.Millisecond)
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte{})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head><title>circular</title>
<script>
addEventListener('load', function (e) { e.self = e; e.chain = {event: e}; document.getElementById('state').textContent = 'loaded'; });
</script></head><body><h1 id="state">loading</h1><img src="/slow.png"></body></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sel, err := selectors.Parse("circ.yaml", []byte("site: circ\nversion: 1\nelements:\n  state: {ways: [{css: \"#state\"}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scripts.Parse("circ.yaml", []byte(`bot: circ
site: circ
steps:
  - open: "${site.url}/"
  - extract: state
    into: state
`), sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		res, err := browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: srv.URL, StepTimeout: 20 * time.Second,
			Credential: ferry.Credential{Name: "circ", Fields: map[string]string{}}, Logger: zerolog.New(zerolog.NewTestWriter(t))})
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if ex := traced(res, "extract"); len(ex) != 1 || ex[0].Detail != `var.state = "loaded" (from its text)` {
			t.Fatalf("run %d: open returned before the load event: %+v", i, ex)
		}
	}
}
