package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// Leases: one holder at a time until the lease expires; orphans are runs
// running, or leased while queued or interrupted, whose lease expired (or,
// for a caller holding the data directory's lock, leased by another
// owner); each is requeued once.
func TestRunLeases(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 21, 3, 0, 0, 0, time.UTC)
	newRun := func() int64 {
		id, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	claim := func(id int64, owner string, now, until time.Time) bool {
		ok, err := db.ClaimRun(ctx, id, owner, now, until)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	running, queued, fresh, live := newRun(), newRun(), newRun(), newRun()
	if !claim(running, "a", t0, t0.Add(time.Minute)) || claim(running, "b", t0.Add(30*time.Second), t0.Add(2*time.Minute)) {
		t.Fatal("a second owner took a live lease")
	}
	if err := db.StartRun(ctx, running, 1, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.RenewLease(ctx, running, "a", t0.Add(90*time.Second)); err != nil || !ok {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if ok, _ := db.RenewLease(ctx, running, "b", t0.Add(time.Hour)); ok {
		t.Fatal("a non-holder renewed the lease")
	}
	claim(queued, "a", t0, t0.Add(time.Minute)) // died before starting it
	claim(live, "c", t0, t0.Add(time.Hour))
	if err := db.StartRun(ctx, live, 1, ""); err != nil {
		t.Fatal(err)
	}
	ids := func(now time.Time, me string) map[int64]ferry.RunStatus {
		os, err := db.ExpiredLeases(ctx, now, me)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]ferry.RunStatus{}
		for _, o := range os {
			out[o.ID] = o.Status
		}
		return out
	}
	if got := ids(t0.Add(80*time.Second), ""); len(got) != 1 || got[queued] != ferry.RunQueued {
		t.Fatalf("orphans at +80 s: %v, want only the leased queued run", got)
	}
	got := ids(t0.Add(2*time.Minute), "")
	if len(got) != 2 || got[running] != ferry.RunRunning || got[queued] != ferry.RunQueued {
		t.Fatalf("orphans at +2 min: %v, want the running and the queued run, not %d (live) or %d (never leased)", got, live, fresh)
	}
	if got := ids(t0, "c"); len(got) != 2 || got[live] != "" {
		t.Fatalf("orphans for the lock holder c: %v, want the runs of every other owner", got)
	}
	os, _ := db.ExpiredLeases(ctx, t0.Add(2*time.Minute), "")
	for _, o := range os {
		ok, err := db.RequeueOrphan(ctx, db.SQL, o)
		if err != nil || !ok {
			t.Fatalf("requeue %d: %v %v", o.ID, ok, err)
		}
		if ok, _ := db.RequeueOrphan(ctx, db.SQL, o); ok {
			t.Fatalf("run %d requeued twice", o.ID)
		}
	}
	r, _ := db.Run(ctx, running)
	if owner, _, _ := db.Lease(ctx, running); r.Status != ferry.RunQueued || owner != "" {
		t.Fatalf("requeued run: %s, lease %q", r.Status, owner)
	}
	if !claim(live, "c", t0.Add(time.Minute), t0.Add(2*time.Hour)) {
		t.Fatal("the holder could not extend its own lease by claiming")
	}
	if ok, _ := db.InterruptRun(ctx, live, "x", "stop"); ok {
		t.Fatal("a non-holder interrupted the run")
	}
	if ok, err := db.InterruptRun(ctx, live, "c", "stop"); err != nil || !ok {
		t.Fatalf("interrupt: %v %v", ok, err)
	}
	r, _ = db.Run(ctx, live)
	if r.Status != ferry.RunInterrupted || r.Class != "" {
		t.Fatalf("interrupted run: %s/%s", r.Status, r.Class)
	}
	if got := ids(t0.Add(time.Hour), "z"); got[live] != "" {
		t.Fatalf("an interrupted run without a lease counted as an orphan: %v", got)
	}
}
