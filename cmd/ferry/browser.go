package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// browserRemoteEnv names the environment variable that overrides
// browser.remote, as FERRY_DATABASE overrides database:.
const browserRemoteEnv = "FERRY_BROWSER_REMOTE"

// BrowserConfig is the browser: key of ferry.yaml: which browser runs the
// bots. Without it Ferry launches its own headless Chromium (chromium:
// names the binary).
type BrowserConfig struct {
	// Remote is a running browser's DevTools endpoint, reached over CDP
	// instead of launching one: ws://host:port/devtools/browser/ID, or
	// http://host:port (Ferry asks its /json/version for the websocket).
	// Each run gets its own incognito context there; Ferry never closes
	// the browser itself. FERRY_BROWSER_REMOTE overrides it.
	Remote string `yaml:"remote"`
}

// checkRemoteURL says what is wrong with a remote browser URL, or "". The
// answer never quotes the URL's query or password (tokens go there).
func checkRemoteURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a URL"
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Sprintf("scheme %q: want ws://, wss://, http:// or https:// (the browser's DevTools endpoint)", u.Scheme)
	}
	if u.Host == "" {
		return "names no host"
	}
	return ""
}

// checkBrowser checks the browser: key, each problem at its line.
func (c *Config) checkBrowser() []*configError {
	r := c.Browser.Remote
	if r == "" {
		return nil
	}
	var errs []*configError
	if msg := checkRemoteURL(r); msg != "" {
		errs = append(errs, c.errAt("browser.remote: %s", msg)("browser", "remote"))
	}
	if c.Chromium != "" {
		errs = append(errs, c.errAt("browser.remote and chromium: are both set: a remote browser is not launched, give one of them")("browser", "remote"))
	}
	return errs
}

// browserOptions are the engine's options from the config, with
// FERRY_BROWSER_REMOTE applied.
func (c *Config) browserOptions(log zerolog.Logger) (bots.BrowserOptions, error) {
	o := bots.BrowserOptions{Bin: c.Chromium, RemoteURL: c.Browser.Remote, Logger: log}
	if v := os.Getenv(browserRemoteEnv); v != "" {
		if msg := checkRemoteURL(v); msg != "" {
			return o, &configError{file: "environment", msg: browserRemoteEnv + ": " + msg}
		}
		o.RemoteURL, o.Bin = v, ""
	}
	return o, nil
}

// launchBrowser starts the configured browser, or connects to the remote
// one. No Chromium installed, or a remote browser that cannot be reached,
// is a missing dependency (its own exit code), the message naming the
// binary or the URL.
func launchBrowser(ctx context.Context, cfg *Config, log zerolog.Logger) (*bots.Browser, error) {
	o, err := cfg.browserOptions(log)
	if err != nil {
		return nil, err
	}
	b, err := bots.Launch(ctx, o)
	var ue *bots.UnavailableError
	switch {
	case errors.Is(err, bots.ErrNoBrowser):
		return nil, &exitError{exitMissingDependency, err}
	case errors.As(err, &ue) && ue.URL != "":
		return nil, &exitError{exitMissingDependency, fmt.Errorf("%w (browser.remote in %s, or %s)", err, cfg.path, browserRemoteEnv)}
	case errors.As(err, &ue):
		return nil, &exitError{exitMissingDependency, err}
	}
	return b, err
}
