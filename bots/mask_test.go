package bots_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// k11Selectors names the elements of k11Site's pages.
const k11Selectors = `site: k11
version: 1
elements:
  login.user: {ways: [{css: "#user"}]}
  login.password: {ways: [{css: "#pass"}]}
  login.submit: {ways: [{css: "#submit"}]}
  home.missing: {ways: [{css: "#not-there"}]}
  go.button: {ways: [{css: "#go"}]}
  done: {ways: [{css: "#done"}]}
  note: {ways: [{css: "#note"}]}
  next.link: {ways: [{css: "#next"}]}
  menu.reports: {ways: [{role: link, name: Reports}]}
  size: {ways: [{css: "#size"}]}
  statements.link: {ways: [{css: "#stmts"}]}
  pager.next: {ways: [{css: "#next-page"}]}
  pager.rows: {many: true, ways: [{css: "tr.row"}]}
`

// k11Password has characters that URL and HTML encodings change.
const k11Password = "Tr0ub&dor <3 x+y"

func k11Page(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title></head><body>%s</body></html>", title, body)
}

// k11Site serves pages that echo typed secrets, open dialogs and change
// with the window's width.
func k11Site(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		// A React-style form: what is typed is copied into an attribute
		// and the text; it submits by GET, so the password is in the URL.
		k11Page(w, "Sign in", `<form id="f" action="/home" method="get"><input id="user" name="user"><input id="pass" name="password">
<button id="submit" type="submit">Sign in</button></form><p id="echo"></p>
<script>document.getElementById('pass').addEventListener('input', (e) => {
  document.getElementById('f').setAttribute('data-last', e.target.value);
  document.getElementById('pass').setAttribute('value', e.target.value);
  document.getElementById('echo').textContent = 'you typed ' + e.target.value; });</script>`)
	})
	mux.HandleFunc("/home", func(w http.ResponseWriter, r *http.Request) {
		pw := r.URL.Query().Get("password")
		k11Page(w, "Welcome", `<h1>Welcome</h1><p data-pw="`+htmlEscape(pw)+`">Signed in with `+htmlEscape(pw)+`</p>
<a href="/home?password=`+url.QueryEscape(pw)+`&amp;again=1">again</a>`)
	})
	mux.HandleFunc("/alert", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Alert", `<button id="go" onclick="alert('Your session ends in 5 minutes'); document.getElementById('done').hidden = false;">Go</button><p id="done" hidden>done</p>`)
	})
	mux.HandleFunc("/confirm", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Confirm", `<button id="go" onclick="if (confirm('Delete all statements?')) document.getElementById('done').hidden = false;">Go</button><p id="done" hidden>done</p>`)
	})
	mux.HandleFunc("/prompt", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Prompt", `<button id="go" onclick="if (prompt('Reason for export?', 'audit') === 'audit') document.getElementById('done').hidden = false;">Go</button><p id="done" hidden>done</p>`)
	})
	mux.HandleFunc("/leave", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Leave", `<input id="note"><a id="next" href="/next">next</a>
<script>window.addEventListener('beforeunload', (e) => { e.preventDefault(); e.returnValue = 'unsaved'; return 'unsaved'; });</script>`)
	})
	mux.HandleFunc("/next", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Next", `<p id="done">done</p>`)
	})
	mux.HandleFunc("/responsive", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Responsive", `<meta name="viewport" content="width=device-width"><style>nav { display: none } @media (min-width: 1000px) { nav { display: block } }</style>
<nav><a href="/reports">Reports</a></nav><p id="size"></p>
<script>document.getElementById('size').textContent = innerWidth + 'x' + innerHeight;</script>`)
	})
	mux.HandleFunc("/wrapped", func(w http.ResponseWriter, r *http.Request) {
		// The link wraps onto two lines: its outer box's centre falls on
		// the nav's background between them.
		k11Page(w, "Wrapped", `<nav style="width: 300px; font: 16px/60px sans-serif; background: #eee">`+
			`<span style="display: inline-block; width: 220px">Accounts</span><a id="stmts" href="/next">Monthly account statements</a></nav>`)
	})
	mux.HandleFunc("/layout", func(w http.ResponseWriter, r *http.Request) {
		// A nav pane covers the link while the page lays itself out.
		k11Page(w, "Layout", `<a id="stmts" href="/next">Statements</a>
<div id="pane" style="position: fixed; inset: 0; background: #ddd"><a href="/home">Home</a> <a href="/other">Other</a></div>
<script>setTimeout(() => document.getElementById('pane').remove(), 3000);</script>`)
	})
	mux.HandleFunc("/cookies", func(w http.ResponseWriter, r *http.Request) {
		k11Page(w, "Cookies", `<a id="stmts" href="/next">Statements</a>
<div id="cookie-wall" role="dialog" style="position: fixed; inset: 0; background: #ddd"><p>We use cookies</p>
<button id="cc-settings">Settings</button> <button id="cc-accept">Accept all</button></div>`)
	})
	mux.HandleFunc("/navcover", func(w http.ResponseWriter, r *http.Request) {
		// An overlay whose controls are only navigation: nothing to dismiss.
		k11Page(w, "Nav cover", `<a id="stmts" href="/next">Statements</a>
<div id="side" style="position: fixed; inset: 0; background: #ddd"><a href="/home">Home</a> <a href="/other">Statements overview</a></div>`)
	})
	mux.HandleFunc("/pager", func(w http.ResponseWriter, r *http.Request) {
		// Three pages of two rows; ?renamed gives the next button an id
		// the selector file does not know.
		id := "next-page"
		if r.URL.Query().Has("renamed") {
			id = "pg-forward"
		}
		k11Page(w, "Pager", `<table><tbody id="rows"></tbody></table><button id="`+id+`">Next</button>
<script>let p = 1; const b = document.getElementById('`+id+`');
function show() { const t = document.getElementById('rows'); t.innerHTML = '';
  for (let i = 0; i < 2; i++) { const tr = document.createElement('tr'); tr.className = 'row'; tr.innerHTML = '<td>' + p + '.' + i + '</td>'; t.appendChild(tr); }
  b.disabled = p >= 3; }
b.onclick = () => { p++; show(); }; show();</script>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runK11 parses the steps as a script of the k11 site and runs it.
func runK11(t *testing.T, base string, site bots.SiteOptions, steps string) (*bots.Result, error) {
	t.Helper()
	s, sel := parseScript(t, "k11.yaml", k11Selectors, "k11-test.yaml", "bot: k11-test\nsite: k11\nsteps:\n"+steps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 20 * time.Second, Site: site,
		Credential: ferry.Credential{Name: "k11", Fields: map[string]string{"user": "ops", "password": k11Password}},
		Logger:     zerolog.New(zerolog.NewTestWriter(t))})
}

