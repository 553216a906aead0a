package loadbench

import (
	"fmt"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// BenchmarkRunsPerMinute measures the runs per minute one node sustains
// against the sandbox bank: real Chromium, the sandbox bot, and SQLite (or
// PostgreSQL), with the queue kept full throughout the measured window.
//
//	go test ./internal/loadbench -run '^$' -bench RunsPerMinute -benchtime 1x -count 3 -timeout 60m
//
// Metrics: runs/min (the window's runs over the time from the warm-up's
// last run to the window's last), CPU seconds per run of Ferry's process,
// of Chromium, of both, and of PostgreSQL's server (db-cpu-s/run, 0 on
// SQLite), and failed-runs: runs of the window that failed (they held
// their worker as long; on an overloaded machine a page that does not
// render within the step timeout fails a run). ns/op is one window's
// duration.
func BenchmarkRunsPerMinute(b *testing.B) {
	for _, c := range []struct {
		db      string
		workers int
	}{{"sqlite", 1}, {"sqlite", 2}, {"sqlite", 4}, {"postgres", 2}} {
		b.Run(fmt.Sprintf("%s/workers=%d", c.db, c.workers), func(b *testing.B) {
			benchThroughput(b, c.db == "postgres", c.workers)
		})
	}
}

func benchThroughput(b *testing.B, postgres bool, workers int) {
	b.StopTimer()
	g := newRig(b, rigOptions{postgres: postgres, workers: workers})
	window := *flagRuns
	if window <= 0 {
		window = max(8, 4*workers)
	}
	var runs, failed int
	var elapsed time.Duration
	var used usage
	for range b.N {
		w := measureWindow(b, g, workers, window)
		runs += window
		failed += w.failed
		elapsed += w.elapsed
		used.ferryCPU += w.used.ferryCPU
		used.chromiumCPU += w.used.chromiumCPU
		used.otherCPU += w.used.otherCPU
	}
	n := float64(runs)
	b.ReportMetric(n/elapsed.Minutes(), "runs/min")
	b.ReportMetric(used.ferryCPU.Seconds()/n, "ferry-cpu-s/run")
	b.ReportMetric(used.chromiumCPU.Seconds()/n, "chromium-cpu-s/run")
	b.ReportMetric((used.ferryCPU+used.chromiumCPU).Seconds()/n, "cpu-s/run")
	b.ReportMetric(used.otherCPU.Seconds()/n, "db-cpu-s/run")
	b.ReportMetric(float64(failed), "failed-runs")
}

// windowResult is one measured window.
type windowResult struct {
	elapsed time.Duration
	used    usage
	failed  int // runs of the window that ended failed
}

// measureWindow queues workers warm-up runs, window measured runs and
// workers tail runs at once, so that every worker is busy from the
// window's start to its end: the window opens when the warm-up's last run
// ends and closes when the window's last run ends (the runs' FinishedAt).
// CPU is sampled as each is seen to happen (polled every 250 ms).
func measureWindow(b *testing.B, g *rig, workers, window int) windowResult {
	ids := g.enqueue(workers + window + workers)
	limit := time.Duration(window+2*workers) * 3 * time.Minute / time.Duration(workers)
	// A run that fails (on an overloaded machine, a page that did not
	// render within the step timeout) still occupied its worker: it is
	// counted in the window and reported, not a reason to lose the window.
	g.waitEnded(ids, workers, limit, true)
	u0, err := sampleCPU(g.browser.PID())
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	done := g.waitEnded(ids, workers+window, limit, true)
	b.StopTimer()
	u1, err := sampleCPU(g.browser.PID())
	if err != nil {
		b.Fatal(err)
	}
	// Let the tail end before the next window (or the stop) so that it
	// does not count there.
	g.waitEnded(ids, len(ids), limit, true)
	failed := 0
	for _, r := range done[workers : workers+window] {
		if r.Status != ferry.RunSucceeded {
			failed++
			b.Logf("run %d failed: %s: %s", r.ID, r.Class, r.Error)
		}
	}
	opened, closed := done[workers-1].FinishedAt, done[workers+window-1].FinishedAt
	return windowResult{elapsed: closed.Sub(opened), used: u1.sub(u0), failed: failed}
}
