package bots_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// langSelectors names the elements of langSite's pages.
const langSelectors = `site: lang
version: 1
elements:
  pay.frame: {ways: [{css: "iframe#pay"}]}
  pay.card: {ways: [{css: "#card"}]}
  pay.submit: {ways: [{role: button, name: Pay}]}
  pay.done: {ways: [{css: "#done"}]}
  statements.section: {ways: [{css: "#statements"}]}
  export.link: {ways: [{role: link, name: Export}]}
  search.q: {ways: [{css: "input[name=q]"}]}
  ref.code: {ways: [{css: "#code"}]}
  echo: {ways: [{css: "#echo"}]}
  secret.field: {ways: [{css: "#secret"}]}
  more.button: {ways: [{css: "#more"}]}
  more.items: {many: true, ways: [{css: "li.item"}]}
  end.marker: {ways: [{css: "#end"}]}
  banner.close: {ways: [{css: "#banner-close"}]}
  page.title: {ways: [{css: "h1"}]}
  data.cell: {ways: [{css: "#cell"}]}
`

const testPassword = "s3cr3t-Pa55"

// langSite is a small site whose pages each exercise one step of the
// script language; it records what the bot submitted.
type langSite struct {
	mu   sync.Mutex
	seen []string // "path?query" of every request
	hits map[string]int
}

func (s *langSite) record(r *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hits == nil {
		s.hits = map[string]int{}
	}
	s.seen = append(s.seen, r.URL.RequestURI())
	s.hits[r.URL.Path]++
	return s.hits[r.URL.Path]
}

func (s *langSite) saw(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.seen {
		if x == uri {
			return true
		}
	}
	return false
}

func (s *langSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func page(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html><head><title>lang</title></head><body>%s</body></html>", body)
}

func (s *langSite) serve(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		// A decoy #card outside the frame: an unscoped lookup fills it.
		page(w, `<h1>Checkout</h1><input id="card" placeholder="decoy"><iframe id="pay" src="/inner" width="400" height="200"></iframe>`)
	})
	mux.HandleFunc("/inner", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<form action="/paid" method="get"><input id="card" name="card"><button type="submit">Pay</button></form>`)
	})
	mux.HandleFunc("/paid", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<p id="done">paid</p>`)
	})
	mux.HandleFunc("/scoped", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<h1>Exports</h1>
<section id="invoices"><h2>Invoices</h2><a href="/export?kind=invoices">Export</a></section>
<section id="statements"><h2>Statements</h2><a href="/export?kind=statements">Export</a></section>`)
	})
	mux.HandleFunc("/export", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<h1>Exported</h1>`)
	})
	mux.HandleFunc("/form", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		// The page copies what is typed into its text, as React-style
		// forms do: an extract must never carry the password out.
		page(w, `<p id="code">Ref: AB-1234 (copy this)</p>
<form action="/result" method="get"><input name="q"></form>
<input id="secret"><span id="echo"></span>
<script>document.getElementById('secret').addEventListener('input', (e) => { document.getElementById('echo').textContent = 'typed ' + e.target.value; });</script>`)
	})
	mux.HandleFunc("/result", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<h1>Results for `+htmlEscape(r.URL.Query().Get("q"))+`</h1>`)
	})
	mux.HandleFunc("/more", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<ul id="list"></ul><button id="more">Load more</button>
<script>
let n = 0;
const endless = location.search.includes('endless');
document.getElementById('more').onclick = () => {
  n++;
  const li = document.createElement('li'); li.className = 'item'; li.textContent = 'item ' + n;
  document.getElementById('list').appendChild(li);
  if (n >= 3 && !endless) document.getElementById('more').remove();
};
</script>`)
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if s.record(r) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		page(w, `<h1>Flaky ok</h1>`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		page(w, `<p id="cell">loading</p>
<script>fetch('/data').then((r) => r.text()).then((t) => { document.getElementById('cell').textContent = t; });</script>`)
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		// Slower than wait_idle's quiet time: only a count of the requests
		// in flight, not a quiet spell, can tell the page is not done.
		select {
		case <-time.After(900 * time.Millisecond):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "loaded")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// parseScript parses a test site's selector file and a script of it,
// failing the test on either error.
func parseScript(t *testing.T, selName, selText, scriptName, src string) (*scripts.Script, *selectors.File) {
	t.Helper()
	sel, err := selectors.Parse(selName, []byte(selText))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scripts.Parse(scriptName, []byte(src), sel)
	if err != nil {
		t.Fatal(err)
	}
	return s, sel
}

// runLang parses the steps as a script of the lang site and runs it.
func runLang(t *testing.T, base, params, steps string, values map[string]string) (*bots.Result, error) {
	t.Helper()
	s, sel := parseScript(t, "lang.yaml", langSelectors, "lang-test.yaml", "bot: lang-test\nsite: lang\n"+params+"steps:\n"+steps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 10 * time.Second,
		Params:     ferry.RunParams{Values: values},
		Credential: ferry.Credential{Name: "lang", Fields: map[string]string{"user": "ops", "password": testPassword}},
		Logger:     zerolog.New(zerolog.NewTestWriter(t))})
}

