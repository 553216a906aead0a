package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
)

// pgStart starts the package's PostgreSQL server once (see pgURL).
var pgStart sync.Once

// pgURL returns a fresh database of the package's server (pg), starting
// the server, the first time, from an OS thread that lives as long as the
// test binary. pgtest starts postgres with Pdeathsig, which Linux sends
// when the thread that started it exits; the browser launcher (bots) ends
// the threads it locks, and Go reuses threads, so a server started from an
// ordinary thread can be killed in the middle of the package's tests
// ("terminating connection due to unexpected postmaster exit").
func pgURL(t *testing.T) string {
	t.Helper()
	pgStart.Do(func() {
		started := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must outlive the server
			func() {
				// A server that cannot start makes Database go on past
				// startTB's Fatalf and panic; the call below reports it.
				defer func() { _ = recover() }()
				pg.Database(startTB{t})
			}()
			close(started)
			select {} // ends with the test binary, as the server does
		}()
		<-started
	})
	// A server that could not start fails (or skips) here, in the test.
	return pg.Database(t)
}

// startTB is a test's testing.TB for a call made off the test's goroutine:
// failing or skipping is left to the call that follows on the test's own.
type startTB struct{ testing.TB }

func (startTB) Fatalf(string, ...any) {}
func (startTB) Fatal(...any)          {}
func (startTB) FailNow()              {}
func (startTB) Errorf(string, ...any) {}
func (startTB) Error(...any)          {}
func (startTB) Skipf(string, ...any)  {}
func (startTB) Skip(...any)           {}
func (startTB) SkipNow()              {}
func (startTB) Logf(string, ...any)   {}
func (startTB) Log(...any)            {}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ferryProc is a ferry binary running in the background.
type ferryProc struct {
	cmd      *exec.Cmd
	out, err syncBuffer
	done     chan struct{} // closed once it has exited
}

