package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/rs/zerolog"
)

// browser.remote is checked at load, each problem at its file and line,
// with the config's exit code; FERRY_BROWSER_REMOTE overrides it.
func TestBrowserRemoteConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	write := func(s string) string {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ yaml, want string }{
		{"workers: 1\nbrowser:\n  remote: ftp://127.0.0.1:9222\n", `ferry.yaml:3: browser.remote: scheme "ftp"`},
		{"workers: 1\nbrowser:\n  remote: ws:///devtools/browser/x\n", "ferry.yaml:3: browser.remote: names no host"},
		{"workers: 1\nbrowser:\n  remot: ws://127.0.0.1:9222\n", `ferry.yaml:3: unknown key "remot" in browser (it has remote)`},
		{"chromium: /usr/bin/chromium\nbrowser:\n  remote: http://127.0.0.1:9222\n", "ferry.yaml:3: browser.remote and chromium: are both set"},
	} {
		_, err := loadConfig(write(tc.yaml), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) || codeFor(err) != exitConfig {
			t.Errorf("%q: got %v (exit %d), want %q and exit %d", tc.yaml, err, codeFor(err), tc.want, exitConfig)
		}
	}
	cfg, err := loadConfig(write("browser: {remote: \"ws://127.0.0.1:9222/devtools/browser/ab?token=s3cret\"}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	o, err := cfg.browserOptions(zerolog.Nop())
	if err != nil || o.RemoteURL != "ws://127.0.0.1:9222/devtools/browser/ab?token=s3cret" {
		t.Fatalf("options %+v, %v", o, err)
	}
	t.Setenv(browserRemoteEnv, "127.0.0.1:9333")
	if _, err := cfg.browserOptions(zerolog.Nop()); err == nil || !strings.Contains(err.Error(), browserRemoteEnv) || codeFor(err) != exitConfig {
		t.Fatalf("a bad %s: got %v (exit %d)", browserRemoteEnv, err, codeFor(err))
	}
	cfg.Chromium = "/usr/bin/chromium"
	t.Setenv(browserRemoteEnv, "http://127.0.0.1:9333")
	if o, err := cfg.browserOptions(zerolog.Nop()); err != nil || o.RemoteURL != "http://127.0.0.1:9333" || o.Bin != "" {
		t.Fatalf("%s overrides the config: %+v, %v", browserRemoteEnv, o, err)
	}
}

// startDebugChromium starts headless Chromium with a DevTools port, as an
// operator runs one beside Ferry, and returns its port; it is killed at
// the end of the test, and by stop.
func startDebugChromium(t *testing.T) (port int, stop func()) {
	t.Helper()
	bin := testenv.Tool(t, "chromium", "chromium")
	dir := t.TempDir()
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
		"--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + dir, "about:blank"}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		if err == nil {
			if port, err = strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0]); err == nil {
				return port, stop
			}
		}
		select {
		case <-exited:
			t.Fatal("Chromium exited at start")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Chromium wrote no DevToolsActivePort in 30 s")
		}
	}
}

// `ferry run` in a remote browser named by FERRY_BROWSER_REMOTE: the run
// delivers its records, and the browser is still up afterwards. With the
// browser gone, the run fails at once with the missing-dependency exit
// code and a message naming the URL.
func TestRunInRemoteBrowser(t *testing.T) {
	port, stop := startDebugChromium(t)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	t.Setenv(browserRemoteEnv, endpoint)
	dir := t.TempDir()
	args := []string{"run", "demobank-statements", "--sandbox", "--data", dir, "--login", "demobank-lina", "--from", "2026-10-01", "--to", "2026-10-05"}
	code, out, stderr := ferryCmd(t, args...)
	if code != 0 {
		t.Fatalf("run in the remote browser: exit %d\n%s\n%s", code, out, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil || strings.Count(string(data), "\n") == 0 {
		t.Fatalf("records.jsonl: %v, %d lines", err, strings.Count(string(data), "\n"))
	}
	res, err := http.Get(endpoint + "/json/version")
	if err != nil {
		t.Fatalf("the remote browser is gone after the run: %v", err)
	}
	var v map[string]any
	_ = json.NewDecoder(res.Body).Decode(&v)
	res.Body.Close()
	if v["webSocketDebuggerUrl"] == nil {
		t.Fatalf("/json/version after the run: %v", v)
	}

	stop()
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Fatal("the remote browser still listens after the kill")
	}
	start := time.Now()
	code, out, stderr = ferryCmd(t, args...)
	if code != exitMissingDependency || !strings.Contains(stderr, endpoint) || !strings.Contains(stderr, browserRemoteEnv) {
		t.Fatalf("run with the remote browser down: exit %d (want %d), stderr naming %s:\n%s\n%s", code, exitMissingDependency, endpoint, out, stderr)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("failing took %s", took)
	}
}