// traced returns the trace's steps of an action.
func traced(res *bots.Result, action string) []ferry.Step {
	var out []ferry.Step
	for _, s := range res.Trace {
		if s.Action == action {
			out = append(out, s)
		}
	}
	return out
}

func noSecretInTrace(t *testing.T, res *bots.Result) {
	t.Helper()
	for _, s := range res.Trace {
		if strings.Contains(s.Detail, testPassword) || strings.Contains(s.Way, testPassword) {
			t.Fatalf("password in trace: %+v", s)
		}
	}
}

func TestStepsInFrame(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/frame"
  - assert: pay.card
    frame: pay.frame
    attr: {name: card}
  - in_frame: pay.frame
    steps:
      - fill: pay.card
        value: "4111"
      - click: pay.submit
      - wait_text: paid
        within: pay.done
  - fill: pay.card
    value: decoy
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !site.saw("/paid?card=4111") {
		t.Fatalf("the frame's form was not submitted with the card: %v", site.requests())
	}
	if len(traced(res, "in_frame")) != 1 || !strings.Contains(traced(res, "assert")[0].Way, "in frame pay.frame") {
		t.Fatalf("trace does not show the frame: %+v", res.Trace)
	}
	fills := traced(res, "fill")
	if !strings.Contains(fills[0].Way, "in frame pay.frame") || strings.Contains(fills[1].Way, "frame") {
		t.Fatalf("fill ways: %q, %q", fills[0].Way, fills[1].Way)
	}
}

func TestWithinScopesALookupThatMatchesTwice(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/scoped"
  - click: banner.close
    optional: true
    timeout: 300ms
  - click: export.link
    within: statements.section
  - wait_url: "/export\\?kind=statements$"
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !site.saw("/export?kind=statements") || site.saw("/export?kind=invoices") {
		t.Fatalf("requests: %v", site.requests())
	}
	click := traced(res, "click")
	if len(click) != 2 || click[0].Status != ferry.StepOK || !strings.Contains(click[0].Detail, "optional, skipped") ||
		!strings.Contains(click[0].Detail, `selector "banner.close"`) {
		t.Fatalf("optional step not skipped in the trace: %+v", click)
	}
	if click[1].Element != "export.link" || click[1].Way != `role=link name="Export" within statements.section` {
		t.Fatalf("scoped click traced as %+v", click[1])
	}
	// The same click without within is ambiguous: a failure, not the first.
	_, err = runLang(t, base, "", `  - open: "${site.url}/scoped"
  - click: export.link
    timeout: 3s
`, nil)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `role=link name="Export" matched 2`) {
		t.Fatalf("unscoped: got %v, want site_changed with 2 matches", err)
	}
}

