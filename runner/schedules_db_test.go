package runner_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// rounds counts a runner's completed schedule reads and catch-ups.
type rounds struct{ synced, caught atomic.Int64 }

// waitRounds waits until every runner has read the stored schedules and
// then caught up twice since the call: a full round began after whatever
// the test changed last.
func waitRounds(t *testing.T, rs ...*rounds) {
	t.Helper()
	type mark struct{ s, c int64 }
	start := make([]mark, len(rs))
	for i, r := range rs {
		start[i] = mark{r.synced.Load(), r.caught.Load()}
	}
	for i, r := range rs {
		deadline := time.Now().Add(30 * time.Second)
		for r.synced.Load() < start[i].s+2 {
			if time.Now().After(deadline) {
				t.Fatalf("runner %d did not read the schedules in 30 s", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		after := r.caught.Load()
		for r.caught.Load() < after+2 {
			if time.Now().After(deadline) {
				t.Fatalf("runner %d did not catch up in 30 s", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Schedules administered in the database, fired by two runners sharing one
// PostgreSQL database under a driven clock: each slot runs once across
// both; a paused schedule fires nothing, and slots that passed while it
// was paused are not caught up on resume; an edit takes effect on both
// without a restart; a deleted schedule stops.
func TestStoredSchedulesTwoRunnersOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	dsn := pg.Database(t)
	clock := &testClock{now: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
	admin, err := storage.Open(ctx, dsn, t.TempDir(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var rs [2]*rounds
	for i := range rs {
		rs[i] = &rounds{}
		e := setup(t, dsn, bank, func(c *runner.Config) {
			c.Now, c.CatchUpEvery, c.ScheduleSyncEvery = clock.Now, 50*time.Millisecond, 50*time.Millisecond
		})
		rd := rs[i]
		runner.SetHook(e.r, func(point string) {
			switch point {
			case "schedules synced":
				rd.synced.Add(1)
			case "caught up":
				rd.caught.Add(1)
			}
		})
	}
	slots := func() []time.Time {
		t.Helper()
		runs, err := admin.Runs(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Time
		for _, r := range runs {
			if r.Schedule == "db-hourly" {
				out = append(out, r.Slot.UTC())
			}
		}
		return out
	}
	expect := func(step string, want ...time.Time) {
		t.Helper()
		waitRounds(t, rs[:]...)
		got := slots()
		if len(got) != len(want) {
			t.Fatalf("%s: runs of slots %v, want %v", step, got, want)
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || g.Equal(w)
			}
			if !found {
				t.Fatalf("%s: runs of slots %v, want %v", step, got, want)
			}
		}
	}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 14, h, m, 0, 0, time.UTC) }

	def, err := admin.AddScheduleDef(ctx, ferry.ScheduleDef{ID: "db-hourly", Bot: "demobank-statements", Login: "demobank-lina", Cron: "@every 1h", UpdatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	expect("created at 09:30: 09:00 passed before it existed")
	clock.Set(at(10, 0).Add(30 * time.Second))
	expect("10:00 came", at(10, 0))

	if _, err := admin.SetScheduleDefPaused(ctx, def.ID, true, "test"); err != nil {
		t.Fatal(err)
	}
	waitRounds(t, rs[:]...)
	clock.Set(at(11, 0).Add(30 * time.Second))
	expect("11:00 came while paused", at(10, 0))

	def, err = admin.SetScheduleDefPaused(ctx, def.ID, false, "test")
	if err != nil {
		t.Fatal(err)
	}
	expect("resumed at 11:00:30: the paused slot is not caught up", at(10, 0))
	clock.Set(at(12, 0).Add(30 * time.Second))
	expect("12:00 came", at(10, 0), at(12, 0))

	// Edited: a quarter to every hour, in Shanghai's zone (whole hours
	// from UTC, so the slot is 12:45 UTC).
	def.Cron, def.Zone = "45 * * * *", "Asia/Shanghai"
	if _, err := admin.UpdateScheduleDef(ctx, def); err != nil {
		t.Fatal(err)
	}
	expect("edited at 12:00:30", at(10, 0), at(12, 0))
	clock.Set(at(12, 45).Add(30 * time.Second))
	expect("12:45 came", at(10, 0), at(12, 0), at(12, 45))
	clock.Set(at(13, 0).Add(30 * time.Second))
	expect("13:00 is no slot of the edited spec", at(10, 0), at(12, 0), at(12, 45))

	if _, err := admin.DeleteScheduleDef(ctx, def.ID); err != nil {
		t.Fatal(err)
	}
	waitRounds(t, rs[:]...)
	clock.Set(at(13, 45).Add(30 * time.Second))
	expect("13:45 came after the delete", at(10, 0), at(12, 0), at(12, 45))
}
