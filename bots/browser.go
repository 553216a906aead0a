// Package bots is Ferry's browser engine and the only package that imports
// go-rod: one long-lived Chromium per process (launched, or a remote one
// reached over the DevTools protocol), a fresh incognito context per run,
// script steps executed against selector files, downloads captured per
// page, and an evidence bundle when a run fails.
package bots

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/cdp"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// BrowserOptions configure the browser.
type BrowserOptions struct {
	// Bin is the Chromium binary; empty finds the system's (Debian's
	// /usr/bin/chromium). rod never picks the system browser by itself.
	Bin string
	// RemoteURL connects to a running browser over the DevTools protocol
	// instead of launching one: its websocket endpoint
	// (ws://host:port/devtools/browser/ID) or its HTTP endpoint
	// (http://host:port), whose /json/version names the websocket. Ferry
	// never closes a remote browser, only the contexts it opened there.
	RemoteURL string
	// Headful shows the window (for debugging on a desktop).
	Headful bool
	// ProfileRoot holds the profile (user data) directories of the
	// browsers Ferry launches, one per browser (default: ferry-chromium
	// in the system's temporary directory). Launch removes those no live
	// browser uses: left by a process that was killed.
	ProfileRoot string
	// ConnectTimeout bounds each attempt to reach the browser's DevTools
	// endpoint once it is running (default 10 s). A remote browser that
	// takes three times as long to open a run's context is taken for
	// hung, and reconnected.
	ConnectTimeout time.Duration
	Logger         zerolog.Logger
}

// Browser is the Chromium shared by the runs of a process. When that
// browser dies (a crash, a kill, a remote browser restarted, a dropped
// connection), the next run replaces it: it launches a fresh local
// Chromium, or reconnects to the remote endpoint.
type Browser struct {
	opts BrowserOptions
	log  zerolog.Logger
	// life is the connections' context: their event loops end with Close,
	// never with the context of the call that happened to open them.
	life context.Context
	end  context.CancelFunc

	mu     sync.Mutex
	cur    *session // the live (or last) connection; nil once closed
	closed bool
}

// session is one connection to one browser process.
type session struct {
	b    *rod.Browser
	sock *socket
	proc *chromium // the process Ferry launched; nil for a remote browser
	url  string    // the websocket it is connected to

	mu sync.Mutex
	// contexts are the incognito contexts opened on it and not yet
	// disposed: what Close disposes on a remote browser.
	contexts map[proto.BrowserBrowserContextID]bool
}

// dead reports whether the session's browser or connection is gone.
func (s *session) dead() bool {
	if s.sock.isDead() {
		return true
	}
	if s.proc != nil {
		select {
		case <-s.proc.exited:
			return true
		default:
		}
	}
	return false
}

// ErrNoBrowser reports that no Chromium could be found.
var ErrNoBrowser = errors.New("no Chromium found: install Debian's chromium package (apt-get install chromium) or pass --chromium PATH")

// UnavailableError reports that the browser could not be reached (a
// remote one) or started (a local one). Launch returns it, and a run
// that finds its browser dead and cannot replace it fails with it
// wrapped in a retryable *ferry.Error: the browser may be back later.
type UnavailableError struct {
	// URL is the remote browser's endpoint as configured, with its query
	// values and password hidden; empty for a local browser.
	URL string
	// Bin is the local Chromium binary; empty for a remote browser.
	Bin string
	Err error
}

