package bots_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// remoteChromium is a Chromium the test started itself with a debugging
// port, as an operator runs one on another machine or in a container.
type remoteChromium struct {
	pid    int
	port   int
	ws     string // ws://127.0.0.1:PORT/devtools/browser/ID
	exited chan struct{}
}

// startRemoteChromium starts headless Chromium listening for DevTools on
// port (0: any free one) and reads its address from DevToolsActivePort in
// its user data directory. The browser is killed at the end of the test.
func startRemoteChromium(t testing.TB, port int) *remoteChromium {
	t.Helper()
	bin := testenv.Tool(t, "chromium", "chromium")
	dir := t.TempDir()
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
		"--remote-debugging-port=" + strconv.Itoa(port), "--remote-debugging-address=127.0.0.1",
		"--user-data-dir=" + dir, "about:blank"}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...)
	}
	cmd := exec.Command(bin, args...)
	// Its own process group, so that the kill takes its helpers too; and
	// it dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rc := &remoteChromium{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(rc.exited) }()
	t.Cleanup(rc.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if port == 0 {
			// Chromium writes the port it chose there.
			b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
			if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); err == nil && len(lines) == 2 {
				if rc.port, err = strconv.Atoi(lines[0]); err == nil {
					rc.ws = fmt.Sprintf("ws://127.0.0.1:%d%s", rc.port, lines[1])
					return rc
				}
			}
		} else if ws := versionWS(port); ws != "" {
			// It writes no file for a given port: it answers there.
			rc.port, rc.ws = port, ws
			return rc
		}
		select {
		case <-rc.exited:
			t.Fatalf("the remote Chromium exited at start")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the remote Chromium wrote no DevToolsActivePort in 30 s")
		}
	}
}

