// Package storetest is the conformance suite of Ferry's stores (the
// interfaces in ferry/store.go), in the style of River's riverdrivertest:
// Run takes a harness that makes fresh stores and checks every method's
// contract against them, so that the SQLite and the PostgreSQL
// implementation are proven by the same tests.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Store is everything an implementation offers.
type Store interface {
	ferry.Transactor
	ferry.RunStore
	ferry.RunLeaseStore
	ferry.ArtifactStore
	ferry.RecordStore
	ferry.SelectorStore
	ferry.OutboxStore
}

// Harness makes the stores Run tests.
type Harness struct {
	// New returns a fresh, empty store for t, closed when t ends, whose
	// clock is now (time.Now when nil).
	New func(t *testing.T, now func() time.Time) Store
	// Exec runs a statement, written with ? placeholders, on s's database:
	// for fixtures no interface method makes (lines a previous version
	// stored).
	Exec func(t *testing.T, s Store, query string, args ...any)
	// Blobs returns how many distinct artifact contents s holds.
	Blobs func(t *testing.T, s Store) int
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	t.Run("Runs", func(t *testing.T) { runs(t, h) })
	t.Run("RunLeases", func(t *testing.T) { runLeases(t, h) })
	t.Run("Tx", func(t *testing.T) { transactions(t, h) })
	t.Run("Artifacts", func(t *testing.T) { Artifacts(t, h) })
	t.Run("Records", func(t *testing.T) { records(t, h) })
	t.Run("Selectors", func(t *testing.T) { selectorStore(t, h) })
	t.Run("Outbox", func(t *testing.T) { outbox(t, h) })
}

var ctx = context.Background()

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// slot is a fixed time, never today's.
var slot = time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)

func newRun(t *testing.T, s Store, r ferry.Run) int64 {
	t.Helper()
	id, err := s.NewRun(ctx, r)
	if err != nil {
		t.Fatalf("NewRun(%+v): %v", r, err)
	}
	if id <= 0 {
		t.Fatalf("NewRun returned id %d", id)
	}
	return id
}