func startFerry(t *testing.T, bin string, args ...string) *ferryProc {
	t.Helper()
	p := &ferryProc{cmd: exec.Command(bin, append([]string{"--log-format", "json"}, args...)...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	return p
}

// waitOutput waits until the process has written want on standard output
// (or, with stderr, on standard error) and returns all it wrote there.
func (p *ferryProc) waitOutput(t *testing.T, stderr bool, want string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		b := &p.out
		if stderr {
			b = &p.err
		}
		if s := b.String(); strings.Contains(s, want) {
			return s
		}
		select {
		case <-p.done:
			if s := b.String(); strings.Contains(s, want) {
				return s
			}
			t.Fatalf("%v exited (%v) without writing %q:\n%s\n%s", p.cmd.Args, p.cmd.ProcessState, want, p.out.String(), p.err.String())
		case <-deadline:
			t.Fatalf("%v did not write %q in %s:\n%s\n%s", p.cmd.Args, want, limit, p.out.String(), p.err.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// exit waits for the process to end and returns its exit code.
func (p *ferryProc) exit(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		p.cmd.Process.Kill()
		t.Fatalf("%v still running after %s:\n%s\n%s", p.cmd.Args, limit, p.out.String(), p.err.String())
		return -1
	}
}

// startServe starts `ferry serve` on a config and waits until it serves;
// the test's end stops it with SIGTERM.
func startServe(t *testing.T, bin, cfg string) *ferryProc {
	t.Helper()
	p := startFerry(t, bin, "--config", cfg, "serve")
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(90 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	p.waitOutput(t, true, "ferry serving", 2*time.Minute)
	return p
}

// gatedBank serves the sandbox bank, and while armed holds every request
// for the login page until released: a run then is in the serve's
// browser, and stays there, for as long as the test needs.
type gatedBank struct {
	bank  *sandbox.Bank
	armed atomic.Bool
	hit   chan struct{} // a request reached the gate
	mu    sync.Mutex
	open  chan struct{} // closed to let held requests through
}

func newGatedBank(t *testing.T, seed int64) (*gatedBank, string) {
	g := &gatedBank{bank: sandbox.New(sandbox.Options{Seed: seed}), hit: make(chan struct{}, 1), open: make(chan struct{})}
	srv := httptest.NewServer(g)
	t.Cleanup(func() { g.release(); srv.Close() })
	return g, srv.URL
}

func (g *gatedBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.armed.Load() && r.Method == http.MethodGet && r.URL.Path == "/login" {
		select {
		case g.hit <- struct{}{}:
		default:
		}
		g.mu.Lock()
		open := g.open
		g.mu.Unlock()
		select {
		case <-open:
		case <-r.Context().Done():
			return
		}
	}
	g.bank.ServeHTTP(w, r)
}

func (g *gatedBank) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed.Store(false)
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// writeServeConfig writes a ferry.yaml for the sandbox bank at bankURL
// with data directory data (relative to dir), the database dsn ("" for
// SQLite in the data directory), a good login (zw) and one with a wrong
// password (bad), and returns its path.
func writeServeConfig(t *testing.T, dir, data, bankURL, dsn string) string {
	t.Helper()
	zw := sandbox.DefaultUsers()[0]
	db := ""
	if dsn != "" {
		db = "database: " + strconv.Quote(dsn) + "\n"
	}
	cfg := fmt.Sprintf(`data_dir: %s
%ssites:
  demobank: %s
credentials:
  zw:
    user: %s
    password: %q
  bad:
    user: %s
    password: "not-the-password"
sinks:
  jsonl:
    path: %s/records.jsonl
`, data, db, bankURL, zw.ID, zw.Password, zw.ID, data)
	p := filepath.Join(dir, data+".yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	handedRe  = regexp.MustCompile(`run (\d+): demobank-statements as (\w+), .*: handed to the running serve`)
	runningRe = regexp.MustCompile(`running: attempt \d+ on [^/\s]+/(\d+)/`)
)

// handedRun returns the id of the run a `ferry run` handed over, and the
// pid of the process its output says worked it ("" when none did yet).
func handedRun(t *testing.T, out string) (int64, int) {
	t.Helper()
	m := handedRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the run was not handed to the serve:\n%s", out)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	pid := 0
	if m := runningRe.FindStringSubmatch(out); m != nil {
		pid, _ = strconv.Atoi(m[1])
	}
	return id, pid
}

var runArgs = []string{"run", "demobank-statements", "--from", "2026-10-01", "--to", "2026-10-03", "--account", "6222021000010001"}

// checkStored asserts, in the database, that run id succeeded with steps
// and the statement lines the bank has for the period.
func checkStored(t *testing.T, db *storage.DB, bank *sandbox.Bank, id int64) {
	t.Helper()
	ctx := context.Background()
	r, err := db.Run(ctx, id)
	if err != nil || r.Status != ferry.RunSucceeded {
		t.Fatalf("run %d: %+v %v, want succeeded", id, r, err)
	}
	steps, _, err := db.Steps(ctx, id)
	if err != nil || len(steps) == 0 {
		t.Fatalf("run %d: %d steps stored, %v", id, len(steps), err)
	}
	sts, err := db.Statements(ctx, id)
	if err != nil || len(sts) != 1 {
		t.Fatalf("run %d: %d statements, %v; want 1", id, len(sts), err)
	}
	st, _ := bank.Statement("6222021000010001", ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 3))
	if sts[0].Lines != len(st.Lines) {
		t.Fatalf("run %d stored %d lines, the bank has %d", id, sts[0].Lines, len(st.Lines))
	}
}

// `ferry run` beside a running `ferry serve` on SQLite: the run is handed
// to the serve (whose pid works it: no browser in the run process), its
// steps and outcome are followed with the local run's exit codes (0, and
// 10 for a wrong password); Ctrl-C stops the follower only, and the run
// finishes in the serve; --detach and `runs follow` pick a run up;
// `runs list` and `runs show` read beside the serve.
func TestRunBesideServe(t *testing.T) {
	bin := buildFerry(t)
	dir := t.TempDir()
	gb, u := newGatedBank(t, 11)
	cfg := writeServeConfig(t, dir, "data", u, "")
	serve := startServe(t, bin, cfg)
	ctx := context.Background()
	db, err := service.OpenExisting(ctx, service.DataDir(filepath.Join(dir, "data")), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// 1. A run handed over and followed to its end.
	p := startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "zw")...)...)
	if code := p.exit(t, 3*time.Minute); code != 0 {
		t.Fatalf("ferry run beside serve: exit %d\n%s\n%s", code, p.out.String(), p.err.String())
	}
	out := p.out.String()
	id, pid := handedRun(t, out)
	if pid != serve.cmd.Process.Pid {
		t.Fatalf("run %d was worked by pid %d, want the serve's %d (the run process is %d):\n%s", id, pid, serve.cmd.Process.Pid, p.cmd.Process.Pid, out)
	}
	if !strings.Contains(out, "  ok   ") || !strings.Contains(out, fmt.Sprintf("run %d succeeded", id)) {
		t.Fatalf("the follower printed no steps or no outcome:\n%s", out)
	}
	checkStored(t, db, gb.bank, id)
	t.Logf("ferry run beside serve:\n%s", out)

	// 2. A wrong password: the class's exit code, as a local run gives.
	p = startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "bad")...)...)
	if code := p.exit(t, 3*time.Minute); code != exitCredentialsRejected {
		t.Fatalf("a wrong password beside serve: exit %d, want %d\n%s\n%s", code, exitCredentialsRejected, p.out.String(), p.err.String())
	}
	handedRun(t, p.out.String())
	if strings.Contains(p.out.String()+p.err.String(), "not-the-password") {
		t.Fatal("a password reached the output")
	}

	// 3. Ctrl-C stops following while the serve's browser waits at the
	// bank's login page; the run then finishes in the serve.
	gb.armed.Store(true)
	p = startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "zw")...)...)
	select {
	case <-gb.hit:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the serve never reached the bank:\n%s\n%s", p.out.String(), p.err.String())
	}
	out = p.waitOutput(t, false, "running: attempt", time.Minute)
	id, _ = handedRun(t, out)
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.exit(t, time.Minute); code != exitInterrupted || !strings.Contains(p.err.String(), "stopped following run") {
		t.Fatalf("interrupted follower: exit %d, want %d, saying it stopped following:\n%s", code, exitInterrupted, p.err.String())
	}
	if r, err := db.Run(ctx, id); err != nil || r.Status != ferry.RunRunning {
		t.Fatalf("run %d after the follower stopped: %+v %v, want still running", id, r, err)
	}
	gb.release()
	// `runs follow` picks the run up where the follower left it.
	code, out, errs := ferryCmd(t, "--config", cfg, "runs", "follow", strconv.FormatInt(id, 10))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("run %d succeeded", id)) {
		t.Fatalf("runs follow %d: exit %d\n%s%s", id, code, out, errs)
	}
	checkStored(t, db, gb.bank, id)

	// 4. --detach returns with the id; runs follow --json waits for the end.
	p = startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "zw", "--detach")...)...)
	if code := p.exit(t, time.Minute); code != 0 || !strings.Contains(p.out.String(), "ferry runs follow") {
		t.Fatalf("run --detach: exit %d\n%s%s", code, p.out.String(), p.err.String())
	}
	id, _ = handedRun(t, p.out.String())
	code, out, errs = ferryCmd(t, "--config", cfg, "--json", "runs", "follow", strconv.FormatInt(id, 10))
	var v runJSON
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.ID != id || v.Status != "succeeded" {
		t.Fatalf("runs follow --json %d: exit %d\n%s%s", id, code, out, errs)
	}

	// 5. list and show read beside the serve.
	code, out, errs = ferryCmd(t, "--config", cfg, "--json", "runs", "list")
	var runs []runJSON
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 4 {
		t.Fatalf("runs list beside serve: exit %d, want 4 runs\n%s%s", code, out, errs)
	}
	code, out, errs = ferryCmd(t, "--config", cfg, "runs", "show", strconv.FormatInt(id, 10))
	if code != 0 || !strings.Contains(out, "statements:") {
		t.Fatalf("runs show beside serve: exit %d\n%s%s", code, out, errs)
	}
}

