package bots_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/rs/zerolog"
)

// TestChildBrowser is the child process of TestChromiumDiesWithFerry: it
// launches a browser under the profile root it is given, starts a run,
// says where the browser is, and waits to be killed.
func TestChildBrowser(t *testing.T) {
	root := os.Getenv("FERRY_TEST_CHILD_PROFILE_ROOT")
	if root == "" {
		return // only as a child
	}
	br, err := bots.Launch(context.Background(), bots.BrowserOptions{ProfileRoot: root, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	bank := sandbox.New(sandbox.Options{Seed: 3})
	bank.Set(func(s *sandbox.Switches) { s.SlowPages = time.Second })
	base := serve(t, bank)
	j := job(t, base, sandbox.DefaultUsers()[0])
	ready := make(chan struct{})
	j.OnStep = func(ferry.Step) {
		select {
		case <-ready:
		default:
			close(ready)
		}
	}
	go func() { _, _ = br.Run(context.Background(), j) }()
	<-ready
	fmt.Printf("READY %d %s\n", br.PID(), br.ProfileDir())
	select {}
}

// proc is a process as /proc shows it.
type proc struct {
	pid, pgid int
	cmdline   string
}

// liveProcs lists the processes that are not zombies.
func liveProcs(t *testing.T) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		pgid, _ := strconv.Atoi(f[2])
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, proc{pid, pgid, strings.ReplaceAll(string(cmd), "\x00", " ")})
	}
	return out
}

// browserProcs are the processes of the browser started as pid with its
// profile in dir: its process group, and anything naming the profile.
func browserProcs(t *testing.T, pid int, dir string) []proc {
	var out []proc
	for _, p := range liveProcs(t) {
		if p.pgid == pid || strings.Contains(p.cmdline, dir) {
			out = append(out, p)
		}
	}
	return out
}

// SIGKILL of the Ferry process that launched Chromium leaves no Chromium
// process behind, and the next launch sweeps the dead browser's profile
// while a live one's stays.
func TestChromiumDiesWithFerry(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildBrowser$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FERRY_TEST_CHILD_PROFILE_ROOT="+root)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "READY %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the child never reported its browser (%v)", sc.Err())
	}
	if n := len(browserProcs(t, pid, dir)); n < 2 {
		t.Fatalf("found %d processes of the child's browser, want it and its helpers", n)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = cmd.Wait()
	deadline := killed.Add(20 * time.Second)
	for {
		left := browserProcs(t, pid, dir)
		if len(left) == 0 {
			t.Logf("every browser process gone %s after the kill", time.Since(killed).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after the kill %d browser processes survive, e.g. %d %.200s", len(left), left[0].pid, left[0].cmdline)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A live browser's profile: locked by this process.
	live := filepath.Join(root, "profile-live")
	if err := os.Mkdir(live, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(live, "ferry.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	// A stale profile that a process still uses (a browser that outlived
	// a Ferry without the parent-death signal): the sweep ends it.
	stale := filepath.Join(root, "profile-stale")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "ferry.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	user := exec.Command("sh", "-c", "while :; do sleep 1; done", "--user-data-dir="+stale)
	user.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := user.Start(); err != nil {
		t.Fatal(err)
	}
	defer user.Process.Kill()
	n, err := bots.SweepProfiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); n != 2 || !os.IsNotExist(err) {
		t.Fatalf("sweep removed %d profiles, want 2; the dead browser's: %v", n, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale profile in use survived the sweep: %v", err)
	}
	if err := user.Wait(); err == nil {
		t.Fatal("the process using a stale profile was not ended")
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("sweep removed a live browser's profile: %v", err)
	}
}
