package bots

// Launching Chromium so that it never outlives Ferry. The process is
// started with Linux's parent-death signal (SIGKILL), from a goroutine
// locked to its OS thread for the browser's whole life: the kernel sends
// the signal when the thread that started the child ends, not the
// process, and Go may otherwise retire that thread at any time. Its
// helpers (zygote, renderers) are in its process group and exit when it
// does. Each browser gets its own profile directory holding a lock file
// that the process keeps locked: a directory whose lock is free belongs
// to no live browser and is swept.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/launcher/flags"
)

const (
	profilePrefix = "profile-"
	profileLock   = "ferry.lock"
	// launchTimeout bounds the wait for Chromium's DevTools address.
	launchTimeout = 30 * time.Second
)

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// chromium is a Chromium process Ferry started.
type chromium struct {
	pid    int
	url    string
	dir    string
	lock   *os.File
	exited chan struct{}
}

// startChromium launches bin with l's flags and a fresh profile under
// root, and waits for its DevTools address.
func startChromium(ctx context.Context, bin, root string, l *launcher.Launcher) (*chromium, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("bots: profile root: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("bots: profile root: %w", err)
	}
	dir, err := os.MkdirTemp(root, profilePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("bots: profile: %w", err)
	}
	lock, err := lockProfile(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	l.Set(flags.UserDataDir, dir).Set(flags.RemoteDebuggingPort, "0").Delete(flags.Leakless)
	args := l.FormatArgs()
	p := &chromium{dir: dir, lock: lock, exited: make(chan struct{})}
	started := make(chan error, 1)
	urls := make(chan string, 1)
	var tail tailBuffer
	go func() {
		// Never unlocked: this thread must live exactly as long as the
		// browser, and it ends with this goroutine once the browser exited.
		runtime.LockOSThread()
		defer close(p.exited)
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			started <- err
			return
		}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if m := devtoolsLine.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	if err := <-started; err != nil {
		p.release()
		return nil, fmt.Errorf("bots: launch %s: %w", bin, err)
	}
	timer := time.NewTimer(launchTimeout)
	defer timer.Stop()
	select {
	case p.url = <-urls:
		return p, nil
	case <-p.exited:
		p.release()
		return nil, fmt.Errorf("bots: launch %s: the browser exited at start: %s", bin, tail.String())
	case <-ctx.Done():
		p.stop(time.Second)
		return nil, fmt.Errorf("bots: launch %s: %w", bin, ctx.Err())
	case <-timer.C:
		p.stop(time.Second)
		return nil, fmt.Errorf("bots: launch %s: no DevTools address after %s: %s", bin, launchTimeout, tail.String())
	}
}

// stop waits up to grace for the browser to exit (after Browser.Close
// asked it to), then kills its process group, and removes its profile.
func (p *chromium) stop(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
	if p.pid > 0 {
		// The group too: helpers left behind by a browser that crashed.
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	<-p.exited
	p.release()
}

// release removes the profile and drops its lock.
func (p *chromium) release() {
	_ = os.RemoveAll(p.dir)
	if p.lock != nil {
		p.lock.Close()
		p.lock = nil
	}
}

// lockProfile creates and locks the profile's lock file for the life of
// the process (the lock is released by the kernel when it ends).
func lockProfile(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, profileLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bots: profile lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("bots: profile lock %s: %w", f.Name(), err)
	}
	return f, nil
}

// SweepProfiles removes the profile directories under root that no live
// browser uses: their lock file is free (its process ended) or, for a
// directory older than a minute, missing. It returns how many it removed.
func SweepProfiles(root string) (int, error) {
	root, err := filepath.Abs(root) // as the browsers' command lines name it
	if err != nil {
		return 0, fmt.Errorf("bots: sweep %s: %w", root, err)
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("bots: sweep %s: %w", root, err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), profilePrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, profileLock), os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			// Made but not yet locked by a browser starting now, or left
			// by one killed in between: only old ones are stale.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Minute {
				if os.RemoveAll(dir) == nil {
					n++
				}
			}
			continue
		}
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			// A browser that outlived its Ferry (launched by a version
			// without the parent-death signal) still uses it: end it first.
			killUsers(dir)
			if os.RemoveAll(dir) == nil {
				n++
			}
		}
		f.Close()
	}
	return n, nil
}

// killUsers kills the processes started with dir as their profile, with
// their process group when they lead one (a browser and its helpers).
func killUsers(dir string) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	want := "--user-data-dir=" + dir + "\x00"
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmd)+"\x00", want) {
			continue
		}
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// tailBuffer keeps the last lines Chromium printed, for launch errors.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailBuffer) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 8 {
		t.lines = t.lines[1:]
	}
	t.lines = append(t.lines, s)
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
