//go:build crashpoints

package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Enabled reports whether this binary was built with crash points.
const Enabled = true

// The state below is the one deliberate exception to "no mutable package
// state": a crash point must be reachable from any depth without plumbing,
// and it only exists in test builds.
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

// Hit marks that the process reached point name. Without FERRY_CRASH_AT
// it costs one sync.Once check.
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
