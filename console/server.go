// Package console is Ferry's web console and HTTP API: server-rendered
// pages (html/template, assets embedded, no build step) and JSON under
// /api/, behind accounts with roles (rbac.go's matrix), sessions in
// cookies, CSRF protection and an append-only audit log of every change
// (ferry.Audited).
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/vault"
	"github.com/rs/zerolog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Store is what the console reads and changes. *storage.DB implements it.
type Store interface {
	ferry.ConsoleStore
	ferry.RunStore
	ferry.ArtifactStore
}

// Starter starts an ad-hoc run for the serve's runner.
type Starter interface {
	// StartRun checks and queues a run and returns its id. Run in the
	// transaction ctx carries (the audit's), so that the run and its
	// audit entry are stored together. Errors: *service.InvalidError for a
	// bad request (an unknown bot or login), others for the queue.
	StartRun(ctx context.Context, req service.RunRequest) (int64, error)
}

// StarterFunc adapts a function to Starter.
type StarterFunc func(ctx context.Context, req service.RunRequest) (int64, error)

// StartRun calls f.
func (f StarterFunc) StartRun(ctx context.Context, req service.RunRequest) (int64, error) {
	return f(ctx, req)
}

// Config configures a console.
type Config struct {
	// Store holds the accounts, sessions, audit log and runs.
	Store Store
	// Starter starts ad-hoc runs; nil: starting is refused (503).
	Starter Starter
	// Logger gets the access log (debug) and security events (failed
	// CSRF checks, lockouts, forbidden requests): names and addresses,
	// never a password, token or cookie.
	Logger zerolog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SecureCookies marks cookies Secure even over plain HTTP (behind a
	// TLS-terminating proxy); they are Secure under TLS anyway.
	SecureCookies bool
	// IdleTimeout ends a session unused this long (30 minutes when 0);
	// MaxSessionAge ends any session this old (12 hours when 0).
	IdleTimeout, MaxSessionAge time.Duration
	// MaxFailures wrong passwords in a row lock a user, and 4×MaxFailures
	// from one address lock the address, for LockFor (5 and 15 minutes
	// when 0).
	MaxFailures int
	LockFor     time.Duration
	// Ops changes heals and deliveries for the ops pages; nil: those
	// changes are refused (503).
	Ops Ops
	// Resolver runs the offline bundle test from the evidence page; nil:
	// the test is refused (503).
	Resolver Resolver
	// Canary runs a site's canary from the selectors page; nil: refused
	// (503).
	Canary CanaryChecker
	// Schedules checks the schedules administered from the console and
	// lists the configuration file's (schedules.go); nil: the schedules
	// page is read-only.
	Schedules ScheduleAdmin
	// PollInterval is how often a run's event stream looks for new steps
	// (500 ms when 0).
	PollInterval time.Duration
	// Vault keeps the credentials the admin's credentials page shows and
	// changes; nil (no vault key): the page says so and changes are
	// refused (503).
	Vault *vault.Vault
	// OIDC, when set, offers single sign-on on the login page (see
	// OIDCConfig and NewOIDC).
	OIDC *OIDC
}

// Server is the console's HTTP handler.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	matrix map[string]Access
	routes []string
	pages  map[string]*template.Template
	// dummyHash is verified against for unknown users, so that a login's
	// time does not tell whether the user exists.
	dummyHash string
	limiter   *addrLimiter
	// streams is closed by CloseStreams: open event streams end.
	streams   chan struct{}
	closeOnce sync.Once
}

// CloseStreams ends every open event stream (their browsers reconnect
// elsewhere or later), so that an http.Server's Shutdown, which waits for
// active connections, need not wait for them: register it with
// RegisterOnShutdown.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.streams) })
}

// New returns a console over cfg's store. It fails when a template does
// not parse.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("console: no store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxSessionAge == 0 {
		cfg.MaxSessionAge = 12 * time.Hour
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = 5
	}
	if cfg.LockFor == 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), matrix: Matrix(), limiter: &addrLimiter{m: map[string]*addrState{}}, streams: make(chan struct{})}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	// Unknown users are checked against a hash of a random token: the
	// same work as a real user's, never a match.
	tok, _, err := NewToken()
	if err != nil {
		return nil, err
	}
	if s.dummyHash, err = HashPassword(tok); err != nil {
		return nil, err
	}
	s.register()
	s.registerCredentials()
	s.registerFinance()
	s.registerSchedules()
	return s, nil
}

// Routes lists every registered route pattern ("METHOD /path"), sorted:
// what the RBAC test checks against Matrix.
func (s *Server) Routes() []string {
	r := slices.Clone(s.routes)
	sort.Strings(r)
	return r
}

// kind says how a route authenticates: pages by session cookie, the API
// by Bearer token.
type kind int

