// Package bots is Ferry's browser engine and the only package that imports
// go-rod: one long-lived Chromium per process, a fresh incognito context per
// run, script steps executed against selector files, downloads captured per
// page, and an evidence bundle when a run fails.
package bots

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/rs/zerolog"
)

// BrowserOptions configure the browser.
type BrowserOptions struct {
	// Bin is the Chromium binary; empty finds the system's (Debian's
	// /usr/bin/chromium). rod never picks the system browser by itself.
	Bin string
	// RemoteURL connects to a running browser over the DevTools protocol
	// instead of launching one.
	RemoteURL string
	// Headful shows the window (for debugging on a desktop).
	Headful bool
	Logger  zerolog.Logger
}

// Browser is one Chromium shared by the runs of a process.
type Browser struct {
	l   *launcher.Launcher
	b   *rod.Browser
	log zerolog.Logger
}

// ErrNoBrowser reports that no Chromium could be found.
var ErrNoBrowser = errors.New("no Chromium found: install Debian's chromium package (apt-get install chromium) or pass --chromium PATH")

// FindChromium returns the system Chromium's path.
func FindChromium() (string, error) {
	if p, ok := launcher.LookPath(); ok {
		return p, nil
	}
	return "", ErrNoBrowser
}

// Launch starts (or connects to) the browser.
func Launch(ctx context.Context, o BrowserOptions) (*Browser, error) {
	br := &Browser{log: o.Logger}
	u := o.RemoteURL
	if u == "" {
		bin := o.Bin
		if bin == "" {
			var err error
			if bin, err = FindChromium(); err != nil {
				return nil, err
			}
		}
		l := launcher.New().Context(ctx).Bin(bin).Headless(!o.Headful).Leakless(false).
			// As root outside a container Chromium refuses to start sandboxed.
			NoSandbox(os.Geteuid() == 0).
			Set("disable-gpu").Set("disable-background-networking").Set("disable-component-update").
			Set("disable-sync").Set("no-first-run").Set("disable-quic").Set("disable-features", "Translate,MediaRouter").
			Set("disable-dev-shm-usage")
		var err error
		if u, err = l.Launch(); err != nil {
			return nil, fmt.Errorf("bots: launch %s: %w", bin, err)
		}
		br.l = l
	}
	// NoDefaultDevice: rod's default emulation sends an old user agent.
	b := rod.New().Context(ctx).ControlURL(u).NoDefaultDevice()
	if err := b.Connect(); err != nil {
		br.stopProcess()
		return nil, fmt.Errorf("bots: connect to browser: %w", err)
	}
	br.b = b.Context(context.Background())
	br.log.Debug().Str("control_url", u).Msg("browser ready")
	return br, nil
}

// Close closes the browser and removes its profile. It closes over the
// protocol first: launcher.Kill sleeps a second.
func (br *Browser) Close() error {
	var err error
	if br.b != nil {
		err = br.b.Close()
	}
	br.stopProcess()
	return err
}

func (br *Browser) stopProcess() {
	if br.l == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		br.l.Cleanup() // waits for the process to exit, then removes the profile
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		br.l.Kill()
		<-done
	}
}

// Rod returns the underlying rod browser, for benchmarks that compare
// Ferry with a plain go-rod program in the same browser.
func (br *Browser) Rod() *rod.Browser { return br.b }
