package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clusterNode is one `ferry serve` process of the cluster test, started
// from the built binary with its own config and data directory, and
// restarted on the same ones after a kill.
type clusterNode struct {
	name string
	bin  string
	cfg  string

	mu    sync.Mutex
	cmd   *exec.Cmd
	pid   int
	gen   int           // how many times it was started
	exit  chan struct{} // closed when the current process has exited
	state *os.ProcessState
	logs  []nodeLogLine
	// killed is set while the test has killed the node on purpose.
	killed bool
}

// nodeLogLine is one JSON log line of a node, with the process generation
// that wrote it.
type nodeLogLine struct {
	Gen     int
	At      time.Time
	Level   string
	Message string
	RunID   int64
	Raw     string
}

// start starts (or restarts) the node's process.
func (n *clusterNode) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(n.bin, "--config", n.cfg, "--log-format", "json", "serve")
	cmd.Stdout = io.Discard
	// The node dies with the test binary, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", n.name, err)
	}
	n.mu.Lock()
	n.killed = false
	n.gen++
	gen := n.gen
	n.cmd, n.pid, n.state = cmd, cmd.Process.Pid, nil
	exit := make(chan struct{})
	n.exit = exit
	n.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			n.record(gen, sc.Text())
		}
		st, _ := cmd.Process.Wait()
		n.mu.Lock()
		n.state = st
		n.mu.Unlock()
		close(exit)
	}()
}

// record keeps one line of the node's standard error.
func (n *clusterNode) record(gen int, line string) {
	var l struct {
		Level   string `json:"level"`
		Message string `json:"message"`
		RunID   int64  `json:"run_id"`
		Time    string `json:"time"`
	}
	_ = json.Unmarshal([]byte(line), &l) // a line that is not JSON is kept raw
	at, _ := time.Parse(time.RFC3339Nano, l.Time)
	n.mu.Lock()
	n.logs = append(n.logs, nodeLogLine{Gen: gen, At: at, Level: l.Level, Message: l.Message, RunID: l.RunID, Raw: line})
	n.mu.Unlock()
}

// owns reports whether a run lease owner ("host/pid/random") names this
// node's current process.
func (n *clusterNode) owns(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	n.mu.Lock()
	defer n.mu.Unlock()
	return err == nil && pid == n.pid && n.state == nil
}

// succeeded lists the runs this node's process generation gen (0: any)
// logged as succeeded, with when.
func (n *clusterNode) succeeded(gen int) map[int64]time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[int64]time.Time{}
	for _, l := range n.logs {
		if l.RunID != 0 && l.Message == "succeeded" && (gen == 0 || l.Gen == gen) {
			out[l.RunID] = l.At
		}
	}
	return out
}

// tail is the node's last log lines, for failure messages.
func (n *clusterNode) tail(k int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var b strings.Builder
	for _, l := range n.logs[max(0, len(n.logs)-k):] {
		fmt.Fprintf(&b, "  %s[%d] %s\n", n.name, l.Gen, l.Raw)
	}
	return b.String()
}

// grep returns the node's log lines whose message contains s.
func (n *clusterNode) grep(s string) []nodeLogLine {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []nodeLogLine
	for _, l := range n.logs {
		if strings.Contains(l.Message, s) {
			out = append(out, l)
		}
	}
	return out
}

// isKilled reports whether the test has killed the node on purpose.
func (n *clusterNode) isKilled() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.killed
}

// running reports whether the node's current process has not exited.
func (n *clusterNode) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil && n.state == nil
}

// kill sends SIGKILL and waits for the process to be gone. It returns the
// process's descendants (its Chromium) as they were just before.
func (n *clusterNode) kill(t testing.TB) []int {
	t.Helper()
	n.mu.Lock()
	cmd, exit, pid := n.cmd, n.exit, n.pid
	n.mu.Unlock()
	kids := descendants(pid)
	n.mu.Lock()
	n.killed = true
	n.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("%s: kill -9: %v", n.name, err)
	}
	select {
	case <-exit:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still there 30 s after SIGKILL", n.name)
	}
	return kids
}

// stop sends SIGTERM and waits until the process exits (a graceful stop
// gives runs in flight a minute), killing it after the deadline. It
// returns the exit code, or -1 when it had to be killed.
func (n *clusterNode) stop(deadline time.Duration) int {
	n.mu.Lock()
	cmd, exit, st := n.cmd, n.exit, n.state
	n.mu.Unlock()
	if cmd == nil || st != nil {
		return 0
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exit:
	case <-time.After(deadline):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exit
		return -1
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state.ExitCode()
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[p] = pp
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
			if _, ok := parent[q]; !ok {
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// alive lists which of pids still exist (zombies count as gone).
func alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 0 && f[0] == "Z" {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
