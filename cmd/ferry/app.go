package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// app is an opened data directory with a browser and a runner.
type app struct {
	db      *storage.DB
	browser *bots.Browser
	runner  *runner.Runner
}

func openDB(ctx context.Context, dataDir string) (*storage.DB, error) {
	return storage.Open(ctx, filepath.Join(dataDir, "ferry.db"), filepath.Join(dataDir, "artifacts"), nil)
}

func launchBrowser(ctx context.Context, bin string, log zerolog.Logger) (*bots.Browser, error) {
	b, err := bots.Launch(ctx, bots.BrowserOptions{Bin: bin, Logger: log})
	if errors.Is(err, bots.ErrNoBrowser) {
		return nil, &exitError{exitMissingDependency, err}
	}
	return b, err
}

// openApp wires storage, the browser and the runner from a config.
func openApp(ctx context.Context, cfg *Config, creds runner.Credentials, log zerolog.Logger, mod func(*runner.Config)) (*app, error) {
	db, err := openDB(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sinks, err := cfg.sinks()
	if err != nil {
		db.Close()
		return nil, err
	}
	br, err := launchBrowser(ctx, cfg.Chromium, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	rc := runner.Config{DB: db, Browser: br, Sites: cfg.Sites, Credentials: creds, ScriptsDir: cfg.ScriptsDir,
		SelectorsDir: cfg.SelectorsDir, Sinks: sinks, Schedules: cfg.Schedules, Workers: cfg.Workers, Logger: log,
		LockPath: filepath.Join(cfg.DataDir, "runner.lock")}
	if mod != nil {
		mod(&rc)
	}
	r, err := runner.New(ctx, rc)
	if err != nil {
		br.Close()
		db.Close()
		return nil, err
	}
	if err := r.Start(ctx); err != nil {
		br.Close()
		db.Close()
		return nil, err
	}
	return &app{db: db, browser: br, runner: r}, nil
}

func (a *app) close(ctx context.Context) {
	if err := a.runner.Stop(ctx); err != nil {
		fmt.Println("ferry: stop:", err)
	}
	a.browser.Close()
	a.db.Close()
}
