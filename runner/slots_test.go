package runner_test

import (
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/runner"
)

// An interval schedule's slots are a fixed grid: every process, asked at
// any moment, names the same slots, so a slot is run once across a
// cluster and caught up after a restart, never invented anew.
func TestIntervalSlotsAreAGrid(t *testing.T) {
	spec, err := runner.ParseSpec("@every 15s")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, off := range []time.Duration{0, time.Millisecond, 7 * time.Second, 14*time.Second + 999*time.Millisecond} {
		now := base.Add(off)
		if got := runner.LastSlot(spec, now); !got.Equal(base) {
			t.Errorf("last slot at %s: %s, want %s", now.Format(time.RFC3339Nano), got, base)
		}
		if got := spec.Next(now); !got.Equal(base.Add(15 * time.Second)) {
			t.Errorf("next slot after %s: %s, want %s", now.Format(time.RFC3339Nano), got, base.Add(15*time.Second))
		}
	}
	// Cron specs keep their own slots.
	daily, err := runner.ParseSpec("CRON_TZ=Asia/Shanghai 40 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, sh)
	if got := runner.LastSlot(daily, now); !got.Equal(time.Date(2026, 3, 14, 2, 40, 0, 0, sh)) {
		t.Errorf("daily last slot: %s", got)
	}
	if _, err := runner.ParseSpec("@every nonsense"); err == nil {
		t.Error("a bad interval parsed")
	}
}