func runs(t *testing.T, h Harness) {
	t.Run("NewRunAndRun", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		p := ferry.RunParams{From: ferry.NewDate(2026, 3, 1), To: ferry.NewDate(2026, 3, 13), Accounts: []string{"A1", "A2"}}
		id := newRun(t, s, ferry.Run{Bot: "demobank-statements", Login: "lina", Params: p})
		r, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != id || r.Bot != "demobank-statements" || r.Login != "lina" || r.Status != ferry.RunQueued || r.CreatedAt.IsZero() || !r.StartedAt.IsZero() {
			t.Fatalf("stored run: %+v", r)
		}
		if r.Params.From != p.From || r.Params.To != p.To || strings.Join(r.Params.Accounts, ",") != "A1,A2" {
			t.Fatalf("params: %+v, want %+v", r.Params, p)
		}
		if _, err := s.Run(ctx, id+1000); !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown run: %v, want ErrNotFound", err)
		}
	})
	t.Run("RunsNewestFirst", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		var ids []int64
		for i := range 5 {
			ids = append(ids, newRun(t, s, ferry.Run{Bot: "b", Login: fmt.Sprint("l", i)}))
		}
		got, err := s.Runs(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID != ids[4] || got[1].ID != ids[3] || got[2].ID != ids[2] {
			t.Fatalf("Runs(3): %v, want the last three of %v, newest first", runIDs(got), ids)
		}
	})
	t.Run("SlotTakenOnce", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		r := ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot}
		newRun(t, s, r)
		if _, err := s.NewRun(ctx, r); !errors.Is(err, ferry.ErrSlotTaken) {
			t.Fatalf("second run of one slot: %v, want ErrSlotTaken", err)
		}
		// Another slot, another schedule, ad-hoc runs: all free.
		newRun(t, s, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot.Add(24 * time.Hour)})
		newRun(t, s, ferry.Run{Bot: "b", Login: "l", Schedule: "weekly", Slot: slot})
		newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		// The same slot in another zone is the same instant.
		if _, err := s.NewRun(ctx, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot.In(time.FixedZone("CST", 8*3600))}); !errors.Is(err, ferry.ErrSlotTaken) {
			t.Fatalf("the slot in another zone: %v, want ErrSlotTaken", err)
		}
	})
	t.Run("SlotTakenOnceConcurrently", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.NewRun(ctx, ferry.Run{Bot: "b", Login: "l", Schedule: "every-minute", Slot: slot})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ferry.ErrSlotTaken):
				t.Fatalf("concurrent NewRun: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent runs of one slot were stored, want 1", won, n)
		}
	})
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		id := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		if err := s.StartRun(ctx, id, 1, "v1"); err != nil {
			t.Fatal(err)
		}
		r1, _ := s.Run(ctx, id)
		if r1.Status != ferry.RunRunning || r1.Attempt != 1 || r1.SelectorVersion != "v1" || r1.StartedAt.IsZero() {
			t.Fatalf("started: %+v", r1)
		}
		if err := s.RequeueRun(ctx, id, ferry.ClassSiteUnavailable, "503"); err != nil {
			t.Fatal(err)
		}
		r2, _ := s.Run(ctx, id)
		if r2.Status != ferry.RunQueued || r2.Class != ferry.ClassSiteUnavailable || r2.Error != "503" {
			t.Fatalf("requeued: %+v", r2)
		}
		if err := s.StartRun(ctx, id, 2, "v2"); err != nil {
			t.Fatal(err)
		}
		r3, _ := s.Run(ctx, id)
		if r3.Attempt != 2 || r3.SelectorVersion != "v2" || r3.Class != "" || r3.Error != "" || !r3.StartedAt.Equal(r1.StartedAt) {
			t.Fatalf("second attempt: %+v (the first start %v is kept)", r3, r1.StartedAt)
		}
		if err := s.FinishRun(ctx, id, ferry.RunFailed, ferry.ClassSiteChanged, "no login button", "0 statements"); err != nil {
			t.Fatal(err)
		}
		r4, _ := s.Run(ctx, id)
		if r4.Status != ferry.RunFailed || r4.Class != ferry.ClassSiteChanged || r4.Error != "no login button" || r4.Summary != "0 statements" || r4.FinishedAt.IsZero() {
			t.Fatalf("finished: %+v", r4)
		}
		for name, err := range map[string]error{
			"StartRun":   s.StartRun(ctx, id+1000, 1, ""),
			"FinishRun":  s.FinishRun(ctx, id+1000, ferry.RunSucceeded, "", "", ""),
			"RequeueRun": s.RequeueRun(ctx, id+1000, "", ""),
		} {
			if !errors.Is(err, ferry.ErrNotFound) {
				t.Errorf("%s of an unknown run: %v, want ErrNotFound", name, err)
			}
		}
	})
	t.Run("ActiveRunPerLogin", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		a := newRun(t, s, ferry.Run{Bot: "b", Login: "lina"})
		b := newRun(t, s, ferry.Run{Bot: "b", Login: "lina"})
		other := newRun(t, s, ferry.Run{Bot: "b", Login: "wei"})
		if id, err := s.ActiveRun(ctx, "b", "lina", b); err != nil || id != 0 {
			t.Fatalf("nothing running: %d, %v", id, err)
		}
		if err := s.StartRun(ctx, a, 1, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.StartRun(ctx, other, 1, ""); err != nil {
			t.Fatal(err)
		}
		if id, err := s.ActiveRun(ctx, "b", "lina", b); err != nil || id != a {
			t.Fatalf("ActiveRun for b: %d, %v; want %d", id, err, a)
		}
		if id, _ := s.ActiveRun(ctx, "b", "lina", a); id != 0 {
			t.Fatalf("ActiveRun except the running one: %d, want 0", id)
		}
		if id, _ := s.ActiveRun(ctx, "other-bot", "lina", b); id != 0 {
			t.Fatalf("ActiveRun of another bot: %d, want 0", id)
		}
		if err := s.FinishRun(ctx, a, ferry.RunSucceeded, "", "", ""); err != nil {
			t.Fatal(err)
		}
		if id, _ := s.ActiveRun(ctx, "b", "lina", b); id != 0 {
			t.Fatalf("ActiveRun after the run finished: %d, want 0", id)
		}
	})
	t.Run("BeginRunOneLoginAtATime", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		// Eight runs of two bots under four credential names, all logging in
		// as one user of one site: one at a time, whatever the names.
		const n = 8
		lina := ferry.LoginKey("bank-a", "lina")
		var runs [n]int64
		for i := range runs {
			runs[i] = newRun(t, s, ferry.Run{Bot: fmt.Sprintf("bot%d", i%2), Login: fmt.Sprintf("cred%d", i%4), Site: "bank-a"})
		}
		other := newRun(t, s, ferry.Run{Bot: "bot0", Login: "cred0", Site: "bank-a"})
		elsewhere := newRun(t, s, ferry.Run{Bot: "bot0", Login: "cred0", Site: "bank-b"})
		start := func(attempt int, key string) ferry.RunStart {
			return ferry.RunStart{Attempt: attempt, SelectorVersion: "v1", Site: "bank-a", LoginKey: key}
		}
		var wg sync.WaitGroup
		var errs [n]error
		for i := range runs {
			wg.Go(func() { errs[i] = s.BeginRun(ctx, runs[i], start(1, lina)) })
		}
		wg.Wait()
		var winner int64
		for i, err := range errs {
			if err == nil {
				if winner != 0 {
					t.Fatalf("runs %d and %d of one user both began", winner, runs[i])
				}
				winner = runs[i]
			} else if !errors.Is(err, ferry.ErrLoginBusy) {
				t.Fatalf("BeginRun: %v", err)
			}
		}
		if winner == 0 {
			t.Fatal("no run began")
		}
		for i, err := range errs {
			var busy *ferry.BusyError
			if err != nil && (!errors.As(err, &busy) || busy.RunID != winner || busy.Site != "bank-a") {
				t.Fatalf("run %d was told %v, not that it waits for %d on bank-a", runs[i], err, winner)
			}
		}
		if r, _ := s.Run(ctx, winner); r.Status != ferry.RunRunning || r.Attempt != 1 || r.SelectorVersion != "v1" || r.Site != "bank-a" {
			t.Fatalf("the run that began: %+v", r)
		}
		if err := s.BeginRun(ctx, other, start(1, ferry.LoginKey("bank-a", "wei"))); err != nil {
			t.Fatalf("another user of the site is not blocked: %v", err)
		}
		if err := s.BeginRun(ctx, elsewhere, ferry.RunStart{Attempt: 1, Site: "bank-b", LoginKey: ferry.LoginKey("bank-b", "lina")}); err != nil {
			t.Fatalf("the same user name on another site is not blocked: %v", err)
		}
		// The winner may begin again (a retry of the same run).
		if err := s.BeginRun(ctx, winner, start(2, lina)); err != nil {
			t.Fatalf("the running run begins its next attempt: %v", err)
		}
		if err := s.FinishRun(ctx, winner, ferry.RunSucceeded, "", "", ""); err != nil {
			t.Fatal(err)
		}
		next := runs[0]
		if next == winner {
			next = runs[1]
		}
		if err := s.BeginRun(ctx, next, start(1, lina)); err != nil {
			t.Fatalf("after the winner finished: %v", err)
		}
		if err := s.BeginRun(ctx, elsewhere+1000, start(1, lina)); !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("BeginRun of an unknown run: %v", err)
		}
		// Without a key, the bot and credential name are the login.
		a := newRun(t, s, ferry.Run{Bot: "x", Login: "c"})
		b := newRun(t, s, ferry.Run{Bot: "x", Login: "c"})
		if err := s.BeginRun(ctx, a, ferry.RunStart{Attempt: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.BeginRun(ctx, b, ferry.RunStart{Attempt: 1}); !errors.Is(err, ferry.ErrLoginBusy) {
			t.Fatalf("a second run of one bot and credential without a key: %v, want ErrLoginBusy", err)
		}
	})
	t.Run("BeginRunSiteLimits", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		limits := ferry.SiteLimits{MaxConcurrent: 2, MinInterval: 30 * time.Second}
		const n = 6
		var runs [n]int64
		for i := range runs {
			runs[i] = newRun(t, s, ferry.Run{Bot: "b", Login: fmt.Sprintf("user%d", i), Site: "bank"})
		}
		begin := func(i int) error {
			return s.BeginRun(ctx, runs[i], ferry.RunStart{Attempt: 1, Site: "bank", LoginKey: ferry.LoginKey("bank", fmt.Sprint(i)), Limits: limits})
		}
		// Concurrent starts of different users: the interval lets one in.
		var wg sync.WaitGroup
		var errs [n]error
		for i := range runs {
			wg.Go(func() { errs[i] = begin(i) })
		}
		wg.Wait()
		began := -1
		for i, err := range errs {
			var busy *ferry.BusyError
			switch {
			case err == nil && began >= 0:
				t.Fatalf("runs %d and %d logged in within the minimum interval", runs[began], runs[i])
			case err == nil:
				began = i
			case !errors.As(err, &busy) || !errors.Is(err, ferry.ErrSiteBusy) || !busy.RetryAt.Equal(c.now().Add(30*time.Second)):
				t.Fatalf("run %d: %v, want ErrSiteBusy until %s", runs[i], err, c.now().Add(30*time.Second))
			}
		}
		if began < 0 {
			t.Fatal("no run began")
		}
		c.advance(29 * time.Second)
		second := (began + 1) % n
		if err := begin(second); !errors.Is(err, ferry.ErrSiteBusy) {
			t.Fatalf("a login 29 s after the last: %v, want ErrSiteBusy", err)
		}
		c.advance(time.Second)
		if err := begin(second); err != nil {
			t.Fatalf("a login 30 s after the last: %v", err)
		}
		// Two are logged in: a third waits for one to end, however long.
		c.advance(time.Hour)
		third := (began + 2) % n
		var busy *ferry.BusyError
		if err := begin(third); !errors.As(err, &busy) || !errors.Is(err, ferry.ErrSiteBusy) || !busy.RetryAt.IsZero() {
			t.Fatalf("a third concurrent run: %v, want ErrSiteBusy with no retry time", err)
		}
		if err := s.FinishRun(ctx, runs[began], ferry.RunFailed, ferry.ClassSiteUnavailable, "down", ""); err != nil {
			t.Fatal(err)
		}
		if err := begin(third); err != nil {
			t.Fatalf("after one of two ended: %v", err)
		}
		// Limits are the site's: another site is not held back.
		o := newRun(t, s, ferry.Run{Bot: "b", Login: "user0", Site: "other"})
		if err := s.BeginRun(ctx, o, ferry.RunStart{Attempt: 1, Site: "other", LoginKey: ferry.LoginKey("other", "0"), Limits: limits}); err != nil {
			t.Fatalf("another site: %v", err)
		}
	})
	t.Run("HeartbeatLease", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		a := newRun(t, s, ferry.Run{Bot: "b", Login: "lina"})
		b := newRun(t, s, ferry.Run{Bot: "b", Login: "wei"})
		if err := s.LeaseRun(ctx, a, "node-1", c.now().Add(time.Minute)); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("leasing a queued run: %v, want ErrLeaseLost", err)
		}
		for _, id := range []int64{a, b} {
			if err := s.BeginRun(ctx, id, ferry.RunStart{Attempt: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.LeaseRun(ctx, a, "node-1", c.now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// b never leased: orphaned already (a process that died before).
		if got, err := s.OrphanedRuns(ctx); err != nil || len(got) != 1 || got[0].ID != b {
			t.Fatalf("orphans: %v, %v; want only %d", runIDs(got), err, b)
		}
		if err := s.LeaseRun(ctx, a, "node-2", c.now().Add(time.Minute)); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("another node takes a held lease: %v, want ErrLeaseLost", err)
		}
		c.advance(50 * time.Second)
		if err := s.LeaseRun(ctx, a, "node-1", c.now().Add(time.Minute)); err != nil {
			t.Fatalf("the owner's heartbeat: %v", err)
		}
		c.advance(time.Minute + time.Second)
		if got, _ := s.OrphanedRuns(ctx); len(got) != 2 || got[0].ID != a {
			t.Fatalf("orphans after node-1 stopped beating: %v", runIDs(got))
		}
		if err := s.LeaseRun(ctx, a, "node-2", c.now().Add(time.Minute)); err != nil {
			t.Fatalf("taking an expired lease: %v", err)
		}
		if err := s.LeaseRun(ctx, a, "node-1", c.now().Add(time.Minute)); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("the old owner comes back: %v, want ErrLeaseLost", err)
		}
		if err := s.FinishRun(ctx, b, ferry.RunFailed, ferry.ClassInternal, "orphaned", ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.OrphanedRuns(ctx); len(got) != 0 {
			t.Fatalf("orphans: %v, want none", runIDs(got))
		}
		if err := s.LeaseRun(ctx, a+1000, "node-1", c.now()); !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("leasing an unknown run: %v", err)
		}
	})
	t.Run("Steps", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		id := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		at := time.Date(2026, 3, 14, 3, 0, 1, 0, time.UTC)
		step := func(seq int, action string) ferry.Step {
			return ferry.Step{Seq: seq, Path: fmt.Sprintf("steps[%d]", seq), Action: action, Element: "login.user", Way: "css", Detail: "****",
				Status: ferry.StepOK, Started: at.Add(time.Duration(seq) * time.Second), Duration: 1500 * time.Millisecond}
		}
		if err := s.AddSteps(ctx, id, 2, []ferry.Step{step(0, "goto"), step(1, "fill")}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddSteps(ctx, id, 1, []ferry.Step{step(0, "goto"), step(1, "click")}); err != nil {
			t.Fatal(err)
		}
		// The same (attempt, seq) again replaces the step.
		failed := step(1, "click")
		failed.Status = ferry.StepFailed
		if err := s.AddSteps(ctx, id, 1, []ferry.Step{failed}); err != nil {
			t.Fatal(err)
		}
		got, attempts, err := s.Steps(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1:0:goto:ok", "1:1:click:failed", "2:0:goto:ok", "2:1:fill:ok"}
		var have []string
		for i, st := range got {
			have = append(have, fmt.Sprintf("%d:%d:%s:%s", attempts[i], st.Seq, st.Action, st.Status))
			if st.RunID != id || st.Duration != 1500*time.Millisecond || !st.Started.Equal(at.Add(time.Duration(st.Seq)*time.Second)) {
				t.Errorf("step %d: %+v", i, st)
			}
		}
		if strings.Join(have, " ") != strings.Join(want, " ") {
			t.Fatalf("steps: %v, want %v", have, want)
		}
		if got, _, err := s.Steps(ctx, id+1000); err != nil || len(got) != 0 {
			t.Fatalf("steps of an unknown run: %v, %v", got, err)
		}
	})
	t.Run("ScheduleSlotNeverMovesBack", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		if _, known, err := s.ScheduleLastSlot(ctx, "nightly"); err != nil || known {
			t.Fatalf("unknown schedule: known %v, %v", known, err)
		}
		if err := s.AdvanceScheduleSlot(ctx, "nightly", "0 3 * * *", slot); err != nil {
			t.Fatal(err)
		}
		if err := s.AdvanceScheduleSlot(ctx, "nightly", "0 3 * * *", slot.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, known, err := s.ScheduleLastSlot(ctx, "nightly")
		if err != nil || !known || !got.Equal(slot) {
			t.Fatalf("after an older slot: %v %v %v, want %v", got, known, err, slot)
		}
		later := slot.Add(24*time.Hour + 500*time.Millisecond)
		if err := s.AdvanceScheduleSlot(ctx, "nightly", "0 3 * * *", later.In(time.FixedZone("CST", 8*3600))); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.ScheduleLastSlot(ctx, "nightly"); !got.Equal(later) {
			t.Fatalf("after a later slot: %v, want %v", got, later)
		}
	})
}

