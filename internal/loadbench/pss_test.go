package loadbench

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
)

// BenchmarkPSSPerRun measures the memory each extra concurrent run costs:
// the summed PSS of Ferry's process and every Chromium process with one
// run in flight, then with N in flight, each held at the same point (every
// run past its first download, on the results page) by the sandbox's
// slow-page switch.
//
//	go test ./internal/loadbench -run '^$' -bench PSSPerRun -benchtime 1x -count 3 -timeout 30m
//
// Metrics: MiB/extra-run ((PSS at N − PSS at 1) / (N − 1)), split into
// Chromium's and Ferry's share (Ferry's is the Go heap's growth, which
// depends on when the collector last ran: noisier), and the sums at 1 and
// N in flight. Each sample is the median of five half a second apart, and
// each figure the median over -benchtime iterations (use 3x).
func BenchmarkPSSPerRun(b *testing.B) {
	for _, n := range []int{4} {
		b.Run(fmt.Sprintf("sqlite/inflight=%d", n), func(b *testing.B) { benchPSS(b, n) })
	}
}

// slowPages is how long the bank takes for every request while runs are
// held: long enough that none ends while the others catch up.
const slowPages = 1500 * time.Millisecond

func benchPSS(b *testing.B, n int) {
	b.StopTimer()
	var steps stepCounter
	g := newRig(b, rigOptions{workers: n, onStep: steps.onStep})
	// A first run at full speed: Chromium's helper processes, the selector
	// file and the database are warm before anything is measured.
	g.waitFinished(g.enqueue(1), 1, 10*time.Minute)
	var one, many []memory
	for range b.N {
		b.StartTimer()
		one = append(one, holdPSS(b, g, &steps, 1))
		many = append(many, holdPSS(b, g, &steps, n))
		b.StopTimer()
	}
	const mib = 1 << 20
	med := func(ms []memory, f func(memory) int64) float64 {
		var xs []float64
		for _, m := range ms {
			xs = append(xs, float64(f(m)))
		}
		return median(xs) / mib
	}
	perRun := func(f func(memory) int64) float64 { return (med(many, f) - med(one, f)) / float64(n-1) }
	total := memory.total
	ferry := func(m memory) int64 { return m.ferry }
	chromium := func(m memory) int64 { return m.chromium }
	b.ReportMetric(perRun(total), "MiB/extra-run")
	b.ReportMetric(perRun(chromium), "chromium-MiB/extra-run")
	b.ReportMetric(perRun(ferry), "ferry-MiB/extra-run")
	b.ReportMetric(med(one, total), "MiB@1")
	b.ReportMetric(med(many, total), fmt.Sprintf("MiB@%d", n))
	b.ReportMetric(med(one, ferry), "ferry-MiB@1")
	b.ReportMetric(med(many, ferry), fmt.Sprintf("ferry-MiB@%d", n))
}

// holdPSS queues k runs with the bank slowed down, waits until each has
// ended its first download step, samples the PSS five times and lets the
// runs finish at full speed. It returns the sample whose total is the
// median.
func holdPSS(b *testing.B, g *rig, steps *stepCounter, k int) memory {
	g.bank.Set(func(s *sandbox.Switches) { s.SlowPages = slowPages })
	ids := g.enqueue(k)
	deadline := time.Now().Add(15 * time.Minute)
	for {
		ready := 0
		for _, id := range ids {
			if steps.count(id, "download") >= 1 {
				ready++
			}
		}
		if ready == k {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("after 15 min only %d of %d runs are past their first download", ready, k)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var samples []memory
	for i := range 5 {
		if i > 0 {
			time.Sleep(500 * time.Millisecond)
		}
		m, err := pss(g.browser.PID())
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, m)
	}
	// Every run must still have been in flight: one that ended would
	// have been measured without its memory.
	if done := g.finished(ids); len(done) > 0 {
		b.Fatalf("run %d ended while the runs were held; raise slowPages", done[0].ID)
	}
	g.bank.Set(func(s *sandbox.Switches) { s.SlowPages = 0 })
	g.waitFinished(ids, k, 15*time.Minute)
	slices.SortFunc(samples, func(a, b memory) int { return cmp.Compare(a.total(), b.total()) })
	return samples[len(samples)/2]
}
