package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-rpa/ferry/delivery"
	"os"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// app is an opened data directory with a browser and a runner.
type app struct {
	db      *storage.DB
	browser *bots.Browser
	runner  *runner.Runner
}

// openDB opens (creating if needed) the data directory's database: for
// commands that run bots or record something.
func openDB(ctx context.Context, cfg *Config) (*storage.DB, error) {
	d := service.DataDir(cfg.DataDir)
	db, err := storage.OpenWith(ctx, cfg.storageOptions())
	return db, d.Locked(err)
}

// openExisting opens the data directory's database only if there is one,
// creating no file or directory: read-only commands never create files. It
// returns *service.NoDatabaseError otherwise.
func openExisting(ctx context.Context, cfg *Config) (*storage.DB, error) {
	return service.OpenExistingWith(ctx, service.DataDir(cfg.DataDir), cfg.storageOptions())
}

// noDatabase reports whether err says there is no database yet, telling
// the operator on standard error: a list of nothing is still an answer.
func (g *globals) noDatabase(err error) bool {
	var nd *service.NoDatabaseError
	if !errors.As(err, &nd) {
		return false
	}
	fmt.Fprintln(g.stderr, "ferry:", nd)
	return true
}

// printEmpty is what a list command prints when there is no database
// yet: empty (JSON) under --json, nothing otherwise (noDatabase has said
// why on standard error).
func (g *globals) printEmpty(empty any) error {
	if g.json {
		return g.printJSON(empty)
	}
	return nil
}

// newService is the shared operations over a database and a config.
func newService(db *storage.DB, cfg *Config) *service.Service {
	return &service.Service{Store: db, SelectorsDir: cfg.SelectorsDir, ScriptsDir: cfg.ScriptsDir}
}

// runnerConfig is the runner's configuration from ferry.yaml: every key
// that reaches the runner passes here.
func runnerConfig(cfg *Config, db runner.Store, br runner.Engine, creds runner.Credentials, sinks []delivery.Sink, log zerolog.Logger) runner.Config {
	return runner.Config{DB: db, Browser: cfg.sitePages(br), Sites: cfg.Sites, Credentials: creds, ScriptsDir: cfg.ScriptsDir,
		SelectorsDir: cfg.SelectorsDir, Sinks: sinks, Schedules: cfg.Schedules, Workers: cfg.Workers, Logger: log,
		LockPath: service.DataDir(cfg.DataDir).Lock(), SiteLimits: cfg.siteLimits(), BotTimeouts: cfg.botTimeouts(),
		LoginKeys: cfg.Logins.keys, Refresh: cfg.Logins.policy, Challenges: cfg.Challenges.runner()}
}

// openApp wires storage, the browser and the runner from a config. It
// fails with *service.BusyError, before launching anything, when another
// Ferry process runs in the data directory.
func openApp(ctx context.Context, cfg *Config, creds runner.Credentials, log zerolog.Logger, mod func(*runner.Config)) (*app, error) {
	dir := service.DataDir(cfg.DataDir)
	if err := dir.CheckFree(); err != nil {
		return nil, err
	}
	// The data directory holds the runner's lock (and, on SQLite, the
	// database): made here, since a PostgreSQL database with its artifacts
	// inside makes nothing in it.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sinks, err := cfg.sinks()
	if err != nil {
		db.Close()
		return nil, err
	}
	br, err := launchBrowser(ctx, cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	rc := runnerConfig(cfg, db, br, creds, sinks, log)
	if mod != nil {
		mod(&rc)
	}
	r, err := runner.New(ctx, rc)
	if err != nil {
		br.Close()
		db.Close()
		if busy := dir.CheckFree(); busy != nil {
			// Taken between the check and the runner's own lock.
			return nil, busy
		}
		return nil, dir.Locked(err)
	}
	if err := r.Start(ctx); err != nil {
		br.Close()
		db.Close()
		return nil, err
	}
	return &app{db: db, browser: br, runner: r}, nil
}

func (a *app) close(ctx context.Context) error {
	err := a.runner.Stop(ctx)
	a.browser.Close()
	a.db.Close()
	if err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}
