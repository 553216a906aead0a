package loadbench

import (
	"testing"
	"time"
)

// TestHarness checks the benchmarks' harness on one run (of one account,
// to be quick): the bank's logins work with the bot, a run's period is a
// month of its own, and the
// /proc readings find Chromium and see it and Ferry spend CPU and memory.
func TestHarness(t *testing.T) {
	var steps stepCounter
	g := newRig(t, rigOptions{workers: 1, oneAccount: true, onStep: steps.onStep})
	u0, err := sampleCPU(g.browser.PID())
	if err != nil {
		t.Fatal(err)
	}
	ids := g.enqueue(1)
	done := g.waitFinished(ids, 1, 2*time.Minute)
	u := func() usage {
		u1, err := sampleCPU(g.browser.PID())
		if err != nil {
			t.Fatal(err)
		}
		return u1.sub(u0)
	}()
	run := done[0]
	if run.Params.From.String() != "2025-01-01" || run.Params.To.String() != "2025-01-31" {
		t.Errorf("first run's period %s to %s, want January 2025", run.Params.From, run.Params.To)
	}
	if !run.StartedAt.After(run.CreatedAt.Add(-time.Second)) || !run.FinishedAt.After(run.StartedAt) {
		t.Errorf("run times: created %s, started %s, finished %s", run.CreatedAt, run.StartedAt, run.FinishedAt)
	}
	// One account, three formats.
	if n := steps.count(run.ID, "download"); n != 3 {
		t.Errorf("run %d: %d download steps, want 3", run.ID, n)
	}
	if u.chromiumProcs < 2 || u.chromiumCPU <= 0 || u.ferryCPU <= 0 {
		t.Errorf("CPU over the run: Ferry %s, Chromium %s in %d processes", u.ferryCPU, u.chromiumCPU, u.chromiumProcs)
	}
	m, err := pss(g.browser.PID())
	if err != nil {
		t.Fatal(err)
	}
	if m.procs < 2 || m.ferry <= 0 || m.chromium <= 0 {
		t.Errorf("PSS: Ferry %d bytes, Chromium %d bytes in %d processes", m.ferry, m.chromium, m.procs)
	}
	t.Logf("one run: %s; CPU Ferry %s, Chromium %s (%d processes); PSS Ferry %.0f MiB, Chromium %.0f MiB in %d processes",
		run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), u.ferryCPU, u.chromiumCPU, u.chromiumProcs,
		float64(m.ferry)/(1<<20), float64(m.chromium)/(1<<20), m.procs)
	if got := quantile([]float64{4, 1, 3, 2}, 0.5); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
	if got := quantile([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.95); got != 10.5 {
		t.Errorf("p95 of 1..11 = %v, want 10.5", got)
	}
}