const (
	pageRoute kind = iota
	apiRoute
)

// IsAPI reports whether path authenticates by Bearer token and answers
// JSON (or, for /metrics, Prometheus' text): the API and the metrics a
// scraper reads with a token.
func IsAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/metrics"
}

// handle registers h under pattern behind authentication, the matrix and
// (for changes) CSRF protection. A pattern without a matrix entry is
// registered, and denied to everyone.
func (s *Server) handle(pattern string, h func(w http.ResponseWriter, r *http.Request, who *identity)) {
	s.routes = append(s.routes, pattern)
	k := pageRoute
	if _, path, _ := strings.Cut(pattern, " "); IsAPI(path) {
		k = apiRoute
	}
	access, known := s.matrix[pattern]
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if access.Public {
			if r.Method == http.MethodPost && !s.sameOrigin(r) {
				s.fail(w, r, k, http.StatusForbidden, "cross-origin request refused")
				return
			}
			h(w, r, nil)
			return
		}
		var who *identity
		var err error
		if k == apiRoute {
			who, err = s.bearer(r)
		} else {
			who, err = s.session(w, r)
		}
		if err != nil {
			s.cfg.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("console: authentication")
			s.fail(w, r, k, http.StatusInternalServerError, "internal error")
			return
		}
		if who == nil {
			if k == apiRoute {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
				s.fail(w, r, k, http.StatusUnauthorized, "authentication required")
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if !known || !access.allows(who.role) {
			s.cfg.Logger.Warn().Str("user", who.user.Name).Str("role", string(who.role)).Str("route", pattern).Msg("console: forbidden")
			s.fail(w, r, k, http.StatusForbidden, "forbidden")
			return
		}
		if k == pageRoute && r.Method != http.MethodGet && r.Method != http.MethodHead {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf")
			}
			if !s.sameOrigin(r) || tok == "" || !sameToken(tok, who.csrf) {
				s.cfg.Logger.Warn().Str("user", who.user.Name).Str("route", pattern).Msg("console: CSRF check failed")
				s.fail(w, r, k, http.StatusForbidden, "the form expired or came from elsewhere: reload the page and try again")
				return
			}
		}
		h(w, r, who)
	})
}

// pageCSP is every answer's Content-Security-Policy: scripts and styles
// only from the console's own files, nothing inline, no frames (the
// evidence page alone frames captured DOM, from 'self').
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP serves the console with its security headers and an access
// log line (method, path, status, user: never a query, cookie or token).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with forms, and the Origin check refuses them.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := s.cfg.Now()
	s.mux.ServeHTTP(rec, r)
	s.cfg.Logger.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", rec.status).Dur("took", s.cfg.Now().Sub(start)).Msg("console")
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's Flush (the
// run event stream flushes each event).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// sameOrigin checks a change's Origin (or, without one, its Referer)
// against the host it was sent to; a request with neither passes on its
// CSRF token alone (old clients, curl).
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
		if origin == "" {
			return true
		}
	}
	if origin == "null" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	want := scheme + "://" + r.Host
	return origin == want || strings.HasPrefix(origin, want+"/")
}

// fail answers an error: JSON on the API, a short page otherwise. msg
// must hold nothing secret.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, k kind, code int, msg string) {
	if k == apiRoute {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = s.pages["error"].ExecuteTemplate(w, "layout", pageData{Title: http.StatusText(code), Error: msg})
}

// clientAddr is the request's peer address without its port. Forwarded
// headers are not trusted: a proxy in front must be configured as such
// (not yet supported).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addrLimiter counts failed logins per client address, in memory: a
// restart forgets them (the per-user lockout is in the database).
type addrLimiter struct {
	mu sync.Mutex
	m  map[string]*addrState
}

type addrState struct {
	failures int
	until    time.Time
}

// locked reports whether addr may not log in at now.
func (l *addrLimiter) locked(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[addr]
	return st != nil && now.Before(st.until)
}

// failed counts a failure from addr and locks it at max.
func (l *addrLimiter) failed(addr string, now time.Time, max int, lockFor time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[addr]
	if st == nil {
		if len(l.m) > 100000 {
			// Bounded memory under a spray from many addresses: forget
			// the ones no longer locked.
			for a, x := range l.m {
				if !now.Before(x.until) {
					delete(l.m, a)
				}
			}
		}
		st = &addrState{}
		l.m[addr] = st
	}
	st.failures++
	if st.failures >= max {
		st.failures, st.until = 0, now.Add(lockFor)
	}
}

// succeeded forgets addr's failures.
func (l *addrLimiter) succeeded(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, addr)
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(template.FuncMap{"when": when, "sub": func(a, b int) int { return a - b }}).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// when formats a time for pages: empty when zero, with its zone.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 MST")
}