func (e *UnavailableError) Error() string {
	if e.URL != "" {
		return fmt.Sprintf("remote browser %s cannot be reached: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("browser %s cannot be started: %v", e.Bin, e.Err)
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

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
//
// It returns ErrNoBrowser when no local Chromium is installed, an error
// wrapping ctx's when ctx ends first, and otherwise an *UnavailableError
// when the browser cannot be started or reached.
func Launch(ctx context.Context, o BrowserOptions) (*Browser, error) {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	br := &Browser{opts: o, log: o.Logger}
	br.life, br.end = context.WithCancel(context.Background())
	if o.RemoteURL == "" {
		if o.Bin == "" {
			bin, err := FindChromium()
			if err != nil {
				br.end()
				return nil, err
			}
			br.opts.Bin = bin
		}
		root := o.ProfileRoot
		if root == "" {
			root = DefaultProfileRoot()
		}
		br.opts.ProfileRoot = root
		if n, err := SweepProfiles(root); err != nil {
			br.log.Warn().Err(err).Str("dir", root).Msg("could not sweep stale browser profiles")
		} else if n > 0 {
			br.log.Info().Int("profiles", n).Str("dir", root).Msg("removed browser profiles left by killed processes")
		}
	}
	s, err := br.open(ctx)
	if err != nil {
		br.end()
		return nil, err
	}
	br.cur = s
	return br, nil
}

// open starts a local browser or reaches the remote one, and connects.
func (br *Browser) open(ctx context.Context) (*session, error) {
	if br.opts.RemoteURL != "" {
		return br.openRemote(ctx)
	}
	l := launcher.New().Headless(!br.opts.Headful).
		// As root outside a container Chromium refuses to start sandboxed.
		NoSandbox(os.Geteuid() == 0).
		Set("disable-gpu").Set("disable-background-networking").Set("disable-component-update").
		Set("disable-sync").Set("no-first-run").Set("disable-quic").Set("disable-features", "Translate,MediaRouter").
		Set("disable-dev-shm-usage")
	p, err := startChromium(ctx, br.opts.Bin, br.opts.ProfileRoot, l)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &UnavailableError{Bin: br.opts.Bin, Err: err}
	}
	// Its own process, just started: as long as its start may take.
	s, err := br.attach(ctx, p.url, launchTimeout)
	if err != nil {
		p.stop(0)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bots: connect to browser: %w", ctx.Err())
		}
		return nil, &UnavailableError{Bin: br.opts.Bin, Err: fmt.Errorf("connect to %s: %w", p.url, err)}
	}
	s.proc = p
	br.log.Debug().Str("control_url", p.url).Int("pid", p.pid).Msg("browser ready")
	return s, nil
}

// attach connects to the browser at a websocket URL. The connection's
// event loop lives until Close; ctx and timeout bound the connect.
func (br *Browser) attach(ctx context.Context, wsURL string, timeout time.Duration) (*session, error) {
	sock, err := dialDevTools(ctx, wsURL, timeout)
	if err != nil {
		return nil, err
	}
	// rod's first call runs on the connection's long-lived context: a
	// browser that accepted the socket and never answers is cut off here.
	t := time.AfterFunc(timeout, sock.close)
	stop := context.AfterFunc(ctx, sock.close)
	// NoDefaultDevice: rod's default emulation sends an old user agent.
	b := rod.New().Client(cdp.New().Start(sock)).Context(br.life).NoDefaultDevice()
	err = b.Connect()
	t.Stop()
	stop()
	if err == nil && sock.isDead() {
		err = errors.New("the connection closed while connecting")
	}
	if err != nil {
		sock.close()
		return nil, err
	}
	return &session{b: b, sock: sock, url: wsURL, contexts: map[proto.BrowserBrowserContextID]bool{}}, nil
}

// incognito opens a fresh incognito context for one run or lookup, on
// the live browser: when the browser is found dead, it is replaced first
// (launched anew, or reconnected). done disposes the context; call it
// once the context is no longer used. Errors are *ferry.Error: internal
// when the browser is alive but refuses, site_unavailable (retryable,
// wrapping *UnavailableError) when it is dead and cannot be replaced.
func (br *Browser) incognito(ctx context.Context) (inc *rod.Browser, done func(), err error) {
	s, err := br.live(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	inc, err = s.newContext(ctx, br.hangAfter(s))
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// A browser that takes that long to open a context is hung, or
		// the network to it is (slow is seconds, even on a loaded
		// machine): drop it like a dead one.
		br.log.Warn().Str("control_url", redactURL(s.url)).Dur("waited", br.hangAfter(s)).Msg("the browser does not answer")
		s.sock.close()
	}
	if err != nil && ctx.Err() == nil && s.dead() {
		// It died since the last run: a later run must not inherit its
		// closed connection.
		if s, err = br.live(ctx, s); err != nil {
			return nil, nil, err
		}
		inc, err = s.newContext(ctx, br.hangAfter(s))
	}
	if err != nil {
		return nil, nil, ferry.Errorf(ferry.ClassInternal, "browser", "new incognito context: %v", err)
	}
	id := inc.BrowserContextID
	return inc, func() { s.dispose(id) }, nil
}

// hangAfter is how long s may take to open a context before it is taken
// for hung: 3 connect timeouts for a remote browser, whose connection is
// all that is dropped; for a local one, which is killed with the runs in
// it, as long as two launches may take.
func (br *Browser) hangAfter(s *session) time.Duration {
	if s.proc != nil {
		return 2 * launchTimeout
	}
	return 3 * br.opts.ConnectTimeout
}

// live returns the current session, replacing it when it is dead or is
// the one the caller found dead (failed).
func (br *Browser) live(ctx context.Context, failed *session) (*session, error) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.closed {
		return nil, ferry.Errorf(ferry.ClassInternal, "browser", "the browser is closed")
	}
	s := br.cur
	if s != nil && s != failed && !s.dead() {
		return s, nil
	}
	if s != nil {
		// Whatever is left of it: the process group and the profile of a
		// local browser, the socket of a remote one. Once only: its
		// process id may be reused.
		s.sock.close()
		if s.proc != nil {
			s.proc.stop(0)
		}
		br.cur = nil
		br.log.Warn().Str("control_url", redactURL(s.url)).Msg("the browser is gone; starting a fresh one")
	}
	n, err := br.open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ferry.Errorf(ferry.ClassInternal, "browser", "cancelled: %v", err)
		}
		// Runs waiting behind this one try again themselves: a remote
		// browser may be back by then.
		return nil, &ferry.Error{Class: ferry.ClassSiteUnavailable, Where: "browser", Err: err}
	}
	br.cur = n
	br.log.Info().Str("control_url", redactURL(n.url)).Msg("browser replaced")
	return n, nil
}

