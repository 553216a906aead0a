package console

// River's own queue view (riverqueue.com/riverui, the release that pairs
// with River v0.47.0) mounted under /admin/river/ behind the console's
// session and the matrix (admins only). It is mounted read-only: only GET
// and HEAD reach it, because a change made there (cancel, retry, delete a
// job, pause a queue) would bypass Ferry's audit log and CSRF protection;
// other methods get 405. Its pages are a React application whose styles
// are injected at run time, so the prefix gets its own CSP, which differs
// from the console's only in allowing inline styles (scripts still only
// from 'self').

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"riverqueue.com/riverui"
)

// RiverPrefix is where River's UI is mounted.
const RiverPrefix = "/admin/river"

// riverCSP is the CSP of River's UI: the console's, with inline styles.
const riverCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// NewRiverUI returns River's UI over db's River tables, mounted at
// prefix, and starts its background services until ctx ends. It runs on
// either database: an insert-only River client on the database's own
// driver (riverpgxv5 or riversqlite) serves its queries.
func NewRiverUI(ctx context.Context, db *storage.DB, prefix string) (http.Handler, error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var opts *riverui.HandlerOpts
	if db.Postgres() {
		client, err := river.NewClient(riverpgxv5.New(db.Pool), &river.Config{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("console: river UI client: %w", err)
		}
		opts = &riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(client, nil), Logger: logger, Prefix: prefix}
	} else {
		client, err := river.NewClient(riversqlite.New(db.SQL), &river.Config{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("console: river UI client: %w", err)
		}
		opts = &riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(client, nil), Logger: logger, Prefix: prefix}
	}
	h, err := riverui.NewHandler(opts)
	if err != nil {
		return nil, fmt.Errorf("console: river UI: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("console: river UI: start: %w", err)
	}
	return h, nil
}

// registerRiver mounts River's UI, built on first use over the console's
// store (a *storage.DB) and stopped by CloseStreams.
func (s *Server) registerRiver() {
	var (
		once sync.Once
		h    http.Handler
		herr error
	)
	s.handle("GET "+RiverPrefix+"/", func(w http.ResponseWriter, r *http.Request, who *identity) {
		db, ok := s.cfg.Store.(*storage.DB)
		if !ok {
			s.fail(w, r, pageRoute, http.StatusNotImplemented, "River's queue view needs Ferry's database")
			return
		}
		once.Do(func() {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.streams; cancel() }()
			h, herr = NewRiverUI(ctx, db, RiverPrefix)
		})
		if herr != nil {
			s.internal(w, r, pageRoute, herr)
			return
		}
		w.Header().Set("Content-Security-Policy", riverCSP)
		h.ServeHTTP(w, r)
	})
}
