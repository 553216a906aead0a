package bots_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/rs/zerolog"
)

// cdpCounter is a DevTools websocket proxy that counts what the client
// sends the browser: CDP requests, their bytes, and how many carried the
// whole of lookup.js.
type cdpCounter struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex
	requests int
	bytes    int
	injects  int // requests that define lookup.js in a document
	full     int // requests that carry lookup.js's source at all
	methods  map[string]int
	// injected counts injections by the document they went to (the
	// session and the remote object or execution context called on).
	injected map[string]int
}

// lookupMarker is a line only lookup.js's source has.
const lookupMarker = "fingerprints and healing"

func newCDPCounter(t testing.TB, target string) *cdpCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cdpCounter{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	return c
}

func (c *cdpCounter) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", c.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(client, server); client.Close() }()
	r := bufio.NewReader(client)
	// The HTTP upgrade request, as is.
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := server.Write([]byte(line)); err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	// Websocket frames, client to server: masked, passed on unchanged.
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		raw := append([]byte(nil), h[:]...)
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return
			}
			raw = append(raw, b[:]...)
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return
			}
			raw = append(raw, b[:]...)
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask [4]byte
		if h[1]&0x80 != 0 {
			if _, err := io.ReadFull(r, mask[:]); err != nil {
				return
			}
			raw = append(raw, mask[:]...)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		if _, err := server.Write(append(raw, payload...)); err != nil {
			return
		}
		if h[1]&0x80 != 0 {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		op := h[0] & 0x0f
		if op == 1 || op == 2 || op == 0 {
			msg = append(msg, payload...)
			if h[0]&0x80 != 0 {
				c.count(msg)
				msg = nil
			}
		}
	}
}

func (c *cdpCounter) count(msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	c.bytes += len(msg)
	var m struct {
		Method    string `json:"method"`
		SessionID string `json:"sessionId"`
		Params    struct {
			ObjectID  string `json:"objectId"`
			ContextID int    `json:"executionContextId"`
		} `json:"params"`
	}
	if json.Unmarshal(msg, &m) == nil {
		if c.methods == nil {
			c.methods = map[string]int{}
		}
		c.methods[m.Method]++
	}
	if bytes.Contains(msg, []byte(lookupMarker)) {
		c.full++
		if bytes.Contains(msg, []byte("__ferryLookup")) {
			c.injects++
			if c.injected == nil {
				c.injected = map[string]int{}
			}
			c.injected[fmt.Sprintf("%s/%s/%d", m.SessionID, m.Params.ObjectID, m.Params.ContextID)]++
		}
	}
}

func (c *cdpCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests, c.bytes, c.injects, c.full = 0, 0, 0, 0
	c.methods, c.injected = nil, nil
}

func (c *cdpCounter) read() (requests, bytes, injects, full int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, c.bytes, c.injects, c.full
}

// countedBrowser connects to the test's Chromium through a cdpCounter.
func countedBrowser(t testing.TB) (*bots.Browser, *cdpCounter) {
	t.Helper()
	u, err := url.Parse(browser.ControlURL())
	if err != nil {
		t.Fatal(err)
	}
	c := newCDPCounter(t, u.Host)
	u.Host = c.ln.Addr().String()
	br, err := bots.Launch(context.Background(), bots.BrowserOptions{RemoteURL: u.String(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	return br, c
}

// lookup.js (15 KB) goes to each document once, not with every lookup:
// the nightly run's three documents (login, accounts, statements) get it
// once each, and its lookups send only a short call.
func TestLookupJSIsInjectedOncePerDocument(t *testing.T) {
	t.Parallel()
	br, c := countedBrowser(t)
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[0]
	j := job(t, base, u)
	j.StepTimeout = 20 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c.reset()
	res, err := br.Run(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Downloads) != 9 {
		t.Fatalf("%d downloads", len(res.Downloads))
	}
	reqs, b, injects, full := c.read()
	c.mu.Lock()
	t.Logf("by method: %v", c.methods)
	c.mu.Unlock()
	t.Logf("one nightly run: %d CDP requests, %d bytes; lookup.js injected %d times, sent in full %d times", reqs, b, injects, full)
	if injects < 1 || injects > 4 {
		t.Errorf("lookup.js injected %d times for 3 documents", injects)
	}
	if lookups := len(res.Trace); full-injects > lookups/2 {
		t.Errorf("lookup.js sent in full %d times outside injections (%d steps): lookups resend it", full-injects, lookups)
	}
}

// BenchmarkNightlyCDP runs the sandbox's nightly flow through a counting
// DevTools proxy and reports what one run sends the browser: CDP
// requests, bytes, and lookup.js in full.
func BenchmarkNightlyCDP(b *testing.B) {
	br, c := countedBrowser(b)
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	j := job(b, base, sandbox.DefaultUsers()[0])
	j.Logger = zerolog.Nop()
	j.StepTimeout = 20 * time.Second
	var reqs, byts, full []float64
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.reset()
		t0 := time.Now()
		res, err := br.Run(context.Background(), j)
		if err != nil || len(res.Downloads) != 9 {
			b.Fatalf("run: %v", err)
		}
		took = append(took, time.Since(t0))
		r, by, _, f := c.read()
		reqs, byts, full = append(reqs, float64(r)), append(byts, float64(by)), append(full, float64(f))
	}
	b.StopTimer()
	b.ReportMetric(medianF(reqs), "cdp-requests/run")
	b.ReportMetric(medianF(byts), "cdp-bytes/run")
	b.ReportMetric(medianF(full), "lookupjs-full/run")
	b.ReportMetric(float64(median(took).Milliseconds()), "ms/run")
}

func medianF(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
