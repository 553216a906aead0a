package bots_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// TestDownloadWhileAnotherRunEndsItsDownload: two runs share the browser
// (and its one DevTools connection). Run A's download step ends while run
// B's file is still on its way; B's file must still arrive. Ending a
// step once switched the browser's download events off for the whole
// connection, so B waited for events that never came ("no file arrived").
func TestDownloadWhileAnotherRunEndsItsDownload(t *testing.T) {
	asked := make(chan struct{})   // B's download request reached the site
	release := make(chan struct{}) // A is done: B's file may be sent
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<a id="a" href="/a.csv">A</a> <a id="b" href="/b.csv">B</a>`)
	})
	serve := func(w http.ResponseWriter, name string) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_, _ = w.Write([]byte(dlCSV))
	}
	mux.HandleFunc("/a.csv", func(w http.ResponseWriter, r *http.Request) { serve(w, "a.csv") })
	mux.HandleFunc("/b.csv", func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		serve(w, "b.csv")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	const sel = "site: dl2\nversion: 1\nelements:\n  a: {ways: [{css: \"#a\"}]}\n  b: {ways: [{css: \"#b\"}]}\n"
	run := func(link string) (*bots.Result, error) {
		s, selFile := parseScript(t, "dl2.yaml", sel, "dl2-"+link+".yaml",
			"bot: dl2-"+link+"\nsite: dl2\nsteps:\n  - open: ${site.url}/\n  - download: "+link+"\n    as: file\n    format: csv\n")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ctx = bots.WithDownloadOptions(ctx, bots.DownloadOptions{Dir: t.TempDir(), Max: dlCap})
		return browser.Run(ctx, bots.Job{Script: s, Selectors: selFile, BaseURL: srv.URL, StepTimeout: 45 * time.Second,
			Params: ferry.RunParams{}, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	}
	type outcome struct {
		res *bots.Result
		err error
	}
	bDone := make(chan outcome, 1)
	go func() {
		res, err := run("b")
		bDone <- outcome{res, err}
	}()
	select {
	case <-asked:
	case o := <-bDone:
		t.Fatalf("run B ended before its download was asked for: %v", o.err)
	case <-time.After(90 * time.Second):
		t.Fatal("run B never asked for its file")
	}
	// A downloads and ends its step while B's response is held.
	resA, err := run("a")
	if err != nil {
		close(release)
		t.Fatalf("run A: %v", err)
	}
	if len(resA.Downloads) != 1 || resA.Downloads[0].Name != "a.csv" {
		close(release)
		t.Fatalf("run A downloads: %+v", resA.Downloads)
	}
	close(release)
	o := <-bDone
	if o.err != nil {
		t.Fatalf("run B, after run A's download step ended: %v", o.err)
	}
	if len(o.res.Downloads) != 1 || o.res.Downloads[0].Name != "b.csv" || string(o.res.Downloads[0].Data) != dlCSV {
		t.Fatalf("run B downloads: %+v", o.res.Downloads)
	}
}
