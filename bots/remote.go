package bots

// Reaching a browser's DevTools endpoint: a remote browser's HTTP
// endpoint resolved to its websocket, and a websocket connection that
// says when it dropped, so that the next run replaces the browser instead
// of failing for good on a closed connection.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-rod/rod/lib/cdp"
)

// openRemote connects to the remote browser. A websocket URL is tried as
// given; when it names a browser id that is gone (the browser restarted
// on the same port, with a new id), its host's /json/version gives the
// current one. An HTTP URL is always resolved through /json/version.
func (br *Browser) openRemote(ctx context.Context) (*session, error) {
	raw := br.opts.RemoteURL
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &UnavailableError{URL: redactURL(raw), Err: errors.New("not a ws://, wss://, http:// or https:// URL")}
	}
	fail := func(err error) (*session, error) {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bots: connect to remote browser %s: %w", redactURL(raw), ctx.Err())
		}
		return nil, &UnavailableError{URL: redactURL(raw), Err: err}
	}
	switch u.Scheme {
	case "ws", "wss":
		s, err := br.attach(ctx, raw, br.opts.ConnectTimeout)
		if err == nil {
			return s, nil
		}
		var bad *cdp.BadHandshakeError
		if !errors.As(err, &bad) || !strings.HasPrefix(u.Path, "/devtools/browser/") {
			return fail(err)
		}
		ws, rerr := resolveDevTools(ctx, u, br.opts.ConnectTimeout)
		if rerr != nil {
			return fail(fmt.Errorf("%w; and asking its host for the current browser: %w", err, rerr))
		}
		if ws == raw {
			return fail(err)
		}
		br.log.Warn().Str("remote", redactURL(raw)).Str("control_url", redactURL(ws)).
			Msg("the remote browser's id changed (it restarted): connecting to the current one")
		s, err = br.attach(ctx, ws, br.opts.ConnectTimeout)
		if err != nil {
			return fail(err)
		}
		return s, nil
	case "http", "https":
		ws, err := resolveDevTools(ctx, u, br.opts.ConnectTimeout)
		if err != nil {
			return fail(err)
		}
		s, err := br.attach(ctx, ws, br.opts.ConnectTimeout)
		if err != nil {
			return fail(fmt.Errorf("connect to %s: %w", redactURL(ws), err))
		}
		return s, nil
	}
	return nil, &UnavailableError{URL: redactURL(raw), Err: fmt.Errorf("scheme %q: want ws, wss, http or https", u.Scheme)}
}

// resolveDevTools asks a browser's HTTP endpoint (the host of u) for its
// websocket URL. The answer names the browser as it sees itself (often
// 127.0.0.1 or 0.0.0.0 inside a container): the host Ferry reached, and
// u's query (a token some browser services require), are kept instead.
func resolveDevTools(ctx context.Context, u *url.URL, timeout time.Duration) (string, error) {
	v := *u
	v.Path, v.RawPath, v.Fragment = "/json/version", "", ""
	switch u.Scheme {
	case "ws":
		v.Scheme = "http"
	case "wss":
		v.Scheme = "https"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.String(), nil)
	if err != nil {
		return "", fmt.Errorf("GET /json/version: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		// The error names the URL, query included: say it without.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("GET %s: %w", redactURL(v.String()), err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", redactURL(v.String()), err)
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", redactURL(v.String()), res.Status)
	}
	var version struct {
		WebSocket string `json:"webSocketDebuggerUrl"`
	}
	if err := json.Unmarshal(body, &version); err != nil || version.WebSocket == "" {
		return "", fmt.Errorf("GET %s: no webSocketDebuggerUrl in the answer (is it a browser's DevTools endpoint?)", redactURL(v.String()))
	}
	ws, err := url.Parse(version.WebSocket)
	if err != nil || (ws.Scheme != "ws" && ws.Scheme != "wss") {
		return "", fmt.Errorf("GET %s: webSocketDebuggerUrl %q is not a websocket URL", redactURL(v.String()), version.WebSocket)
	}
	ws.Host = u.Host
	if u.Scheme == "https" || u.Scheme == "wss" {
		ws.Scheme = "wss"
	}
	if ws.RawQuery == "" {
		ws.RawQuery = u.RawQuery
	}
	return ws.String(), nil
}

// redactURL is u for messages and logs: the password and every query
// value (browser services take tokens there) are hidden.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// dialDevTools opens a websocket to a DevTools endpoint. ctx and timeout
// bound the dial and the handshake; the connection then has no deadline.
func dialDevTools(ctx context.Context, wsURL string, timeout time.Duration) (*socket, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, err
	}
	d := &deadlineDialer{tls: u.Scheme == "wss", deadline: time.Now().Add(timeout)}
	ws := &cdp.WebSocket{Dialer: d}
	ctx, cancel := context.WithDeadline(ctx, d.deadline)
	defer cancel()
	if err := ws.Connect(ctx, wsURL, nil); err != nil {
		if d.conn != nil {
			d.conn.Close()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		return nil, err
	}
	if err := d.conn.SetDeadline(time.Time{}); err != nil {
		d.conn.Close()
		return nil, err
	}
	return &socket{ws: ws, conn: d.conn, dead: make(chan struct{})}, nil
}

// deadlineDialer dials with a deadline on the whole handshake (rod's own
// dialer leaves a browser that accepts and never answers hanging), and
// keeps the connection so that the deadline can be lifted after.
type deadlineDialer struct {
	tls      bool
	deadline time.Time
	conn     net.Conn
}

// DialContext implements cdp.Dialer.
func (d *deadlineDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		// No port in the URL: the scheme's.
		host, port = address, "80"
		if d.tls {
			port = "443"
		}
		address = net.JoinHostPort(host, port)
	}
	nd := &net.Dialer{KeepAlive: 15 * time.Second}
	c, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(d.deadline); err != nil {
		c.Close()
		return nil, err
	}
	if d.tls {
		tc := tls.Client(c, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	d.conn = c
	return c, nil
}

// socket is a DevTools websocket that tells when it dropped: dead is
// closed before any call learns of the failure, so a caller that sees an
// error can tell a dead browser from a refusal.
type socket struct {
	ws   *cdp.WebSocket
	conn net.Conn
	once sync.Once
	dead chan struct{}
}

// Send implements cdp.WebSocketable.
func (s *socket) Send(b []byte) error {
	err := s.ws.Send(b)
	if err != nil {
		s.markDead()
	}
	return err
}

// Read implements cdp.WebSocketable.
func (s *socket) Read() ([]byte, error) {
	b, err := s.ws.Read()
	if err != nil {
		s.markDead()
	}
	return b, err
}

func (s *socket) markDead() { s.once.Do(func() { close(s.dead) }) }

func (s *socket) isDead() bool {
	select {
	case <-s.dead:
		return true
	default:
		return false
	}
}

// close drops the connection (the browser stays up).
func (s *socket) close() {
	s.markDead()
	_ = s.conn.Close()
}
