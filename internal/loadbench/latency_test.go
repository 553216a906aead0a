package loadbench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
)

// latencyEvery is the schedule's interval: longer than a run takes on a
// loaded machine, so that each slot finds the node idle and the figure is
// the scheduling path's own (River's periodic job, the slot job, the run
// job, the browser context), not a queue.
const latencyEvery = 40 * time.Second

// BenchmarkScheduleLatency measures schedule-to-start latency: a schedule
// fires every 40 s (`@every 40s`: the runner's cron parser is robfig's
// standard one, five fields without seconds, plus descriptors), and for
// each slot the time from the slot to the run's StartedAt and to the start
// of its first step.
//
//	go test ./internal/loadbench -run '^$' -bench ScheduleLatency -benchtime 1x -count 3 -timeout 30m
//
// Metrics: start-ms-p50, start-ms-p95, step1-ms-p50, step1-ms-p95 over
// -loadbench.slots slots (default 6) per iteration, of the slots that
// found the login idle (slots-timed); a slot whose login was still busy
// with the previous slot's run (on a very loaded machine a run can outlast
// the interval) waits for it, and is counted in slots-busy instead. The
// runs are of the bot's default period (yesterday).
func BenchmarkScheduleLatency(b *testing.B) {
	b.Run("sqlite/workers=2", func(b *testing.B) { benchLatency(b) })
}

func benchLatency(b *testing.B) {
	b.StopTimer()
	const id = "bench-every"
	g := newRig(b, rigOptions{workers: 2, schedules: func(logins []string) []runner.Schedule {
		return []runner.Schedule{{ID: id, Bot: bot, Login: logins[0], Cron: "@every " + latencyEvery.String()}}
	}})
	slots := *flagSlots
	var toStart, toStep []float64
	var grid time.Time
	var prev ferry.RunRecord // the previous slot's run
	busy := 0
	seen := map[int64]bool{}
	for range b.N {
		b.StartTimer()
		runs := waitSlots(b, g, id, seen, slots)
		b.StopTimer()
		for _, r := range runs {
			seen[r.ID] = true
			// A slot whose login was still busy with the previous slot's
			// run waits for it (one run per login at a time): that is a
			// queue, not the scheduling path. It is counted, not timed.
			wasBusy := prev.ID != 0 && prev.FinishedAt.After(r.Slot)
			prev = r
			if wasBusy {
				busy++
				continue
			}
			// River's periodic job fires at the slot; the runner names the
			// slot by the schedule's last firing time at or before now, to
			// the second. A slot off the schedule's grid means River fired a
			// second or more late, and the figure would hide it.
			if grid.IsZero() {
				grid = r.Slot
			}
			if off := r.Slot.Sub(grid) % latencyEvery; off != 0 {
				b.Fatalf("run %d: slot %s is %s off the schedule's grid (%s)", r.ID, r.Slot, off, grid)
			}
			steps, _, err := g.db.Steps(context.Background(), r.ID)
			if err != nil {
				b.Fatal(err)
			}
			if len(steps) == 0 {
				b.Fatalf("run %d has no steps", r.ID)
			}
			first := steps[0].Started
			for _, s := range steps {
				if s.Started.Before(first) {
					first = s.Started
				}
			}
			toStart = append(toStart, float64(r.StartedAt.Sub(r.Slot))/float64(time.Millisecond))
			toStep = append(toStep, float64(first.Sub(r.Slot))/float64(time.Millisecond))
		}
	}
	if len(toStart) == 0 {
		b.Fatalf("every one of %d slots found the previous run still going: lengthen latencyEvery", busy)
	}
	b.ReportMetric(quantile(toStart, 0.5), "start-ms-p50")
	b.ReportMetric(quantile(toStart, 0.95), "start-ms-p95")
	b.ReportMetric(quantile(toStep, 0.5), "step1-ms-p50")
	b.ReportMetric(quantile(toStep, 0.95), "step1-ms-p95")
	b.ReportMetric(float64(len(toStart)), "slots-timed")
	b.ReportMetric(float64(busy), "slots-busy")
}

// waitSlots waits until n runs of schedule id not in seen have ended, and
// returns them. Every one must have succeeded.
func waitSlots(b *testing.B, g *rig, id string, seen map[int64]bool, n int) []ferry.RunRecord {
	deadline := time.Now().Add(time.Duration(n+2)*latencyEvery + 15*time.Minute)
	for {
		all, err := g.db.Runs(context.Background(), 1000)
		if err != nil {
			b.Fatal(err)
		}
		var out []ferry.RunRecord
		for _, r := range all {
			if r.Schedule != id || seen[r.ID] || !ended(r.Status) {
				continue
			}
			if r.Status != ferry.RunSucceeded {
				b.Fatalf("scheduled run %d (slot %s): %s %s: %s", r.ID, r.Slot, r.Status, r.Class, r.Error)
			}
			out = append(out, r)
		}
		if len(out) >= n {
			slices.SortFunc(out, func(a, b ferry.RunRecord) int { return a.Slot.Compare(b.Slot) })
			return out[:n]
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d slots ran before %s", len(out), n, deadline.Format(time.TimeOnly))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
