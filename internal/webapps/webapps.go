// Package webapps starts real third-party web applications for Ferry's bot
// tests: applications nobody on the project wrote, installed from Debian
// (phpMyAdmin over a private MariaDB, served by PHP's built-in server) or
// from npm (Actual Budget's sync server, which serves its single-page web
// client). Each is configured in a fresh temporary directory, listens on
// 127.0.0.1 on a free port, is seeded with deterministic data, and is
// stopped with its test.
//
// hack/webapps.sh installs what they need: the Debian packages with
// apt-get and the npm packages into CacheDir. A missing program skips the
// test with the command that installs it, and fails it under CI=true
// (internal/testenv).
package webapps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// startTimeout bounds how long an application may take to answer its
// first request: Actual's server took over a minute to listen on a 2-core
// machine at load 60. A server that exits fails at once, with its log.
const startTimeout = 3 * time.Minute

// CacheDir is where hack/webapps.sh installs the npm packages:
// $FERRY_WEBAPPS_CACHE, else ~/.cache/ferry-webapps.
func CacheDir() string {
	if d := os.Getenv("FERRY_WEBAPPS_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ferry-webapps")
	}
	return filepath.Join(os.TempDir(), "ferry-webapps")
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago. The application binds it itself, so another process may in
// principle take it first; start then fails with the application's own
// log in the error, never a silent retry against the wrong server.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("webapps: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a server the package started, with its log.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // the exit status, once done is closed
}

// start runs cmd in its own process group with its output in logPath.
func start(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("webapps: %s: log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that stop ends the workers it forks; and
	// killed with the test process, so that a test killed by a timeout or
	// a signal leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("webapps: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// tail returns the end of the process's log, for errors.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(bytes.TrimSpace(b))
}

// stop ends the process group: SIGTERM, then SIGKILL after grace. The
// group is killed even when its leader has exited: PHP's built-in server
// leaves its workers running when its master gets SIGTERM.
func (p *process) stop(grace time.Duration) {
	defer func() { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }()
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitHTTP polls url until it answers with a status below 500, the
// process exits, or startTimeout passes.
func (p *process) waitHTTP(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	delay := 20 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-p.done:
			return fmt.Errorf("webapps: %s exited before it answered (%v); its log:\n%s", p.name, p.err, p.tail())
		case <-ctx.Done():
			return fmt.Errorf("webapps: %s did not answer %s within %s (last: %v); its log:\n%s", p.name, url, startTimeout, err, p.tail())
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// port renders a port for a command line.
func port(n int) string { return strconv.Itoa(n) }
