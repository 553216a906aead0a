package runner_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
)

// readmeExamples returns the README's example files: each fenced block
// after a "<!-- readme-example: PATH -->" marker, by PATH.
func readmeExamples(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- readme-example: (\\S+) -->\n```yaml\n(.*?)```")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// acmeCSV is the site's export: a German bank's columns, which the
// README's mapping describes.
const acmeCSV = "Kontoauszug;Girokonto\n\nBuchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Referenz;Betrag;Saldo\n" +
	"01.10.2026;01.10.2026;Stadtwerke Köln;Strom Oktober;R-1001;-84,20;1.915,80\n" +
	"02.10.2026;03.10.2026;ACME GmbH;Rechnung 4711;R-1002;2.500,00;4.415,80\n" +
	"05.10.2026;05.10.2026;Miete;Büro Oktober;R-1003;-1.200,00;3.215,80\n"

// acmeSite is a small server-rendered bank: a login form with a CSRF
// token tied to a cookie, a navigation link, and an export form that
// answers with a CSV attachment for the period asked.
type acmeSite struct {
	mu       sync.Mutex
	sessions map[string]bool
	exports  []string // the query of every export
}

func token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *acmeSite) serve(t *testing.T, user, password string) string {
	t.Helper()
	s.sessions = map[string]bool{}
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>ACME Online</title></head><body>%s</body></html>", body)
	}
	loggedIn := func(r *http.Request) bool {
		c, err := r.Cookie("session")
		s.mu.Lock()
		defer s.mu.Unlock()
		return err == nil && s.sessions[c.Value]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		csrf := token()
		http.SetCookie(w, &http.Cookie{Name: "csrf", Value: csrf, Path: "/", HttpOnly: true})
		alert := ""
		if r.URL.Query().Get("failed") != "" {
			alert = `<div role="alert">Invalid user ID or password</div>`
		}
		html(w, alert+`<form id="login" method="post" action="/login"><input type="hidden" name="csrf" value="`+csrf+`">
<label for="u">User ID</label><input id="u" name="user"><label for="p">Password</label><input id="p" name="password" type="password">
<button type="submit">Sign in</button></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("csrf")
		if err != nil || r.FormValue("csrf") != c.Value {
			http.Error(w, "CSRF token mismatch", http.StatusForbidden)
			return
		}
		if r.FormValue("user") != user || r.FormValue("password") != password {
			http.Redirect(w, r, "/login?failed=1", http.StatusSeeOther)
			return
		}
		sid := token()
		s.mu.Lock()
		s.sessions[sid] = true
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: sid, Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/home", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /home", func(w http.ResponseWriter, r *http.Request) {
		if !loggedIn(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		html(w, `<nav><a href="/home">Overview</a> <a href="/statements">Statements</a></nav><h1>Welcome</h1>`)
	})
	mux.HandleFunc("GET /statements", func(w http.ResponseWriter, r *http.Request) {
		if !loggedIn(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		html(w, `<nav><a href="/home">Overview</a> <a href="/statements">Statements</a></nav>
<form method="get" action="/export.csv"><label for="f">From</label><input id="f" name="from">
<label for="t">To</label><input id="t" name="to"><button type="submit" data-testid="export-csv">Export CSV</button></form>`)
	})
	mux.HandleFunc("GET /export.csv", func(w http.ResponseWriter, r *http.Request) {
		if !loggedIn(r) {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.exports = append(s.exports, r.URL.RawQuery)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="umsaetze.csv"`)
		fmt.Fprint(w, acmeCSV)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestREADMEExampleBot: the README's "Add a bot for a new site" files, as
// written there, drive a site nobody here wrote the bot for: login with a
// CSRF token, navigation, the CSV export with the README's mapping, to
// stored and delivered records for the account the parameter names.
func TestREADMEExampleBot(t *testing.T) {
	t.Parallel()
	files := readmeExamples(t)
	for _, want := range []string{"selectors/acme.yaml", "bots/acme-statements.yaml", "bots/banks/acme.yaml"} {
		if files[want] == "" {
			t.Fatalf("README has no example %s (it has %d)", want, len(files))
		}
	}
	dir := t.TempDir()
	for p, body := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	site := &acmeSite{}
	base := site.serve(t, "ops7", "s3cret-Acme!")
	e := setup(t, dir, sandbox.New(sandbox.Options{Seed: 5}), func(c *runner.Config) {
		c.Sites = map[string]string{"acme": base}
		c.Credentials = runner.StaticCredentials{"acme-ops": {Name: "acme-ops", Fields: map[string]string{"user": "ops7", "password": "s3cret-Acme!"}}}
		c.ScriptsDir, c.SelectorsDir = filepath.Join(dir, "bots"), filepath.Join(dir, "selectors")
		c.StepTimeout = 30 * time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const iban = "DE89370400440532013000"
	id, err := e.r.Enqueue(ctx, runner.Request{Bot: "acme-statements", Login: "acme-ops",
		Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31), Values: map[string]string{"iban": iban}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run: %s %s %s", run.Status, run.Class, run.Error)
	}
	if got := waitLines(t, e.jsonl, 3); got != 3 {
		t.Fatalf("delivered %d records, want the export's 3", got)
	}
	rows, err := e.db.Statements(ctx, run.ID)
	if err != nil || len(rows) != 1 || rows[0].Account != iban || rows[0].Currency != "EUR" || rows[0].Lines != 3 || rows[0].Status != "accepted" {
		t.Fatalf("statements %+v, %v", rows, err)
	}
	site.mu.Lock()
	defer site.mu.Unlock()
	if len(site.exports) != 1 || site.exports[0] != "from=2026-10-01&to=2026-10-31" {
		t.Fatalf("exports asked: %v", site.exports)
	}
}
