package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// clock is a settable clock shared by the store and the console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is a console over a real SQLite store with one user per role.
type env struct {
	t       *testing.T
	db      *storage.DB
	srv     *console.Server
	ts      *httptest.Server
	clock   *clock
	log     *syncBuffer
	secrets []string // every password, token and cookie handed out
	users   map[ferry.Role]int64
	runID   int64
}

const password = "correct horse battery"

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, clock: c, log: &syncBuffer{}, users: map[ferry.Role]int64{}}
	// The starter queues the run in the store, as the runner's Enqueue
	// does (without River: these tests run no browser).
	starter := console.StarterFunc(func(ctx context.Context, req service.RunRequest) (int64, error) {
		if req.Bot == "nope" {
			return 0, &service.InvalidError{Err: errors.New("no bot named nope")}
		}
		return db.NewRun(ctx, ferry.Run{Bot: req.Bot, Login: req.Login, Params: req.Params})
	})
	e.srv, err = console.New(console.Config{Store: db, Starter: starter, Now: c.now, Logger: zerolog.New(e.log).Level(zerolog.DebugLevel), MaxFailures: 3, LockFor: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	for _, r := range ferry.Roles() {
		id, err := console.AddUser(ctx, db, "cli:test", "", string(r), r, password+" "+string(r))
		if err != nil {
			t.Fatal(err)
		}
		e.users[r] = id
		e.secrets = append(e.secrets, password+" "+string(r))
		u, _ := db.UserByID(ctx, id)
		e.secrets = append(e.secrets, u.PasswordHash)
	}
	if e.runID, err = db.NewRun(ctx, ferry.Run{Bot: "<script>alert('bot')</script>", Login: "acme<img src=x onerror=alert(1)>"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSteps(ctx, e.runID, 1, []ferry.Step{{Seq: 1, Action: "click", Element: `"><script>alert(2)</script>`, Detail: "<b>x</b>", Status: ferry.StepFailed}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client is a browser: a cookie jar that does not follow redirects.
type client struct {
	*http.Client
	e    *env
	csrf string
}

func (e *env) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in as the role's user and reads the CSRF token from a page.
func (e *env) login(r ferry.Role) *client {
	e.t.Helper()
	c := e.anonymous()
	resp := c.form("/login", url.Values{"name": {string(r)}, "password": {password + " " + string(r)}}, false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runs" {
		e.t.Fatalf("login as %s: %d %s", r, resp.StatusCode, resp.Header.Get("Location"))
	}
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		e.secrets = append(e.secrets, ck.Value)
	}
	code, body := c.get("/runs")
	m := csrfField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		e.t.Fatalf("runs page as %s: %d, no CSRF field", r, code)
	}
	c.csrf = m[1]
	return c
}

func (c *client) get(path string) (int, string) {
	c.e.t.Helper()
	resp, err := c.Get(c.e.ts.URL + path)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// form posts v (with the CSRF token when csrf) from the console's origin.
func (c *client) form(path string, v url.Values, csrf bool) *http.Response {
	c.e.t.Helper()
	if csrf {
		v.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.e.ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.ts.URL)
	resp, err := c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// token makes an API token for the role's user.
func (e *env) token(r ferry.Role) string {
	e.t.Helper()
	tok, hash, err := console.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.AddAPIToken(context.Background(), ferry.APIToken{UserID: e.users[r], Role: r, TokenHash: hash, Name: "test"}); err != nil {
		e.t.Fatal(err)
	}
	e.secrets = append(e.secrets, tok)
	return tok
}

func (e *env) api(method, path, token, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// concrete turns a route pattern into a path that exists.
func (e *env) concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.Replace(path, "{$}", "", 1)
	if strings.HasPrefix(path, "/users/") {
		path = strings.Replace(path, "{id}", fmt.Sprint(e.users[ferry.RoleViewer]), 1)
	}
	path = strings.Replace(path, "{id}", fmt.Sprint(e.runID), 1)
	if strings.HasSuffix(path, "/assets/") {
		path += "console.css"
	}
	return method, path
}

// TestRBACMatrix checks every registered route for every role: a route
// the matrix does not name fails, a forbidden role gets 403, an allowed
// one does not, and nobody gets in without logging in.
func TestRBACMatrix(t *testing.T) {
	e := newEnv(t)
	matrix := console.Matrix()
	routes := e.srv.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, pattern := range routes {
		access, ok := matrix[pattern]
		if !ok {
			t.Errorf("route %s has no entry in console.Matrix", pattern)
			continue
		}
		method, path := e.concrete(pattern)
		api := strings.HasPrefix(path, "/api/")
		body := url.Values{"op": {"enable"}, "role": {"viewer"}, "bot": {"b"}, "name": {"n"}, "password": {"p"}}
		if access.Public {
			resp := e.anonymous().form(path, body, false)
			if method == http.MethodGet {
				code, _ := e.anonymous().get(path)
				if code != http.StatusOK {
					t.Errorf("%s anonymous: %d, want 200", pattern, code)
				}
			} else if resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s anonymous: 403 on a public route", pattern)
			}
			continue
		}
		// Without credentials: the login page, or 401 on the API.
		if api {
			if code, _ := e.api(method, path, "", "{}"); code != http.StatusUnauthorized {
				t.Errorf("%s anonymous: %d, want 401", pattern, code)
			}
			if code, _ := e.api(method, path, "not-a-token", "{}"); code != http.StatusUnauthorized {
				t.Errorf("%s bad token: %d, want 401", pattern, code)
			}
		} else {
			resp := e.anonymous().form(path, body, false)
			if method == http.MethodGet {
				resp, _ = e.anonymous().Get(e.ts.URL + path)
			}
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
				t.Errorf("%s anonymous: %d to %q, want 303 to /login", pattern, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		for _, role := range ferry.Roles() {
			allowed := false
			for _, r := range access.Roles {
				allowed = allowed || r == role
			}
			var code int
			switch {
			case api:
				code, _ = e.api(method, path, e.token(role), `{"bot":"b"}`)
			case method == http.MethodGet:
				code, _ = e.login(role).get(path)
			default:
				code = e.login(role).form(path, body, true).StatusCode
			}
			if allowed && (code == http.StatusForbidden || code == http.StatusUnauthorized) {
				t.Errorf("%s as %s: %d, want allowed", pattern, role, code)
			}
			if !allowed && code != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", pattern, role, code)
			}
		}
	}
}

// TestCSRF: a change without the session's token, with another session's
// token, or from another origin is refused and changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	admin := e.login(ferry.RoleAdmin)
	other := e.login(ferry.RoleAdmin)
	add := func(name string) url.Values {
		return url.Values{"name": {name}, "role": {"viewer"}, "password": {"a long enough password"}}
	}
	if resp := admin.form("/users", add("nocsrf"), false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without a token: %d, want 403", resp.StatusCode)
	}
	v := add("othercsrf")
	v.Set("csrf", other.csrf)
	if resp := admin.form("/users", v, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("with another session's token: %d, want 403", resp.StatusCode)
	}
	v = add("evil")
	v.Set("csrf", admin.csrf)
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/users", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("from another origin: %d, want 403", resp.StatusCode)
	}
	for _, n := range []string{"nocsrf", "othercsrf", "evil"} {
		if _, err := e.db.UserByName(context.Background(), n); !errors.Is(err, ferry.ErrNoUser) {
			t.Errorf("user %s was added: %v", n, err)
		}
	}
	if resp := admin.form("/users", add("good"), true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("with the token: %d", resp.StatusCode)
	}
	if _, err := e.db.UserByName(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	// A login from another origin is refused too (login CSRF).
	req, _ = http.NewRequest(http.MethodPost, e.ts.URL+"/login", strings.NewReader(url.Values{"name": {"admin"}, "password": {password + " admin"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := e.anonymous().Do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin login: %d, want 403", resp.StatusCode)
	}
}

// TestLoginLockout: wrong passwords lock the user (the right one is then
// refused too, with the same answer as an unknown user), the lock ends,
// and one address spraying names is locked out.
func TestLoginLockout(t *testing.T) {
	e := newEnv(t)
	try := func(name, pw string) (int, string) {
		resp := e.anonymous().form("/login", url.Values{"name": {name}, "password": {pw}}, false)
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, unknown := try("nobody", "whatever it is")
	for i := 0; i < 3; i++ {
		if code, body := try("ops", "wrong password!"); code != http.StatusUnauthorized || body != unknown {
			t.Fatalf("wrong password %d: %d, or another page than an unknown user's", i, code)
		}
	}
	if code, body := try("ops", password+" ops"); code != http.StatusUnauthorized || body != unknown {
		t.Fatalf("right password while locked: %d", code)
	}
	e.clock.advance(11 * time.Minute)
	if code, _ := try("ops", password+" ops"); code != http.StatusSeeOther {
		t.Fatalf("after the lock: %d", code)
	}
	// 12 (4×3) failures from one address lock it, whatever the names.
	for i := 0; i < 12; i++ {
		try(fmt.Sprintf("spray%d", i), "whatever it is")
	}
	if code, _ := try("finance", password+" finance"); code != http.StatusUnauthorized {
		t.Fatalf("a locked address logged in: %d", code)
	}
	if u, _ := e.db.UserByName(context.Background(), "finance"); !u.LockedUntil.IsZero() {
		t.Fatalf("the address lock locked the user: %+v", u)
	}
}

// TestSessionExpiry: idle and absolute expiry, logout, and a disabled
// user's session ends.
func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.login(ferry.RoleViewer)
	e.clock.advance(29 * time.Minute)
	if code, _ := c.get("/runs"); code != http.StatusOK {
		t.Fatalf("within the idle time: %d", code)
	}
	e.clock.advance(31 * time.Minute)
	if resp, _ := c.Get(e.ts.URL + "/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle session: %d, want 303 to the login", resp.StatusCode)
	}
	c = e.login(ferry.RoleViewer)
	for i := 0; i < 25; i++ {
		e.clock.advance(29 * time.Minute)
		c.get("/runs")
	}
	if resp, _ := c.Get(e.ts.URL + "/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session older than 12 hours: %d", resp.StatusCode)
	}
	c = e.login(ferry.RoleViewer)
	if resp := c.form("/logout", url.Values{}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := c.Get(e.ts.URL + "/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
	c = e.login(ferry.RoleViewer)
	admin := e.login(ferry.RoleAdmin)
	if resp := admin.form(fmt.Sprintf("/users/%d", e.users[ferry.RoleViewer]), url.Values{"op": {"disable"}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := c.Get(e.ts.URL + "/runs"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled user's session: %d", resp.StatusCode)
	}
}

// TestCookieFlags: the session cookie is HttpOnly, SameSite=Strict, and
// holds a token whose hash, not the token, is stored.
func TestCookieFlags(t *testing.T) {
	e := newEnv(t)
	resp := e.anonymous().form("/login", url.Values{"name": {"viewer"}, "password": {password + " viewer"}}, false)
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	ck := resp.Cookies()[0]
	s, err := e.db.SessionByHash(context.Background(), console.HashToken(ck.Value))
	if err != nil || s.UserID != e.users[ferry.RoleViewer] {
		t.Fatalf("session by the cookie's hash: %+v, %v", s, err)
	}
	if _, err := e.db.SessionByHash(context.Background(), ck.Value); !errors.Is(err, ferry.ErrNoSession) {
		t.Fatalf("the token is stored in clear: %v", err)
	}
}

// TestAPIToken: Bearer tokens scoped by role; a demoted user's token
// falls to the new role.
func TestAPIToken(t *testing.T) {
	e := newEnv(t)
	viewer, finance := e.token(ferry.RoleViewer), e.token(ferry.RoleFinance)
	if code, body := e.api("GET", "/api/runs", viewer, ""); code != http.StatusOK || !strings.Contains(body, `"bot"`) {
		t.Fatalf("viewer lists runs: %d %s", code, body)
	}
	if code, _ := e.api("POST", "/api/runs", viewer, `{"bot":"b"}`); code != http.StatusForbidden {
		t.Fatalf("viewer starts a run: %d", code)
	}
	code, body := e.api("POST", "/api/runs", finance, `{"bot":"statements","login":"acme","from":"2026-03-01","to":"2026-03-13"}`)
	if code != http.StatusCreated {
		t.Fatalf("finance starts a run: %d %s", code, body)
	}
	var started struct{ Run int64 }
	json.Unmarshal([]byte(body), &started)
	if code, body := e.api("GET", fmt.Sprintf("/api/runs/%d", started.Run), finance, ""); code != http.StatusOK || !strings.Contains(body, `"from": "2026-03-01"`) {
		t.Fatalf("the run: %d %s", code, body)
	}
	if code, body := e.api("POST", "/api/runs", finance, `{"bot":"nope"}`); code != http.StatusBadRequest || !strings.Contains(body, "no bot named nope") {
		t.Fatalf("unknown bot: %d %s", code, body)
	}
	if code, body := e.api("POST", "/api/runs", finance, `{"bot":"b","from":"March"}`); code != http.StatusBadRequest || !strings.Contains(body, "from") {
		t.Fatalf("bad date: %d %s", code, body)
	}
	if err := e.db.SetUserRole(context.Background(), e.users[ferry.RoleFinance], ferry.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.api("POST", "/api/runs", finance, `{"bot":"b"}`); code != http.StatusForbidden {
		t.Fatalf("demoted user's token starts a run: %d", code)
	}
}

// TestInertNames: names with markup render as text on every page.
func TestInertNames(t *testing.T) {
	e := newEnv(t)
	admin := e.login(ferry.RoleAdmin)
	if resp := admin.form("/users", url.Values{"name": {"<script>alert(3)</script>"}, "role": {"viewer"}, "password": {"a long enough password"}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a user named <script>: %d", resp.StatusCode)
	}
	for _, p := range []string{"/runs", fmt.Sprintf("/runs/%d", e.runID), "/users", "/audit", "/users?notice=%3Cscript%3Ealert(4)%3C/script%3E"} {
		code, body := admin.get(p)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>x</b>", `"><script`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s renders %q live", p, bad)
			}
		}
		if strings.Count(body, "<script") != 1 {
			t.Errorf("%s has %d script tags, want only the console's own", p, strings.Count(body, "<script"))
		}
	}
	_, body := admin.get(fmt.Sprintf("/runs/%d", e.runID))
	if !strings.Contains(body, "&lt;script&gt;alert(&#39;bot&#39;)&lt;/script&gt;") {
		t.Errorf("the bot's name is not shown escaped:\n%s", body)
	}
	resp, _ := admin.Get(e.ts.URL + "/runs")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

// TestAuditEveryChange: every change made through the console is in the
// audit log, with who, from where, before and after, and exports.
func TestAuditEveryChange(t *testing.T) {
	e := newEnv(t)
	admin := e.login(ferry.RoleAdmin)
	finance := e.login(ferry.RoleFinance)
	viewerID := fmt.Sprint(e.users[ferry.RoleViewer])
	steps := []struct {
		c      *client
		path   string
		v      url.Values
		action string
	}{
		{admin, "/users", url.Values{"name": {"dora"}, "role": {"ops"}, "password": {"doras secret password"}}, "user.add"},
		{admin, "/users/" + viewerID, url.Values{"op": {"role"}, "role": {"finance"}}, "user.role"},
		{admin, "/users/" + viewerID, url.Values{"op": {"disable"}}, "user.disable"},
		{admin, "/users/" + viewerID, url.Values{"op": {"enable"}}, "user.enable"},
		{finance, "/runs", url.Values{"bot": {"statements"}, "login": {"acme"}}, "run.start"},
		{finance, "/logout", url.Values{}, "session.logout"},
	}
	e.secrets = append(e.secrets, "doras secret password")
	for _, s := range steps {
		if resp := s.c.form(s.path, s.v, true); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %v: %d", s.path, s.v, resp.StatusCode)
		}
	}
	entries, err := e.db.Audit(context.Background(), ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ferry.AuditEntry{}
	for _, en := range entries {
		got[en.Action] = en
		if en.Actor == "" || (en.Actor != "cli:test" && en.Address != "127.0.0.1") || en.At.IsZero() {
			t.Errorf("entry without who or where: %+v", en)
		}
	}
	for _, s := range append(steps, struct {
		c      *client
		path   string
		v      url.Values
		action string
	}{action: "session.login"}) {
		if _, ok := got[s.action]; !ok {
			t.Errorf("no audit entry for %s", s.action)
		}
	}
	if r := got["user.role"]; !strings.Contains(r.Before, `"role":"viewer"`) || !strings.Contains(r.After, `"role":"finance"`) || r.Actor != "admin" || r.Target != "user:viewer" {
		t.Errorf("role change: %+v", r)
	}
	if r := got["run.start"]; r.Actor != "finance" || !strings.Contains(r.After, `"bot":"statements"`) {
		t.Errorf("run start: %+v", r)
	}
	code, csvBody := admin.get("/audit/export?format=csv")
	if code != http.StatusOK || !strings.HasPrefix(csvBody, "id,at,actor,address,action,target,before,after\n") || !strings.Contains(csvBody, "user.disable") {
		t.Errorf("CSV export: %d\n%s", code, csvBody)
	}
	code, jsonBody := admin.get("/audit/export?format=json&action=user.add")
	var list []map[string]any
	if err := json.Unmarshal([]byte(jsonBody), &list); code != http.StatusOK || err != nil || len(list) != 5 {
		t.Errorf("JSON export of user.add: %d, %v, %d entries (4 setup + dora)", code, err, len(list))
	}
	if code, body := admin.get("/audit"); code != http.StatusOK || !strings.Contains(body, "user.disable") {
		t.Errorf("audit page: %d", code)
	}
}

// TestNoSecrets: no password, hash, token or session id appears in any
// page, API answer, export or log line.
func TestNoSecrets(t *testing.T) {
	e := newEnv(t)
	admin := e.login(ferry.RoleAdmin)
	tok := e.token(ferry.RoleAdmin)
	admin.form("/users", url.Values{"name": {"eve"}, "role": {"ops"}, "password": {"eves very secret pw"}}, true)
	admin.form("/users", url.Values{"name": {"weak"}, "role": {"ops"}, "password": {"short"}}, true)
	e.secrets = append(e.secrets, "eves very secret pw", "short")
	e.anonymous().form("/login", url.Values{"name": {"admin"}, "password": {"a wrong admin password"}}, false)
	e.secrets = append(e.secrets, "a wrong admin password")
	var bodies []string
	for _, p := range []string{"/runs", fmt.Sprintf("/runs/%d", e.runID), "/users", "/audit", "/audit/export?format=csv", "/audit/export", "/login"} {
		_, b := admin.get(p)
		bodies = append(bodies, p+"\n"+b)
	}
	for _, p := range []string{"/api/runs", fmt.Sprintf("/api/runs/%d", e.runID), "/api/audit"} {
		_, b := e.api("GET", p, tok, "")
		bodies = append(bodies, p+"\n"+b)
	}
	bodies = append(bodies, "log\n"+e.log.String())
	for _, b := range bodies {
		for _, s := range e.secrets {
			if s != "" && strings.Contains(b, s) {
				where, _, _ := strings.Cut(b, "\n")
				t.Errorf("%s shows a secret (%d characters)", where, len(s))
			}
		}
	}
}
