package bots_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// What a selector file says of its pages: settle before lookups, and a
// pager whose next control is absent by design on a single page.

// sfSelectors is the test site's selector file; %s is replaced by what
// each test adds at its top level.
const sfSelectors = `site: sf
version: 1
%s
elements:
  view.show: {ways: [{css: "#show"}]}
  export.go:
    ways: [{css: "#export"}]
  export.done: {ways: [{css: "#done"}]}
  pager.rows: {many: true, ways: [{css: "tr.row"}]}
  pager.next:
    ways: [{css: "#next"}]
    last: pager.single
  pager.single: {ways: [{css: "#single-page"}]}
`

// sfSite serves a view rendered without navigation whose export button
// gets its handler from a script that arrives late, and pagers: a single
// page that says so, and two pages whose second page's next control was
// renamed.
func sfSite(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/view", func(w http.ResponseWriter, r *http.Request) {
		// "Show" renders the export view in place (no navigation) and
		// loads the script that makes its button work: a click before
		// that script ran is silently lost, as on a real SPA.
		page(w, `<button id="show">Show</button><div id="view"></div>
<script>document.getElementById('show').onclick = () => {
  document.getElementById('view').innerHTML = '<button id="export">Export</button>';
  const s = document.createElement('script'); s.src = '/late.js'; document.body.appendChild(s);
};</script>`)
	})
	mux.HandleFunc("/late.js", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`document.getElementById('export').onclick = () => { const d = document.createElement('p'); d.id = 'done'; d.textContent = 'exported'; document.body.appendChild(d); };`))
	})
	mux.HandleFunc("/single", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<table><tr class="row"><td>1</td></tr><tr class="row"><td>2</td></tr></table><p id="single-page">Page 1 of 1</p>`)
	})
	mux.HandleFunc("/paged", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("p") == "2" {
			// The redesign renamed the next control; no marker says
			// this is the last page.
			page(w, `<table><tr class="row"><td>3</td></tr></table><button id="forward">Next</button>`)
			return
		}
		page(w, `<table><tr class="row"><td>1</td></tr><tr class="row"><td>2</td></tr></table><a id="next" href="/paged?p=2">Next</a>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runSF runs steps against sfSite with top added to the selector file.
func runSF(t *testing.T, base, top, steps string) (*bots.Result, error) {
	t.Helper()
	s, sel := parseScript(t, "sf.yaml", strings.Replace(sfSelectors, "%s", top, 1), "sf-test.yaml", "bot: sf-test\nsite: sf\nsteps:\n"+steps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 30 * time.Second,
		Logger: zerolog.New(zerolog.NewTestWriter(t))})
}

const sfExportSteps = `  - open: ${site.url}/view
  - click: view.show
  - click: export.go
  - wait: export.done
    timeout: 4s
`

// TestSelectorFileSettleBeforeLookups: a page whose button works only
// once a late script ran loses the click when the engine looks it up at
// once (no navigation happened, so nothing settles); with settle: naming
// the page in the selector file, the lookup waits for the page to settle
// and the click works.
func TestSelectorFileSettleBeforeLookups(t *testing.T) {
	t.Parallel()
	base := sfSite(t)
	if _, err := runSF(t, base, "", sfExportSteps); ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `"export.done"`) {
		t.Fatalf("without settle: got %v, want the lost click's site_changed on export.done (the site must reproduce the race)", err)
	}
	for _, top := range []string{"settle: [export]", "settle: [export.go]"} {
		res, err := runSF(t, base, top, sfExportSteps)
		if err != nil {
			t.Fatalf("%s: %v", top, err)
		}
		if w := traced(res, "wait"); len(w) != 1 {
			t.Fatalf("%s: trace %+v", top, res.Trace)
		}
	}
	// Per element, in the element itself.
	perElement := strings.Replace(sfSelectors, `    ways: [{css: "#export"}]`, `    settle: true
    ways: [{css: "#export"}]`, 1)
	s, sel := parseScript(t, "sf.yaml", strings.Replace(perElement, "%s", "", 1), "sf-test.yaml", "bot: sf-test\nsite: sf\nsteps:\n"+sfExportSteps)
	if !sel.SettleBefore("export.go") || sel.SettleBefore("export.done") {
		t.Fatalf("settle: true on export.go: SettleBefore(export.go) %v, (export.done) %v", sel.SettleBefore("export.go"), sel.SettleBefore("export.done"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 30 * time.Second,
		Logger: zerolog.New(zerolog.NewTestWriter(t))}); err != nil {
		t.Fatalf("settle: true on the element: %v", err)
	}
}

// TestPagerLastMarker: a single page that says so (the next control's
// last: element is there) ends paging at once; on a page with neither the
// next control nor the marker, a renamed next control is site_changed
// naming it.
func TestPagerLastMarker(t *testing.T) {
	t.Parallel()
	base := sfSite(t)
	started := time.Now()
	res, err := runSF(t, base, "", `  - open: ${site.url}/single
  - for_each_page:
      next: pager.next
      steps:
        - count_rows: pager.rows
    timeout: 20s
`)
	if err != nil {
		t.Fatalf("single page: %v", err)
	}
	if res.RowsSeen[""] != 2 {
		t.Fatalf("single page: saw %d rows, want 2", res.RowsSeen[""])
	}
	pg := traced(res, "for_each_page")
	if len(pg) == 0 || !strings.Contains(pg[len(pg)-1].Detail, "last page 1: pager.single is there") {
		t.Fatalf("single page: paging did not end at the marker: %+v", pg)
	}
	// The marker ends paging when seen, not when the step's time is out.
	if took := time.Since(started); took > 15*time.Second {
		t.Fatalf("single page took %s: the pager waited out its timeout", took)
	}
	res, err = runSF(t, base, "", `  - open: ${site.url}/paged
  - for_each_page:
      next: pager.next
      steps:
        - count_rows: pager.rows
    timeout: 20s
`)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `the pager's next control: selector "pager.next"`) ||
		!strings.Contains(err.Error(), `"pager.single", which marks the last page`) {
		t.Fatalf("renamed next: got %v (class %s), want site_changed naming pager.next and its marker", err, ferry.ClassOf(err))
	}
	if res != nil && res.RowsSeen[""] != 3 {
		t.Fatalf("renamed next: saw %d rows, want 3 (both pages)", res.RowsSeen[""])
	}
}
