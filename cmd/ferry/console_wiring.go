package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/rs/zerolog"
)

// ConsoleConfig is the configuration's console: section.
//
//	console:
//	  addr: 127.0.0.1:8080   # empty: no console
//	  secure_cookies: false  # true behind a TLS-terminating proxy
type ConsoleConfig struct {
	Addr          string `yaml:"addr"`
	SecureCookies bool   `yaml:"secure_cookies"`
}

// runningConsole is a console being served; stop ends it.
type runningConsole struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Addr is where the console listens (the port chosen when addr said 0).
func (c *runningConsole) Addr() string { return c.ln.Addr().String() }

// stop lets requests in flight finish (until ctx ends) and closes the
// listener.
func (c *runningConsole) stop(ctx context.Context) error {
	err := c.srv.Shutdown(ctx)
	if serr := <-c.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("console: stop: %w", err)
	}
	return nil
}

// startConsole serves the console for an opened app on cc.Addr: pages and
// API over the app's database, ad-hoc runs queued on its runner with the
// configured credentials. serve calls it after openApp when the config has
// a console address, and stops it before closing the app.
func startConsole(cc ConsoleConfig, a *app, cfg *Config, creds runner.StaticCredentials, log zerolog.Logger) (*runningConsole, error) {
	if cc.Addr == "" {
		return nil, errors.New("console: no addr configured")
	}
	svc := newService(a.db, cfg)
	starter := console.StarterFunc(func(ctx context.Context, req service.RunRequest) (int64, error) {
		id, _, err := svc.StartRun(ctx, a.runner, creds, req)
		return id, err
	})
	// svc also decides heals and retries deliveries for the ops pages: the
	// same code as ferry selectors heals accept and ferry deliveries retry.
	ccfg := console.Config{Store: a.db, Starter: starter, Ops: svc, Resolver: a.browser, Logger: log, SecureCookies: cc.SecureCookies}
	// The runner checks schedules administered from the console as it
	// will fire them (bot, login, site, cron, zone, parameters).
	if a.runner != nil {
		ccfg.Schedules = a.runner
	}
	h, err := console.New(ccfg)
	if err != nil {
		return nil, err
	}
	// The answer API for codes (issue 12): the same API tokens, or the
	// configured secret for an SMS gateway; answers wake this process's
	// waiting run at once.
	answers := service.ChallengeHTTP{Store: a.db, Tokens: a.db, Secret: cfg.Challenges.secret, CodePattern: cfg.Challenges.pattern}
	if a.runner != nil {
		answers.Wake = a.runner.Wake
	}
	mux := http.NewServeMux()
	mux.Handle("/api/challenges/", http.StripPrefix("/api/challenges", service.ChallengeHandler(answers)))
	mux.Handle("/", h)
	ln, err := net.Listen("tcp", cc.Addr)
	if err != nil {
		return nil, fmt.Errorf("console: listen on %s: %w", cc.Addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	// Shutdown waits for active connections: live run streams end at once.
	srv.RegisterOnShutdown(h.CloseStreams)
	c := &runningConsole{srv: srv, ln: ln, done: make(chan error, 1)}
	go func() { c.done <- srv.Serve(ln) }()
	log.Info().Str("addr", c.Addr()).Msg("console serving")
	return c, nil
}
