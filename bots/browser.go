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
	"path/filepath"
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
	// ProfileRoot holds the profile (user data) directories of the
	// browsers Ferry launches, one per browser (default: ferry-chromium
	// in the system's temporary directory). Launch removes those no live
	// browser uses: left by a process that was killed.
	ProfileRoot string
	Logger      zerolog.Logger
}

// Browser is one Chromium shared by the runs of a process.
type Browser struct {
	proc *chromium
	b    *rod.Browser
	log  zerolog.Logger
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

// DefaultProfileRoot is where profiles go unless BrowserOptions says.
func DefaultProfileRoot() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("ferry-chromium-%d", os.Geteuid()))
}

// Launch starts (or connects to) the browser. A launched Chromium dies
// with the Ferry process, however that ends (SIGKILL included), and its
// profile is removed by Close or, after a kill, by the next Launch.
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
		root := o.ProfileRoot
		if root == "" {
			root = DefaultProfileRoot()
		}
		if n, err := SweepProfiles(root); err != nil {
			br.log.Warn().Err(err).Str("dir", root).Msg("could not sweep stale browser profiles")
		} else if n > 0 {
			br.log.Info().Int("profiles", n).Str("dir", root).Msg("removed browser profiles left by killed processes")
		}
		l := launcher.New().Headless(!o.Headful).
			// As root outside a container Chromium refuses to start sandboxed.
			NoSandbox(os.Geteuid() == 0).
			Set("disable-gpu").Set("disable-background-networking").Set("disable-component-update").
			Set("disable-sync").Set("no-first-run").Set("disable-quic").Set("disable-features", "Translate,MediaRouter").
			Set("disable-dev-shm-usage")
		p, err := startChromium(ctx, bin, root, l)
		if err != nil {
			return nil, err
		}
		br.proc, u = p, p.url
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
// protocol first, then makes sure the process group is gone.
func (br *Browser) Close() error {
	var err error
	if br.b != nil {
		err = br.b.Close()
	}
	br.stopProcess()
	return err
}

func (br *Browser) stopProcess() {
	if br.proc != nil {
		br.proc.stop(5 * time.Second)
	}
}

// ProfileDir is the launched browser's profile directory (empty for a
// remote browser).
func (br *Browser) ProfileDir() string {
	if br.proc == nil {
		return ""
	}
	return br.proc.dir
}

// PID is the launched browser's process id (0 for a remote browser).
func (br *Browser) PID() int {
	if br.proc == nil {
		return 0
	}
	return br.proc.pid
}

// Rod returns the underlying rod browser, for benchmarks that compare
// Ferry with a plain go-rod program in the same browser.
func (br *Browser) Rod() *rod.Browser { return br.b }
