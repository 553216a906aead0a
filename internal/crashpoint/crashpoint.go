// Package crashpoint lets the crash-safety tests kill Ferry at a named
// point: with FERRY_CRASH_AT=NAME:N in the environment, the N-th time the
// process reaches point NAME it sends itself SIGKILL, exactly as a power
// cut or the OOM killer would end it. Without the variable a point costs
// one atomic load.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	once   sync.Once
	target string
	nth    int
	mu     sync.Mutex
	hits   = map[string]int{}
)

func load() {
	v := os.Getenv("FERRY_CRASH_AT")
	name, n, ok := strings.Cut(v, ":")
	if !ok {
		return
	}
	k, err := strconv.Atoi(n)
	if err != nil || k < 1 {
		return
	}
	target, nth = name, k
}

// Hit marks that the process reached point name.
func Hit(name string) {
	once.Do(load)
	if target == "" || name != target {
		return
	}
	mu.Lock()
	hits[name]++
	n := hits[name]
	mu.Unlock()
	if n == nth {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