func runIDs(rs []ferry.RunRecord) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func transactions(t *testing.T, h Harness) {
	t.Run("CommitAndRollback", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		var kept, dropped int64
		err := s.InTx(ctx, func(ctx context.Context) error {
			var err error
			kept, err = s.NewRun(ctx, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot})
			if err != nil {
				return err
			}
			return s.AdvanceScheduleSlot(ctx, "nightly", "0 3 * * *", slot)
		})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err = s.InTx(ctx, func(ctx context.Context) error {
			var err error
			if dropped, err = s.NewRun(ctx, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot.Add(time.Hour)}); err != nil {
				return err
			}
			if err := s.AdvanceScheduleSlot(ctx, "nightly", "0 3 * * *", slot.Add(time.Hour)); err != nil {
				return err
			}
			// A nested InTx joins the transaction: its rows go with it.
			return s.InTx(ctx, func(ctx context.Context) error {
				if _, err := s.NewRun(ctx, ferry.Run{Bot: "b", Login: "nested"}); err != nil {
					return err
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		if _, err := s.Run(ctx, kept); err != nil {
			t.Fatalf("committed run: %v", err)
		}
		if _, err := s.Run(ctx, dropped); !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("rolled-back run: %v, want ErrNotFound", err)
		}
		if all, _ := s.Runs(ctx, 10); len(all) != 1 {
			t.Fatalf("%d runs after a rollback, want 1", len(all))
		}
		if got, _, _ := s.ScheduleLastSlot(ctx, "nightly"); !got.Equal(slot) {
			t.Fatalf("slot after the rollback: %v, want %v", got, slot)
		}
	})
	t.Run("PanicRollsBack", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		func() {
			defer func() { _ = recover() }()
			_ = s.InTx(ctx, func(ctx context.Context) error {
				if _, err := s.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"}); err != nil {
					return err
				}
				panic("bot bug")
			})
		}()
		// The store still works, and holds nothing of the panicked work.
		if all, err := s.Runs(ctx, 10); err != nil || len(all) != 0 {
			t.Fatalf("after a panic in InTx: %d runs, %v", len(all), err)
		}
	})
}

