package webapps

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// MariaDB is a private MariaDB server: its data directory and socket in a
// temporary directory, no TCP port, root reachable over the socket only.
type MariaDB struct {
	// Socket is the server's Unix socket.
	Socket string
	client string
	proc   *process
}

// sbin finds a program on PATH or in /usr/sbin (Debian puts mariadbd
// there, and /usr/sbin is not on every user's PATH).
func sbin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return name
}

// StartMariaDB initialises and starts a private MariaDB in a temporary
// directory of tb; it is stopped when tb ends. It skips tb (fails it
// under CI) when MariaDB is not installed.
func StartMariaDB(tb testing.TB) *MariaDB {
	tb.Helper()
	daemon := sbin("mariadbd")
	if _, err := os.Stat(daemon); err != nil {
		testenv.Missing(tb, "mariadbd not installed (Debian package mariadb-server; hack/webapps.sh installs it)")
		return nil
	}
	install := testenv.Tool(tb, "mariadb-install-db", "mariadb-server")
	client := testenv.Tool(tb, "mariadb", "mariadb-client")
	// A short directory: a Unix socket's path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "ferry-mariadb-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	m := &MariaDB{Socket: filepath.Join(dir, "mysqld.sock"), client: client}
	// mariadbd refuses to run as root unless told to: the tests run as
	// whoever runs them, root in CI.
	var asUser []string
	if os.Geteuid() == 0 {
		asUser = []string{"--user=root"}
	}
	initArgs := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve"}, asUser...)
	if out, err := exec.Command(install, initArgs...).CombinedOutput(); err != nil {
		tb.Fatalf("webapps: mariadb-install-db: %v\n%s", err, out)
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + m.Socket, "--skip-networking",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--skip-log-bin", "--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=16M", "--skip-name-resolve", "--character-set-server=utf8mb4"}, asUser...)
	p, err := start("mariadbd", exec.Command(daemon, args...), filepath.Join(dir, "mariadb.log"))
	if err != nil {
		tb.Fatal(err)
	}
	m.proc = p
	tb.Cleanup(func() { p.stop(20 * time.Second) })
	if err := m.waitReady(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// waitReady waits until the server accepts a query.
func (m *MariaDB) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for delay := 20 * time.Millisecond; ; {
		if last = m.Exec("SELECT 1"); last == nil {
			return nil
		}
		select {
		case <-m.proc.done:
			return fmt.Errorf("webapps: mariadbd exited (%v); its log:\n%s", m.proc.err, m.proc.tail())
		case <-ctx.Done():
			return fmt.Errorf("webapps: mariadbd not ready within %s: %v; its log:\n%s", startTimeout, last, m.proc.tail())
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// Exec runs SQL statements as root through the mariadb client. The error
// carries the client's message.
func (m *MariaDB) Exec(sql string) error {
	cmd := exec.Command(m.client, "--no-defaults", "--socket="+m.Socket, "-uroot", "--batch")
	cmd.Stdin = bytes.NewBufferString(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("webapps: mariadb: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
