package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// runLeases checks ferry.RunLeaseStore: who works a run, judged at the
// caller's times.
func runLeases(t *testing.T, h Harness) {
	t0 := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	t.Run("ClaimRenewRelease", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		id := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		claim := func(owner string, now, until time.Time) bool {
			t.Helper()
			ok, err := s.ClaimRun(ctx, id, owner, now, until)
			if err != nil {
				t.Fatalf("ClaimRun by %s: %v", owner, err)
			}
			return ok
		}
		if owner, until, err := s.Lease(ctx, id); err != nil || owner != "" || !until.IsZero() {
			t.Fatalf("lease of a new run: %q %v %v, want none", owner, until, err)
		}
		// A queued run can be claimed (the worker takes it before it starts).
		if !claim("a", t0, t0.Add(time.Minute)) {
			t.Fatal("a free lease was not given")
		}
		if owner, until, err := s.Lease(ctx, id); err != nil || owner != "a" || !until.Equal(t0.Add(time.Minute)) {
			t.Fatalf("lease: %q %v %v, want a until %v", owner, until, err, t0.Add(time.Minute))
		}
		if claim("b", t0.Add(59*time.Second), t0.Add(time.Hour)) {
			t.Fatal("another owner took a live lease")
		}
		if !claim("a", t0.Add(10*time.Second), t0.Add(2*time.Minute)) {
			t.Fatal("the owner could not claim its own lease again")
		}
		if ok, err := s.RenewLease(ctx, id, "a", t0.Add(3*time.Minute)); err != nil || !ok {
			t.Fatalf("renewal by the owner: %v %v", ok, err)
		}
		if ok, err := s.RenewLease(ctx, id, "b", t0.Add(time.Hour)); err != nil || ok {
			t.Fatalf("renewal by another owner: %v %v, want false", ok, err)
		}
		if owner, _, _ := s.Lease(ctx, id); owner != "a" {
			t.Fatalf("after another owner's renewal the lease is %q's", owner)
		}
		// Expired at the claimer's now: taken over; the old owner has lost it.
		if !claim("b", t0.Add(3*time.Minute+time.Second), t0.Add(time.Hour)) {
			t.Fatal("an expired lease was not taken over")
		}
		if ok, _ := s.RenewLease(ctx, id, "a", t0.Add(time.Hour)); ok {
			t.Fatal("the old owner renewed a lease taken over")
		}
		if err := s.ReleaseLease(ctx, id, "a"); err != nil {
			t.Fatalf("release by a non-owner: %v, want no error", err)
		}
		if owner, _, _ := s.Lease(ctx, id); owner != "b" {
			t.Fatalf("a non-owner's release freed the lease: %q", owner)
		}
		if err := s.ReleaseLease(ctx, id, "b"); err != nil {
			t.Fatal(err)
		}
		if owner, until, _ := s.Lease(ctx, id); owner != "" || !until.IsZero() {
			t.Fatalf("after release: %q %v", owner, until)
		}
		if !claim("c", t0, t0.Add(time.Minute)) {
			t.Fatal("a released lease was not given")
		}
		if ok, err := s.ClaimRun(ctx, id+1000, "a", t0, t0.Add(time.Minute)); err != nil || ok {
			t.Fatalf("claim of an unknown run: %v %v, want false", ok, err)
		}
		if _, _, err := s.Lease(ctx, id+1000); err == nil {
			t.Fatal("lease of an unknown run: no error")
		}
	})
	t.Run("InterruptReleases", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		id := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		if ok, err := s.ClaimRun(ctx, id, "a", t0, t0.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := s.StartRun(ctx, id, 1, "v1"); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.InterruptRun(ctx, id, "b", "stop"); err != nil || ok {
			t.Fatalf("interrupt by a non-owner: %v %v, want false", ok, err)
		}
		if r, _ := s.Run(ctx, id); r.Status != ferry.RunRunning {
			t.Fatalf("a non-owner's interrupt changed the run: %s", r.Status)
		}
		if ok, err := s.InterruptRun(ctx, id, "a", "interrupted by a stop"); err != nil || !ok {
			t.Fatalf("interrupt by the owner: %v %v", ok, err)
		}
		r, _ := s.Run(ctx, id)
		if r.Status != ferry.RunInterrupted || r.Class != "" || r.Error != "interrupted by a stop" || r.Attempt != 1 {
			t.Fatalf("interrupted run: %+v", r)
		}
		if owner, _, _ := s.Lease(ctx, id); owner != "" {
			t.Fatalf("an interrupted run keeps its lease (%q): the next start would wait for it", owner)
		}
	})
	t.Run("ConcurrentClaimsOneWinner", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		id := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		const n = 8
		var wg sync.WaitGroup
		var won [n]bool
		var errs [n]error
		for i := range n {
			wg.Go(func() {
				won[i], errs[i] = s.ClaimRun(ctx, id, string(rune('a'+i)), t0, t0.Add(time.Minute))
			})
		}
		wg.Wait()
		winners := 0
		for i := range n {
			if err := errs[i]; err != nil {
				t.Fatalf("claim %d: %v", i, err)
			}
			if won[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("%d of %d concurrent claims of a free lease won, want 1", winners, n)
		}
	})
}
