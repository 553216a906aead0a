package loadbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 in its user ABI whatever the kernel's HZ.
const userHZ = 100

// procInfo is what the benchmarks read of one process in /proc.
type procInfo struct {
	pid, ppid int
	// cpu is the process's own user+system time plus that of its children
	// it has reaped: summed over the live processes of a tree it counts
	// every CPU second the tree spent once, including processes that have
	// exited (Chromium's renderers come and go).
	cpu time.Duration
}

// readProcs reads every process's parent and CPU times. Processes that
// exit while it reads are skipped.
func readProcs() (map[int]procInfo, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("loadbench: list /proc: %w", err)
	}
	out := map[int]procInfo{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		out[pid] = p
	}
	return out, nil
}

// readStat parses /proc/PID/stat (proc(5)): the fields after the command
// name, which is in parentheses and may itself hold spaces and ")".
func readStat(pid int) (procInfo, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procInfo{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, fmt.Errorf("loadbench: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 15 {
		return procInfo{}, fmt.Errorf("loadbench: /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(f[n-3], 10, 64)
		return v
	}
	ticks := num(14) + num(15) + num(16) + num(17) // utime stime cutime cstime
	return procInfo{pid: pid, ppid: int(num(4)), cpu: time.Duration(ticks) * time.Second / userHZ}, nil
}

// tree returns root and its descendants among procs.
func tree(procs map[int]procInfo, root int) []int {
	children := map[int][]int{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	var out []int
	var walk func(int)
	walk = func(pid int) {
		out = append(out, pid)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	if _, ok := procs[root]; ok {
		walk(root)
	}
	return out
}

// usage is a sample of the node's processes: Ferry's (the benchmark
// process, with the in-process sandbox bank), Chromium's (the browser and
// all its descendants) and the others this process started (PostgreSQL's
// server and backends under pgtest).
type usage struct {
	ferryCPU, chromiumCPU, otherCPU time.Duration
	chromiumProcs                   int
}

// sampleCPU reads the CPU time spent so far by the node's processes.
// browserPID is the launched Chromium's process id.
func sampleCPU(browserPID int) (usage, error) {
	procs, err := readProcs()
	if err != nil {
		return usage{}, err
	}
	self := os.Getpid()
	own, err := ownCPU(self)
	if err != nil {
		return usage{}, err
	}
	var u usage
	u.ferryCPU = own
	inBrowser := map[int]bool{}
	for _, pid := range tree(procs, browserPID) {
		inBrowser[pid] = true
		u.chromiumCPU += procs[pid].cpu
		u.chromiumProcs++
	}
	for _, pid := range tree(procs, self)[1:] {
		if !inBrowser[pid] {
			// A live process's time is in its own entry, an exited
			// one's in its parent's once reaped: the sum counts each
			// second once.
			u.otherCPU += procs[pid].cpu
		}
	}
	return u, nil
}

// ownCPU is pid's own user+system time, without its reaped children (the
// benchmark process reaps nothing that runs during a window).
func ownCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("loadbench: %w", err)
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	u, _ := strconv.ParseInt(f[14-3], 10, 64)
	s, _ := strconv.ParseInt(f[15-3], 10, 64)
	return time.Duration(u+s) * time.Second / userHZ, nil
}

// sub is the usage between two samples.
func (u usage) sub(v usage) usage {
	return usage{ferryCPU: u.ferryCPU - v.ferryCPU, chromiumCPU: u.chromiumCPU - v.chromiumCPU,
		otherCPU: u.otherCPU - v.otherCPU, chromiumProcs: u.chromiumProcs}
}

// memory is a PSS sample, in bytes: of Ferry's process and of every
// Chromium process, from /proc/PID/smaps_rollup. Shared pages are split
// among the processes that map them, so a sum counts each page once.
type memory struct {
	ferry, chromium int64
	procs           int // Chromium processes read
}

// total is Ferry's and Chromium's PSS together.
func (m memory) total() int64 { return m.ferry + m.chromium }

// pss samples the PSS of Ferry's process and every Chromium process.
func pss(browserPID int) (memory, error) {
	procs, err := readProcs()
	if err != nil {
		return memory{}, err
	}
	var m memory
	self, err := rollupPSS(os.Getpid())
	if err != nil {
		return memory{}, err
	}
	m.ferry = self * 1024
	for _, pid := range tree(procs, browserPID) {
		kb, err := rollupPSS(pid)
		if err != nil {
			if os.IsNotExist(err) || errors.Is(err, syscall.ESRCH) {
				continue // exited meanwhile (ESRCH: exiting, its /proc entry not yet gone)
			}
			return memory{}, err
		}
		m.chromium += kb * 1024
		m.procs++
	}
	return m, nil
}

// rollupPSS reads the Pss line of /proc/PID/smaps_rollup, in kB.
func rollupPSS(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("loadbench: /proc/%d/smaps_rollup: Pss %q: %w", pid, rest, err)
			}
			return v, nil
		}
	}
	if err := sc.Err(); err != nil {
		// A process that exits while being read reads as ESRCH.
		return 0, os.ErrNotExist
	}
	return 0, fmt.Errorf("loadbench: /proc/%d/smaps_rollup has no Pss line", pid)
}