// newContext creates an incognito context, bounded by ctx and timeout,
// and returns it on the connection's own context so that it can still be
// disposed after ctx ended.
func (s *session) newContext(ctx context.Context, timeout time.Duration) (*rod.Browser, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inc, err := s.b.Context(cctx).Incognito()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.contexts[inc.BrowserContextID] = true
	s.mu.Unlock()
	return inc.Context(s.b.GetContext()), nil
}

// dispose closes an incognito context and every page in it.
func (s *session) dispose(id proto.BrowserBrowserContextID) {
	s.mu.Lock()
	open := s.contexts[id]
	delete(s.contexts, id)
	s.mu.Unlock()
	if !open || s.dead() {
		return
	}
	_ = proto.TargetDisposeBrowserContext{BrowserContextID: id}.Call(s.b)
}

// Close ends Ferry's use of the browser. A launched Chromium is closed over
// the protocol, then its process group is killed and its profile removed.
// A remote browser is never closed: only the contexts Ferry opened there
// are disposed, and the connection is dropped.
func (br *Browser) Close() error {
	br.mu.Lock()
	s := br.cur
	br.cur, br.closed = nil, true
	br.mu.Unlock()
	defer br.end()
	if s == nil {
		return nil
	}
	defer s.sock.close()
	if s.proc == nil {
		s.mu.Lock()
		ids := make([]proto.BrowserBrowserContextID, 0, len(s.contexts))
		for id := range s.contexts {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		for _, id := range ids {
			s.dispose(id)
		}
		return nil
	}
	var err error
	if !s.dead() {
		ctx, cancel := context.WithTimeout(br.life, br.opts.ConnectTimeout)
		err = proto.BrowserClose{}.Call(s.b.Context(ctx))
		cancel()
		if err != nil && s.dead() {
			err = nil // it closed before it could answer
		}
	}
	s.proc.stop(5 * time.Second)
	return err
}

// session returns the current session, or nil once closed.
func (br *Browser) session() *session {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.cur
}

// ProfileDir is the launched browser's profile directory (empty for a
// remote browser).
func (br *Browser) ProfileDir() string {
	if s := br.session(); s != nil && s.proc != nil {
		return s.proc.dir
	}
	return ""
}

// PID is the launched browser's process id (0 for a remote browser).
func (br *Browser) PID() int {
	if s := br.session(); s != nil && s.proc != nil {
		return s.proc.pid
	}
	return 0
}

// ControlURL is the websocket URL of the browser Ferry is connected to
// now, with query values and password hidden.
func (br *Browser) ControlURL() string {
	if s := br.session(); s != nil {
		return redactURL(s.url)
	}
	return ""
}

// Rod returns the underlying rod browser, for benchmarks that compare
// Ferry with a plain go-rod program in the same browser.
func (br *Browser) Rod() *rod.Browser {
	if s := br.session(); s != nil {
		return s.b
	}
	return nil
}