// A credential the page copies into its DOM and, submitted by GET, into
// the URL never reaches the evidence in clear: not the stored page, not
// the report (URL, title, error, trace).
func TestEvidenceMasksTypedCredentialEverywhere(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, `  - open: "${site.url}/login"
  - fill: login.user
    value: "${cred.user}"
  - fill: login.password
    value: "${cred.password}"
  - click: login.submit
  - wait: home.missing
    timeout: 2s
`)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged {
		t.Fatalf("got %v, want site_changed", err)
	}
	ev := res.Evidence
	if ev == nil {
		t.Fatal("no evidence")
	}
	report, jerr := json.Marshal(ev)
	if jerr != nil {
		t.Fatal(jerr)
	}
	stored := map[string]string{"page.html": ev.HTML, "evidence.json": string(report), "error": err.Error()}
	forms := []string{k11Password, url.QueryEscape(k11Password), url.PathEscape(k11Password), htmlEscape(k11Password),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(k11Password), "Tr0ub"}
	for name, data := range stored {
		for _, f := range forms {
			if strings.Contains(data, f) {
				t.Errorf("%s holds the password as %q", name, f)
			}
		}
	}
	if !strings.Contains(ev.HTML, "Signed in with ******") || !strings.Contains(ev.URL, "password=******") {
		t.Fatalf("the page was not captured as expected: url %s\n%s", ev.URL, ev.HTML)
	}
	// Messages name the full URL (masked) and the title, not just a path.
	if !strings.Contains(err.Error(), `on /home matched`) || !strings.Contains(err.Error(), `(page `+base+`/home?user=******&password=******, title "Welcome")`) {
		t.Fatalf("message does not carry the full masked URL and title: %v", err)
	}
	if len(ev.Screenshot) == 0 {
		t.Fatal("no screenshot")
	}
}