// Several serves on one PostgreSQL database, and a `ferry run` from a
// third data directory (a machine without a serve): the run is handed over
// because a River leader is live, one of the serves works it, and the run
// process writes nothing in its own data directory.
func TestRunBesideServesOnPostgres(t *testing.T) {
	bin := buildFerry(t)
	url := pgURL(t)
	dir := t.TempDir()
	bank := sandbox.New(sandbox.Options{Seed: 12})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pids := map[int]bool{}
	for _, data := range []string{"node1", "node2"} {
		s := startServe(t, bin, writeServeConfig(t, dir, data, u, url))
		pids[s.cmd.Process.Pid] = true
	}
	ctx := context.Background()
	db, err := service.OpenExisting(ctx, service.DataDir(filepath.Join(dir, "node1")), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(time.Minute)
	for leader, err := service.RiverLeader(ctx, db); leader == ""; leader, err = service.RiverLeader(ctx, db) {
		if time.Now().After(deadline) {
			t.Fatalf("no River leader among the serves: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg := writeServeConfig(t, dir, "client", u, url)
	p := startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "zw")...)...)
	if code := p.exit(t, 3*time.Minute); code != 0 {
		t.Fatalf("ferry run beside the serves: exit %d\n%s\n%s", code, p.out.String(), p.err.String())
	}
	id, pid := handedRun(t, p.out.String())
	if !pids[pid] {
		t.Fatalf("run %d was worked by pid %d, not by a serve (%v):\n%s", id, pid, pids, p.out.String())
	}
	checkStored(t, db, bank, id)
	if _, err := os.Stat(filepath.Join(dir, "client")); !os.IsNotExist(err) {
		t.Fatalf("the run process wrote in its data directory: %v", err)
	}
	p = startFerry(t, bin, append([]string{"--config", cfg}, append(runArgs, "--login", "bad")...)...)
	if code := p.exit(t, 3*time.Minute); code != exitCredentialsRejected {
		t.Fatalf("a wrong password beside the serves: exit %d, want %d\n%s\n%s", code, exitCredentialsRejected, p.out.String(), p.err.String())
	}
}

// Read-only commands create nothing: runs list on a data directory that
// has never run (SQLite) or beside a PostgreSQL database leaves no file or
// directory behind; without a serve, --detach is a usage error.
func TestRunsCreateNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	url := pgURL(t)
	for _, args := range [][]string{
		{"runs", "list", "--data", data},
		{"--json", "runs", "list", "--data", data},
		{"--database", url, "runs", "list", "--data", data},
		{"--database", url, "runs", "follow", "1", "--data", data},
	} {
		code, out, errs := ferryCmd(t, args...)
		if slices.Contains(args, "follow") {
			if code == 0 || !strings.Contains(errs, "run 1") {
				t.Errorf("ferry %v: exit %d %s%s, want an error naming run 1", args, code, out, errs)
			}
		} else if code != 0 {
			t.Errorf("ferry %v: exit %d %s%s", args, code, out, errs)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("ferry %v created %s", args, data)
		}
	}
	code, _, errs := ferryCmd(t, "run", "demobank-statements", "--sandbox", "--data", data, "--detach")
	if code != exitUsage || !strings.Contains(errs, "--detach") {
		t.Fatalf("--detach without a serve: exit %d %s, want %d", code, errs, exitUsage)
	}
}