func TestExtractFillPressEnter(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "params:\n  suffix: {type: int, default: 7}\n", `  - open: "${site.url}/form"
  - fill: secret.field
    value: "${cred.password}"
  - extract: echo
    into: echoed
  - extract: ref.code
    into: code
    pattern: 'Ref: ([A-Z]+-[0-9]+)'
  - fill: search.q
    value: "${var.code}-${param.suffix}"
  - press: Enter
    on: search.q
  - wait_url: "/result\\?q=${var.code}"
  - wait_text: "Results for ${var.code}-${param.suffix}"
`, map[string]string{"suffix": "042"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !site.saw("/result?q=AB-1234-42") {
		t.Fatalf("Enter did not submit the extracted code with the parameter: %v", site.requests())
	}
	ex := traced(res, "extract")
	if len(ex) != 2 || ex[0].Detail != `var.echoed = "typed ******" (from its text)` || ex[1].Detail != `var.code = "AB-1234" (from its text)` {
		t.Fatalf("extract trace: %+v", ex)
	}
	if p := traced(res, "press"); len(p) != 1 || p[0].Element != "search.q" || p[0].Detail != "pressed Enter" {
		t.Fatalf("press trace: %+v", p)
	}
	noSecretInTrace(t, res)
}

func TestBadParameterFailsBeforeTheSiteIsAsked(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	_, err := runLang(t, base, "params:\n  suffix: {type: int}\n", `  - open: "${site.url}/form"
`, map[string]string{"suffix": "seven"})
	if err == nil || !strings.Contains(err.Error(), `parameter "suffix" (int): "seven" is not an int`) {
		t.Fatalf("got %v, want an error naming the parameter and the value", err)
	}
	if len(site.requests()) != 0 {
		t.Fatalf("the site was asked: %v", site.requests())
	}
}

func TestRepeat(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/more"
  - repeat:
      while: more.button
      max: 10
      steps:
        - click: more.button
  - count_rows: more.items
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.RowsSeen[""] != 3 {
		t.Fatalf("saw %d items, want 3", res.RowsSeen[""])
	}
	rep := traced(res, "repeat")
	if len(rep) != 4 || rep[3].Detail != "done after 3 rounds: more.button is absent" {
		t.Fatalf("repeat trace: %+v", rep)
	}

	// A loop whose condition never comes is an error naming the step.
	res, err = runLang(t, base, "", `  - open: "${site.url}/more?endless"
  - repeat:
      until: end.marker
      max: 3
      steps:
        - click: more.button
`, nil)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), "steps[1]: repeat until end.marker: end.marker is still absent") ||
		!strings.Contains(err.Error(), "after max 3 rounds") {
		t.Fatalf("got %v, want site_changed naming the step and max", err)
	}
	if got := len(traced(res, "click")); got != 3 {
		t.Fatalf("clicked %d times, want exactly max 3", got)
	}
}

func TestRetrySucceedsOnTheSecondAttempt(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/flaky"
    retry: {attempts: 3, delay: 50ms}
  - assert: page.title
    text: Flaky ok
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := len(traced(res, "open")); n != 2 || traced(res, "open")[0].Status != ferry.StepFailed || traced(res, "open")[1].Status != ferry.StepOK {
		t.Fatalf("open attempts: %+v", traced(res, "open"))
	}
	if r := traced(res, "retry"); len(r) != 1 || r[0].Detail != "open: attempt 1 of 3 failed; again in 50ms" {
		t.Fatalf("retry trace: %+v", r)
	}
	if a := traced(res, "assert"); a[0].Detail != `holds: text "Flaky ok"` {
		t.Fatalf("assert trace: %+v", a)
	}
}

func TestFailingAssertIsSiteChanged(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/scoped"
  - assert: page.title
    text: Invoices
    timeout: 4s
`, nil)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged {
		t.Fatalf("got %v, want site_changed", err)
	}
	if !strings.Contains(err.Error(), `assert page.title (css="h1") on /scoped: its text is "Exports", want "Invoices"`) {
		t.Fatalf("error does not name the element and what was seen: %v", err)
	}
	if res.Evidence == nil || res.Evidence.Step != "steps[1]" {
		t.Fatalf("evidence: %+v", res.Evidence)
	}
}

func TestWaitIdleWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	res, err := runLang(t, base, "", `  - open: "${site.url}/slow"
  - wait_idle: true
  - extract: data.cell
    into: cell
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if ex := traced(res, "extract"); ex[0].Detail != `var.cell = "loaded" (from its text)` {
		t.Fatalf("read before the page settled: %+v", ex)
	}
	if w := traced(res, "wait_idle"); len(w) != 1 || !strings.HasPrefix(w[0].Detail, "settled after ") {
		t.Fatalf("wait_idle trace: %+v", w)
	}
}

// The reviewed escape hatch runs through a whole run like any step: its
// result lands in a variable the next step uses, and the trace shows its
// digest.
func TestReviewedScriptStepInARun(t *testing.T) {
	t.Parallel()
	site := &langSite{}
	base := site.serve(t)
	const js = "return document.title.length > 0 ? 'AB-77' : 'none';"
	res, err := runLang(t, base, "", `  - open: "${site.url}/form"
  - script: "`+js+`"
    reviewed: `+scripts.Digest(js)+`
    into: code
  - fill: search.q
    value: "${var.code}"
  - press: Enter
    on: search.q
  - wait_url: "/result\\?q=AB-77"
`, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	sc := traced(res, "script")
	if len(sc) != 1 || !strings.Contains(sc[0].Detail, scripts.Digest(js)) {
		t.Fatalf("script trace: %+v", sc)
	}
}
