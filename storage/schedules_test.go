package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// Stored schedules on both databases: added at version 1 active since
// now, edited only at the version read, paused and resumed (a resume is
// active since then), deleted; errors are the sentinel ones.
func TestScheduleDefsOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"SQLite": openSQLite, "Postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var mu sync.Mutex
			now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			db := open(t, false, clock)
			if defs, err := db.ScheduleDefs(ctx); err != nil || len(defs) != 0 {
				t.Fatalf("empty: %v %v", defs, err)
			}
			s, err := db.AddScheduleDef(ctx, ferry.ScheduleDef{ID: "nightly", Bot: "b", Login: "l", Cron: "30 2 * * *", Zone: "Asia/Shanghai",
				Params: map[string]string{"account": "<x>"}, UpdatedBy: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != 1 || s.Paused || !s.ActiveSince.Equal(clock()) || s.Params["account"] != "<x>" || s.Spec() != "CRON_TZ=Asia/Shanghai 30 2 * * *" || s.UpdatedBy != "ada" {
				t.Fatalf("added: %+v", s)
			}
			if _, err := db.AddScheduleDef(ctx, ferry.ScheduleDef{ID: "nightly", Bot: "b", Login: "l", Cron: "* * * * *"}); !errors.Is(err, ferry.ErrScheduleExists) {
				t.Fatalf("duplicate: %v", err)
			}
			advance(time.Hour)
			s.Cron, s.Zone = "0 6 * * *", ""
			e, err := db.UpdateScheduleDef(ctx, s)
			if err != nil || e.Version != 2 || e.Cron != "0 6 * * *" || e.Spec() != "0 6 * * *" || !e.ActiveSince.Equal(clock()) {
				t.Fatalf("edited: %+v %v", e, err)
			}
			if _, err := db.UpdateScheduleDef(ctx, s); !errors.Is(err, ferry.ErrScheduleChanged) {
				t.Fatalf("stale edit: %v", err)
			}
			if _, err := db.UpdateScheduleDef(ctx, ferry.ScheduleDef{ID: "nope", Version: 1}); !errors.Is(err, ferry.ErrNoSchedule) {
				t.Fatalf("unknown edit: %v", err)
			}
			advance(time.Hour)
			p, err := db.SetScheduleDefPaused(ctx, "nightly", true, "bob")
			if err != nil || !p.Paused || p.Version != 3 || !p.ActiveSince.Equal(e.ActiveSince) || p.UpdatedBy != "bob" {
				t.Fatalf("paused: %+v %v", p, err)
			}
			if again, err := db.SetScheduleDefPaused(ctx, "nightly", true, "eve"); err != nil || again.Version != 3 || again.UpdatedBy != "bob" {
				t.Fatalf("paused twice: %+v %v", again, err)
			}
			advance(time.Hour)
			r, err := db.SetScheduleDefPaused(ctx, "nightly", false, "bob")
			if err != nil || r.Paused || r.Version != 4 || !r.ActiveSince.Equal(clock()) {
				t.Fatalf("resumed: %+v %v", r, err)
			}
			if _, err := db.SetScheduleDefPaused(ctx, "nope", true, "bob"); !errors.Is(err, ferry.ErrNoSchedule) {
				t.Fatalf("unknown pause: %v", err)
			}
			if defs, err := db.ScheduleDefs(ctx); err != nil || len(defs) != 1 || defs[0].Version != 4 {
				t.Fatalf("list: %+v %v", defs, err)
			}
			d, err := db.DeleteScheduleDef(ctx, "nightly")
			if err != nil || d.ID != "nightly" || d.Version != 4 {
				t.Fatalf("deleted: %+v %v", d, err)
			}
			if _, err := db.DeleteScheduleDef(ctx, "nightly"); !errors.Is(err, ferry.ErrNoSchedule) {
				t.Fatalf("deleted twice: %v", err)
			}
			if _, err := db.ScheduleDef(ctx, "nightly"); !errors.Is(err, ferry.ErrNoSchedule) {
				t.Fatalf("gone: %v", err)
			}
		})
	}
}