// failingReader returns some bytes, then an error.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset by the bank")
	}
	n := min(len(p), r.n)
	for i := range n {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

func readArtifact(t *testing.T, s Store, sha string) []byte {
	t.Helper()
	rc, err := s.OpenArtifact(ctx, sha)
	if err != nil {
		t.Fatalf("OpenArtifact(%s): %v", sha, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read artifact %s: %v", sha, err)
	}
	return b
}

// Artifacts runs the ArtifactStore part of the suite alone: for a second
// artifact store on a database the whole suite ran on.
func Artifacts(t *testing.T, h Harness) {
	t.Run("StoredOnceBySHA", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		at := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
		a, err := s.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "march.csv", MIME: "text/csv", Account: "A1", Format: "csv", Captured: at}, []byte("date,amount\n"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.PutArtifactFrom(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "again.csv"}, strings.NewReader("date,amount\n"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "evidence", Name: "page.html"}, []byte("<html>"))
		if err != nil {
			t.Fatal(err)
		}
		if a.SHA256 != ferry.SHA256Hex([]byte("date,amount\n")) || a.SHA256 != b.SHA256 || a.Size != 12 || a.ID == b.ID || c.SHA256 == a.SHA256 {
			t.Fatalf("artifacts: %+v / %+v / %+v", a, b, c)
		}
		if b.Captured.IsZero() {
			t.Fatal("Captured not set")
		}
		if h.Blobs != nil {
			if n := h.Blobs(t, s); n != 2 {
				t.Fatalf("%d contents stored for 2 distinct ones", n)
			}
		}
		list, err := s.Artifacts(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID != a.ID || list[0].Name != "march.csv" || list[0].Account != "A1" || list[0].MIME != "text/csv" || !list[0].Captured.Equal(at) || list[2].Kind != "evidence" {
			t.Fatalf("Artifacts: %+v", list)
		}
		if got := readArtifact(t, s, a.SHA256); string(got) != "date,amount\n" {
			t.Fatalf("read back %q", got)
		}
		if other, _ := s.Artifacts(ctx, run+1000); len(other) != 0 {
			t.Fatalf("artifacts of an unknown run: %+v", other)
		}
	})
	t.Run("Large", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16+7) // over 3 MiB, not a multiple of any chunk
		a, err := s.PutArtifactFrom(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "big.pdf"}, bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		if a.Size != int64(len(big)) || a.SHA256 != ferry.SHA256Hex(big) {
			t.Fatalf("big artifact: size %d sha %s", a.Size, a.SHA256)
		}
		if got := readArtifact(t, s, a.SHA256); !bytes.Equal(got, big) {
			t.Fatalf("read back %d bytes, want %d equal ones", len(got), len(big))
		}
	})
	t.Run("ReadErrorStoresNothing", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		_, err := s.PutArtifactFrom(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "cut.pdf"}, &failingReader{n: 2 << 20})
		if err == nil || !strings.Contains(err.Error(), "cut.pdf") {
			t.Fatalf("PutArtifactFrom of a failing reader: %v, want an error naming cut.pdf", err)
		}
		if list, _ := s.Artifacts(ctx, run); len(list) != 0 {
			t.Fatalf("artifacts after a failed put: %+v", list)
		}
		if h.Blobs != nil {
			if n := h.Blobs(t, s); n != 0 {
				t.Fatalf("%d contents stored after a failed put", n)
			}
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		for _, sha := range []string{ferry.SHA256Hex([]byte("never stored")), "../../etc/passwd", ""} {
			if _, err := s.OpenArtifact(ctx, sha); !errors.Is(err, ferry.ErrNotFound) {
				t.Errorf("OpenArtifact(%q): %v, want ErrNotFound", sha, err)
			}
		}
	})
}
