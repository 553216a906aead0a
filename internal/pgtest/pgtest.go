// Package pgtest runs a private PostgreSQL server for tests: initdb into a
// fresh temporary directory, postgres listening only on a Unix socket in
// that directory (no TCP port to collide with), a fresh database per test,
// and the server stopped and its directory removed at the end.
//
// One server per test package is the intended use (started lazily by the
// first test that asks for a database, stopped from TestMain):
//
//	var pg = pgtest.New()
//	func TestMain(m *testing.M) { code := m.Run(); pg.Stop(); os.Exit(code) }
//	func TestX(t *testing.T) { dsn := pg.Database(t) ... }
//
// When the PostgreSQL binaries are missing a test skips with the Debian
// package to install, and fails under CI=true (internal/testenv).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Server is a private PostgreSQL server, started on first use.
type Server struct {
	once sync.Once
	err  error // why the server could not start

	dir  string // the temporary directory: data/, the socket, the log
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited

	mu        sync.Mutex // serialises CREATE DATABASE and counts databases
	admin     *pgx.Conn
	n         int
	templates map[string]error // made templates, and why one failed
}

// New returns a server that starts when Database is first called.
func New() *Server { return &Server{} }

// Bin finds a PostgreSQL program: on PATH, else in Debian's
// /usr/lib/postgresql/<version>/bin (newest version first). It returns ""
// when it is not installed.
func Bin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// version reads the major version out of /usr/lib/postgresql/<v>/bin.
func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Database creates a fresh, empty database for tb and returns its
// postgres:// URL (connecting over the server's Unix socket). The server
// starts on the first call. A missing PostgreSQL skips tb (fails it under
// CI=true); a server that does not start fails it.
func (s *Server) Database(tb testing.TB) string {
	tb.Helper()
	return s.DatabaseFrom(tb, "", nil)
}

// DatabaseFrom is Database for a copy of template: a database made once,
// on first use, by setup (given its URL; setup must close every
// connection it opens, or the copies cannot be made). Tests whose
// databases all need the same schema copy it instead of building it each
// time. An empty template is Database.
func (s *Server) DatabaseFrom(tb testing.TB, template string, setup func(ctx context.Context, url string) error) string {
	tb.Helper()
	if Bin("initdb") == "" || Bin("postgres") == "" {
		testenv.Missing(tb, "PostgreSQL's initdb and postgres are not installed (Debian package postgresql; hack/deps.sh --test installs it)")
		return ""
	}
	s.once.Do(func() { s.err = s.startOnOwnThread() })
	if s.err != nil {
		tb.Fatalf("pgtest: %v", s.err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	from := "template0"
	if template != "" {
		from = "tpl_" + template
		if s.templates == nil {
			s.templates = map[string]error{}
		}
		err, made := s.templates[template]
		if !made {
			if err = s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{from}.Sanitize()+" TEMPLATE template0"); err == nil {
				err = setup(ctx, s.url(from))
			}
			s.templates[template] = err
		}
		if err != nil {
			tb.Fatalf("pgtest: template %s: %v", template, err)
		}
	}
	s.n++
	name := fmt.Sprintf("t%d", s.n)
	if err := s.exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+pgx.Identifier{from}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.url(name)
}

// startOnOwnThread starts the server from an OS thread kept for it until
// the server exits: the server is killed when the thread that forked it
// ends (Pdeathsig), and a test's goroutine gives no such promise for its
// thread. (CI: the server, first started by a cluster test, was gone
// midway through cmd/ferry's tests, which then failed with "broken pipe"
// and "the server has exited".)
func (s *Server) startOnOwnThread() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		err := s.start()
		errc <- err
		if err == nil {
			<-s.done
		}
	}()
	return <-errc
}

// exec runs an administrative statement on the admin connection. A
// connection the server closed (a test that ends every backend, or the
// postmaster restarting its backends after one was killed) is opened
// again once, as long as the server still runs; the caller holds s.mu.
func (s *Server) exec(ctx context.Context, sql string) error {
	_, err := s.admin.Exec(ctx, sql)
	if err == nil || !s.admin.IsClosed() && !pgconn.SafeToRetry(err) && !isConnLost(err) {
		return err
	}
	select {
	case <-s.done:
		return fmt.Errorf("%w (the server has exited; its log: %s)", err, filepath.Join(s.dir, "postgres.log"))
	default:
	}
	_ = s.admin.Close(context.Background())
	conn, cerr := pgx.Connect(ctx, s.url("postgres"))
	if cerr != nil {
		return fmt.Errorf("%w; reconnecting: %v", err, cerr)
	}
	s.admin = conn
	_, err = s.admin.Exec(ctx, sql)
	return err
}

// isConnLost reports an error of a connection the server or the network
// closed under it.
func isConnLost(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "broken pipe") || strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "unexpected EOF")
}

// url is the connection URL of database name over the socket.
func (s *Server) url(name string) string {
	q := url.Values{"host": {s.dir}, "port": {"5432"}, "sslmode": {"disable"}}
	return "postgres://postgres@/" + name + "?" + q.Encode()
}

// start runs initdb and postgres and waits until the server accepts
// connections.
func (s *Server) start() error {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	s.dir = dir
	cred, err := credential(dir)
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(Bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s: %w\n%s", data, err, out)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("server log: %w", err)
	}
	// Durability is not what these tests check: fsync off makes CREATE
	// DATABASE and every commit fast.
	s.cmd = exec.Command(Bin("postgres"), "-D", data, "-k", dir, "-p", "5432",
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The server dies with the test binary, even when that is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	s.done = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	// Poll until it accepts connections, with a deadline.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, s.url("postgres"))
		cancel()
		if err == nil {
			s.admin = conn
			return nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return fmt.Errorf("postgres exited before accepting connections: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres in %s not ready after 60s: %w", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// credential returns who runs the server: PostgreSQL refuses to run as
// root, so as root it is the postgres user (else nobody), and dir is given
// to that user. Otherwise the current user runs it (nil).
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres or nobody user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("give %s to %s: %w", dir, u.Username, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Stop stops the server (a fast shutdown, then a kill after 10 s) and
// removes its directory. A server never started is a no-op.
func (s *Server) Stop() error {
	s.once.Do(func() { s.err = errors.New("stopped") })
	var err error
	if s.admin != nil {
		_ = s.admin.Close(context.Background())
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			err = errors.New("pgtest: postgres did not stop within 10s; killed")
		}
	}
	if s.dir != "" && !strings.Contains(s.dir, "..") {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = fmt.Errorf("pgtest: remove %s: %w", s.dir, rerr)
		}
	}
	return err
}

// CPUTime returns the CPU time (user and system) the server's processes
// have used so far: the postmaster, its live backends and those that
// exited (Linux /proc, in clock ticks of 10 ms). Benchmarks add it to their
// own to tell what a database operation costs on a loaded machine. It
// returns 0 when the server is not running or /proc cannot be read.
func (s *Server) CPUTime() time.Duration {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	root := s.cmd.Process.Pid
	ticks := int64(0)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces) in ")".
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if pid != root && ppid != root {
			continue
		}
		// utime, stime (fields 14, 15), and for the postmaster cutime,
		// cstime (16, 17): the backends that exited and were waited for.
		last := 13
		if pid == root {
			last = 15
		}
		for k := 11; k <= last; k++ {
			n, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