// versionWS is the websocket URL that /json/version on port names, or ""
// while nothing answers there.
func versionWS(port int) string {
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/version", port))
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	var v struct {
		WebSocket string `json:"webSocketDebuggerUrl"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&v) != nil {
		return ""
	}
	return v.WebSocket
}

// shortTo ends the period of slowJob's runs.
var shortTo = ferry.NewDate(2026, 10, 5)

// slowJob is job with waits long enough for a loaded machine (the
// sandbox renders each PDF statement in the test process, seconds apiece
// under -race): these tests are about the browser's connection, not the
// site's speed.
func slowJob(t *testing.T, base string, u sandbox.User) bots.Job {
	j := job(t, base, u)
	j.StepTimeout = 90 * time.Second
	j.Params.To = shortTo // a page or two per account
	return j
}

// kill ends the browser and its helpers and waits for it.
func (rc *remoteChromium) kill() {
	_ = syscall.Kill(-rc.pid, syscall.SIGKILL)
	<-rc.exited
}

// alive reports whether the browser still answers on its HTTP endpoint.
func (rc *remoteChromium) alive() bool {
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/version", rc.port))
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// checkStatements asserts a sandbox run downloaded every format of every
// account of u, with the rows of each statement seen across pages.
func checkStatements(t *testing.T, bank *sandbox.Bank, u sandbox.User, res *bots.Result) {
	t.Helper()
	if got, want := len(res.Downloads), 3*len(u.Accounts); got != want {
		t.Fatalf("got %d downloads, want %d", got, want)
	}
	for _, d := range res.Downloads {
		st, err := bank.Statement(d.Account, ferry.NewDate(2026, 10, 1), shortTo)
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsSeen[d.Account] != len(st.Lines) {
			t.Errorf("account %s: saw %d rows, the statement has %d", d.Account, res.RowsSeen[d.Account], len(st.Lines))
		}
		if len(d.Data) < 500 || !strings.Contains(d.Name, d.Account) {
			t.Errorf("%s %s: suspicious download %q of %d bytes", d.Account, d.Format, d.Name, len(d.Data))
		}
	}
}

// browserContexts counts the browser contexts a browser has open, seen
// through a connection of its own.
func browserContexts(t *testing.T, ws string) int {
	t.Helper()
	br, err := bots.Launch(context.Background(), bots.BrowserOptions{RemoteURL: ws, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	res, err := proto.TargetGetBrowserContexts{}.Call(br.Rod())
	if err != nil {
		t.Fatal(err)
	}
	return len(res.BrowserContextIDs)
}

// The sandbox bot runs in a remote browser reached through its HTTP
// endpoint, each run in a context of its own; closing the engine leaves
// the remote browser running with none of Ferry's contexts.
func TestRemoteBrowserRunsSandboxBot(t *testing.T) {
	t.Parallel()
	rc := startRemoteChromium(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	br, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: fmt.Sprintf("http://127.0.0.1:%d", rc.port), Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if br.PID() != 0 || br.ProfileDir() != "" || br.ControlURL() != rc.ws {
		t.Fatalf("remote browser: pid %d, profile %q, control URL %q (want %q)", br.PID(), br.ProfileDir(), br.ControlURL(), rc.ws)
	}
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	users := sandbox.DefaultUsers()[:2]
	runConcurrently(t, ctx, br, bank, base, users, "in the remote browser")
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if !rc.alive() {
		t.Fatal("closing the engine closed the remote browser")
	}
	if n := browserContexts(t, rc.ws); n != 0 {
		t.Fatalf("the remote browser still has %d contexts after Ferry closed", n)
	}
}

// Closing the engine while a run is in flight disposes that run's context
// in the remote browser, and only that.
func TestRemoteBrowserCloseDisposesOnlyFerrysContexts(t *testing.T) {
	t.Parallel()
	rc := startRemoteChromium(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Someone else's context in the same browser.
	other, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: rc.ws, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := (proto.TargetCreateBrowserContext{}).Call(other.Rod()); err != nil {
		t.Fatal(err)
	}
	br, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: rc.ws, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	bank := sandbox.New(sandbox.Options{Seed: 3})
	bank.Set(func(s *sandbox.Switches) { s.SlowPages = time.Second })
	base := serve(t, bank)
	j := slowJob(t, base, sandbox.DefaultUsers()[0])
	started := make(chan struct{})
	var once sync.Once
	j.OnStep = func(ferry.Step) { once.Do(func() { close(started) }) }
	ended := make(chan error, 1)
	go func() { _, err := br.Run(ctx, j); ended <- err }()
	<-started
	if n := browserContexts(t, rc.ws); n != 2 {
		t.Fatalf("%d contexts during the run, want 2 (the run's and the other client's)", n)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err == nil {
		t.Fatal("the run went on after its browser was closed")
	}
	if !rc.alive() {
		t.Fatal("closing the engine closed the remote browser")
	}
	if n := browserContexts(t, rc.ws); n != 1 {
		t.Fatalf("%d contexts after Ferry closed, want the other client's only", n)
	}
}

// A remote browser that restarts (killed, then started again on the same
// port with a new browser id) fails the runs made while it is down with a
// retryable error naming its URL, and the next run after it is back
// reconnects and succeeds.
func TestRemoteBrowserReconnectsAfterRestart(t *testing.T) {
	t.Parallel()
	rc := startRemoteChromium(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	br, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: rc.ws, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[0]
	res, err := br.Run(ctx, slowJob(t, base, u))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	checkStatements(t, bank, u, res)

	rc.kill()
	res, err = br.Run(ctx, slowJob(t, base, u))
	var ue *bots.UnavailableError
	if err == nil || !errors.As(err, &ue) || !ferry.ClassOf(err).Retryable() {
		t.Fatalf("run while the remote browser is down: %v (class %s), want a retryable *UnavailableError", err, ferry.ClassOf(err))
	}
	if want := fmt.Sprintf("127.0.0.1:%d", rc.port); !strings.Contains(err.Error(), want) || res != nil {
		t.Fatalf("the error names no %s, or a result came back: %v", want, err)
	}
	t.Logf("while down: %v", err)

	rc2 := startRemoteChromium(t, rc.port)
	if rc2.ws == rc.ws {
		t.Fatalf("the restarted browser kept its id %s", rc.ws)
	}
	res, err = br.Run(ctx, slowJob(t, base, u))
	if err != nil {
		t.Fatalf("run after the remote browser restarted: %v", err)
	}
	checkStatements(t, bank, u, res)
	if br.ControlURL() != rc2.ws {
		t.Fatalf("connected to %s, want the restarted browser %s", br.ControlURL(), rc2.ws)
	}
}

// A remote browser that stops answering (its process stopped, as a
// network partition looks) is dropped after 3 ConnectTimeouts instead of
// hanging runs; the lookup fails with a retryable *UnavailableError, and
// once the browser answers again the next lookup reconnects.
func TestRemoteBrowserThatHangsIsDropped(t *testing.T) {
	t.Parallel()
	rc := startRemoteChromium(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	br, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: rc.ws, ConnectTimeout: 10 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	_, sel, err := scripts.Load("", "", "demobank-statements")
	if err != nil {
		t.Fatal(err)
	}
	const html = `<html><body><form><label for=u>User</label><input id=u></form></body></html>`
	if _, err := br.Resolve(ctx, html, sel); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-rc.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = br.Resolve(ctx, html, sel)
	took := time.Since(start)
	var ue *bots.UnavailableError
	if err == nil || !errors.As(err, &ue) || !ferry.ClassOf(err).Retryable() {
		t.Fatalf("lookup in a stopped browser: %v (class %s), want a retryable *UnavailableError", err, ferry.ClassOf(err))
	}
	if took > 2*time.Minute {
		t.Fatalf("the lookup took %s to give up", took)
	}
	t.Logf("stopped browser: %v (%s)", err, took.Round(time.Millisecond))
	if err := syscall.Kill(-rc.pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if _, err := br.Resolve(ctx, html, sel); err != nil {
		t.Fatalf("lookup once the browser answers again: %v", err)
	}
}

// A remote browser that cannot be reached is a clear error naming its URL
// (without the token in its query), soon, whatever the way it fails.
func TestRemoteBrowserUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	// Accepts connections and never answers.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	notBrowser := httptest.NewServer(http.NotFoundHandler())
	defer notBrowser.Close()
	nb := strings.TrimPrefix(notBrowser.URL, "http://")
	for _, tc := range []struct{ url, want string }{
		{"ws://" + closed + "/devtools/browser/0a1b?token=s3cret", "connection refused"},
		{"http://" + closed + "?token=s3cret", "connection refused"},
		{"ws://" + mute.Addr().String() + "/devtools/browser/0a1b?token=s3cret", "timeout"},
		{"http://" + mute.Addr().String() + "?token=s3cret", "deadline exceeded"},
		{"http://" + nb + "?token=s3cret", "404"},
		{"ws://" + nb + "/devtools/browser/0a1b?token=s3cret", "404"},
	} {
		start := time.Now()
		br, err := bots.Launch(context.Background(), bots.BrowserOptions{RemoteURL: tc.url, ConnectTimeout: time.Second, Logger: zerolog.Nop()})
		took := time.Since(start)
		if err == nil {
			br.Close()
			t.Errorf("%s: connected", tc.url)
			continue
		}
		var ue *bots.UnavailableError
		host := strings.Split(strings.SplitN(tc.url, "://", 2)[1], "/")[0]
		host = strings.Split(host, "?")[0]
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "remote browser") || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an *UnavailableError naming %s and %q", tc.url, err, host, tc.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the token is in the error: %v", tc.url, err)
		}
		if took > 5*time.Second {
			t.Errorf("%s: failing took %s", tc.url, took)
		}
		t.Logf("%s: %v (%s)", tc.url, err, took.Round(time.Millisecond))
	}
}

// SIGKILL of the local shared Chromium mid-life: the runs after it start
// a fresh browser (one, however many runs want it at once) and succeed;
// the dead one's processes and profile are gone.
func TestLocalBrowserReplacedAfterKill(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	br, err := bots.Launch(ctx, bots.BrowserOptions{ProfileRoot: t.TempDir(), Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	users := sandbox.DefaultUsers()[:2]
	res, err := br.Run(ctx, slowJob(t, base, users[0]))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	checkStatements(t, bank, users[0], res)
	pid, dir := br.PID(), br.ProfileDir()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	runConcurrently(t, ctx, br, bank, base, users, "after the browser was killed")
	if br.PID() == pid || br.PID() == 0 {
		t.Fatalf("browser pid %d after the kill of %d, want a new browser", br.PID(), pid)
	}
	if left := browserProcs(t, pid, dir); len(left) > 0 {
		t.Fatalf("%d processes of the killed browser left, e.g. %d %.200s", len(left), left[0].pid, left[0].cmdline)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the killed browser's profile %s is still there: %v", dir, err)
	}
}

// waitGone waits until process pid has ended and been reaped.
func waitGone(tb testing.TB, pid int) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			tb.Fatalf("process %d still there 20 s after its kill", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkBrowserReplace measures what a dead browser costs the next
// run: one offline lookup (a fresh context, a small page, every selector
// of the sandbox's file resolved) on a live browser, and the same right
// after the browser was killed (local: a new Chromium is launched;
// remote: restarted on its port, with a new id, and reconnected).
func BenchmarkBrowserReplace(b *testing.B) {
	_, sel, err := scripts.Load("", "", "demobank-statements")
	if err != nil {
		b.Fatal(err)
	}
	const html = `<html><body><form><label for=u>User</label><input id=u><button>Log in</button></form></body></html>`
	ctx := context.Background()
	lookup := func(b *testing.B, br *bots.Browser) {
		if _, err := br.Resolve(ctx, html, sel); err != nil {
			b.Fatal(err)
		}
	}
	launch := func(b *testing.B, remote string) *bots.Browser {
		br, err := bots.Launch(ctx, bots.BrowserOptions{RemoteURL: remote, ProfileRoot: b.TempDir(), Logger: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { br.Close() })
		lookup(b, br)
		return br
	}
	b.Run("local/live", func(b *testing.B) {
		br := launch(b, "")
		for b.Loop() {
			lookup(b, br)
		}
	})
	b.Run("local/killed", func(b *testing.B) {
		br := launch(b, "")
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			pid := br.PID()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				b.Fatal(err)
			}
			waitGone(b, pid)
			b.StartTimer()
			lookup(b, br)
		}
	})
	b.Run("remote/live", func(b *testing.B) {
		br := launch(b, startRemoteChromium(b, 0).ws)
		for b.Loop() {
			lookup(b, br)
		}
	})
	b.Run("remote/restarted", func(b *testing.B) {
		rc := startRemoteChromium(b, 0)
		br := launch(b, rc.ws)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			rc.kill()
			rc = startRemoteChromium(b, rc.port)
			b.StartTimer()
			lookup(b, br)
		}
	})
}

// runConcurrently runs the sandbox bot as each of users at once in br and
// checks each run's statements against the bank; when says in which
// situation, for the failure message.
func runConcurrently(t *testing.T, ctx context.Context, br *bots.Browser, bank *sandbox.Bank, base string, users []sandbox.User, when string) {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]*bots.Result, len(users))
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Go(func() { results[i], errs[i] = br.Run(ctx, slowJob(t, base, u)) })
	}
	wg.Wait()
	for i, u := range users {
		if errs[i] != nil {
			t.Fatalf("run as %s %s: %v", u.ID, when, errs[i])
		}
		checkStatements(t, bank, u, results[i])
	}
}
