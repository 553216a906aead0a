package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/vault"
	"github.com/rs/zerolog"
)

// ConsoleConfig is the configuration's console: section.
//
//	console:
//	  addr: 127.0.0.1:8080   # empty: no console
//	  secure_cookies: false  # true behind a TLS-terminating proxy
//	  oidc:                  # optional single sign-on (see OIDCYAML)
//	    issuer: https://id.example.com
//	    client_id: ferry
//	    client_secret: {env: FERRY_OIDC_SECRET}
//	    redirect_url: https://ferry.example.com/login/oidc/callback
//	    groups: {finance-team: finance, it-ops: ops, it-admins: admin}
type ConsoleConfig struct {
	Addr          string    `yaml:"addr"`
	SecureCookies bool      `yaml:"secure_cookies"`
	OIDC          *OIDCYAML `yaml:"oidc"`
}

// OIDCYAML is console.oidc: single sign-on with an OpenID Connect
// provider. The client secret is read from the environment or a file
// ({env: NAME} or {file: PATH}). A person gets the role role_claim names,
// else the highest role their groups (groups_claim, "groups" by default)
// map to; one no role maps to is refused.
type OIDCYAML struct {
	Issuer       string            `yaml:"issuer"`
	ClientID     string            `yaml:"client_id"`
	ClientSecret Secret            `yaml:"client_secret"`
	RedirectURL  string            `yaml:"redirect_url"`
	Name         string            `yaml:"name"` // "Sign in with NAME"
	RoleClaim    string            `yaml:"role_claim"`
	GroupsClaim  string            `yaml:"groups_claim"`
	Groups       map[string]string `yaml:"groups"`
	Scopes       []string          `yaml:"scopes"`
}

// oidcConfig resolves the OIDC section (its secret read now). Errors
// name the field, never the secret.
func (o *OIDCYAML) oidcConfig() (console.OIDCConfig, error) {
	secret, err := o.ClientSecret.resolve()
	if err != nil {
		return console.OIDCConfig{}, fmt.Errorf("console.oidc.client_secret: %w", err)
	}
	groups := map[string]ferry.Role{}
	for g, r := range o.Groups {
		role, err := ferry.ParseRole(r)
		if err != nil {
			return console.OIDCConfig{}, fmt.Errorf("console.oidc.groups.%s: %w", g, err)
		}
		groups[g] = role
	}
	return console.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURL: o.RedirectURL, Name: o.Name,
		RoleClaim: o.RoleClaim, GroupsClaim: o.GroupsClaim, Groups: groups, Scopes: o.Scopes}, nil
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
	// With a vault the admin's credentials page changes it, and a run
	// started here is planned against the vault as it is now.
	var v *vault.Vault
	if cfg.vaultConfigured() {
		var err error
		if v, err = cfg.openVault(a.db); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	starter := console.StarterFunc(func(ctx context.Context, req service.RunRequest) (int64, error) {
		use := creds
		if v != nil {
			all, err := v.All(ctx)
			if err != nil {
				return 0, err
			}
			use = runner.StaticCredentials(all)
		}
		id, _, err := svc.StartRun(ctx, a.runner, use, req)
		return id, err
	})
	var sso *console.OIDC
	if cc.OIDC != nil {
		oc, err := cc.OIDC.oidcConfig()
		if err != nil {
			return nil, err
		}
		if sso, err = console.NewOIDC(context.Background(), oc); err != nil {
			return nil, err
		}
	}
	// svc also decides heals and retries deliveries for the ops pages: the
	// same code as ferry selectors heals accept and ferry deliveries retry.
	// The canary from the selectors page runs `selectors check` over the
	// app's browser, with the sites' page settings and the logins.
	var canary console.CanaryChecker // nil without a browser: refused
	if a.browser != nil {
		pages := make(map[string]bots.SiteOptions, len(cfg.SiteEntries))
		for name, s := range cfg.SiteEntries {
			pages[name] = s.Page
		}
		canary = &service.Canary{ScriptsDir: cfg.ScriptsDir, SelectorsDir: cfg.SelectorsDir, Sites: cfg.Sites, Pages: pages, Credentials: creds, Engine: a.browser}
	}
	ccfg := console.Config{Store: a.db, Starter: starter, Ops: svc, Resolver: a.browser, Logger: log, SecureCookies: cc.SecureCookies,
		Vault: v, OIDC: sso, Canary: canary}
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
