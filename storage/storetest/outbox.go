package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// clock is a settable clock for leases and retry times.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// queued saves n distinct lines for sinks and returns how many outbox items
// that queued.
func queued(t *testing.T, s Store, n int, sinks ...string) int {
	t.Helper()
	st := ferry.Statement{Account: acct, Currency: "EUR", From: day(1), To: day(28), NoBalances: true}
	for i := range n {
		st.Lines = append(st.Lines, ferry.StatementLine{Account: acct, BookingDate: day(1 + i%28), Amount: d(fmt.Sprintf("-%d.%02d", i/100+1, i%100)),
			Currency: "EUR", Description: fmt.Sprintf("Rechnung %d", i), Reference: fmt.Sprintf("R%d", i)})
	}
	run, a := download(t, s, fmt.Sprintf("lines-%d.csv", n))
	res, err := s.SaveStatement(ctx, run, a, st, sinks, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != n*len(sinks) {
		t.Fatalf("queued %d items for %d lines and %d sinks", res.Queued, n, len(sinks))
	}
	return res.Queued
}

func claim(t *testing.T, s Store, sink, owner string, limit int, lease time.Duration) []ferry.OutboxItem {
	t.Helper()
	items, err := s.Claim(ctx, sink, owner, limit, lease)
	if err != nil {
		t.Fatalf("Claim(%s, %s): %v", sink, owner, err)
	}
	return items
}

func ids(items []ferry.OutboxItem) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func counts(t *testing.T, s Store) string {
	t.Helper()
	c, err := s.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pending %d delivered %d parked %d", c["pending"], c["delivered"], c["parked"])
}

func outbox(t *testing.T, h Harness) {
	t.Run("ClaimAndAck", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		queued(t, s, 2, "jsonl", "http")
		if got := counts(t, s); got != "pending 4 delivered 0 parked 0" {
			t.Fatalf("counts: %s", got)
		}
		items := claim(t, s, "jsonl", "node-a", 10, time.Minute)
		if len(items) != 2 || items[0].ID >= items[1].ID || items[0].Sink != "jsonl" || items[0].Attempts != 0 {
			t.Fatalf("claimed %+v, want jsonl's 2 items in order", items)
		}
		var rec struct {
			DedupKey string `json:"dedup_key"`
			Amount   string `json:"amount"`
		}
		if err := json.Unmarshal(items[0].Payload, &rec); err != nil || rec.DedupKey != items[0].DedupKey || rec.Amount != "-1.00" {
			t.Fatalf("payload %s: %+v, %v", items[0].Payload, rec, err)
		}
		if again := claim(t, s, "jsonl", "node-b", 10, time.Minute); len(again) != 0 {
			t.Fatalf("items leased to node-a claimed again by node-b: %v", ids(again))
		}
		if err := s.Ack(ctx, "node-a", ids(items)); err != nil {
			t.Fatal(err)
		}
		if got := counts(t, s); got != "pending 2 delivered 2 parked 0" {
			t.Fatalf("counts after the ack: %s", got)
		}
		c.advance(time.Hour)
		if again := claim(t, s, "jsonl", "node-b", 10, time.Minute); len(again) != 0 {
			t.Fatalf("delivered items claimed again: %v", ids(again))
		}
		if err := s.Ack(ctx, "node-a", ids(items)); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("acking twice: %v, want ErrLeaseLost", err)
		}
		del, err := s.Delivery(ctx, items[0].ID)
		if err != nil || del.Status != "delivered" || del.Attempts != 1 || del.DeliveredAt.IsZero() || del.LeaseOwner != "" {
			t.Fatalf("delivered item: %+v, %v", del, err)
		}
		if _, err := s.Delivery(ctx, items[0].ID+1000); !errors.Is(err, ferry.ErrNoDelivery) || !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown delivery: %v", err)
		}
		if _, err := s.Claim(ctx, "jsonl", "", 10, time.Minute); err == nil {
			t.Fatal("a claim without an owner was accepted")
		}
	})
	t.Run("ExpiredLeaseIsClaimable", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		queued(t, s, 3, "erp")
		first := claim(t, s, "erp", "node-a", 2, time.Minute)
		if len(first) != 2 {
			t.Fatalf("claimed %d, want 2 (the limit)", len(first))
		}
		rest := claim(t, s, "erp", "node-b", 10, time.Minute)
		if len(rest) != 1 || rest[0].ID == first[0].ID || rest[0].ID == first[1].ID {
			t.Fatalf("node-b claimed %v beside node-a's %v", ids(rest), ids(first))
		}
		del, _ := s.Delivery(ctx, first[0].ID)
		if del.LeaseOwner != "node-a" || !del.LeaseUntil.Equal(c.now().Add(time.Minute)) {
			t.Fatalf("leased item: owner %q until %v", del.LeaseOwner, del.LeaseUntil)
		}
		// The lease holds to its last instant, then node-a is presumed dead.
		c.advance(time.Minute)
		if got := claim(t, s, "erp", "node-c", 10, time.Minute); len(got) != 0 {
			t.Fatalf("claimed %v at the instant the lease ends", ids(got))
		}
		c.advance(time.Millisecond)
		taken := claim(t, s, "erp", "node-c", 10, time.Minute)
		if len(taken) != 3 {
			t.Fatalf("after the leases expired node-c claimed %v, want all 3", ids(taken))
		}
		err := s.Ack(ctx, "node-a", ids(first))
		if !errors.Is(err, ferry.ErrLeaseLost) || !strings.Contains(err.Error(), fmt.Sprint(first[0].ID)) {
			t.Fatalf("ack by a lost lease: %v, want ErrLeaseLost naming the items", err)
		}
		if err := s.Release(ctx, "node-b", rest[0].ID, "timeout", c.now()); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("release by a lost lease: %v", err)
		}
		if err := s.Park(ctx, "node-b", rest[0].ID, "refused"); !errors.Is(err, ferry.ErrLeaseLost) {
			t.Fatalf("park by a lost lease: %v", err)
		}
		if err := s.Ack(ctx, "node-c", ids(taken)); err != nil {
			t.Fatal(err)
		}
		if got := counts(t, s); got != "pending 0 delivered 3 parked 0" {
			t.Fatalf("counts: %s", got)
		}
	})
	t.Run("AckKeepsTheItemsStillHeld", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		queued(t, s, 2, "erp")
		mine := claim(t, s, "erp", "node-a", 1, time.Minute)
		c.advance(30 * time.Second)
		more := claim(t, s, "erp", "node-a", 1, time.Minute)
		c.advance(31 * time.Second) // the first lease expired, the second holds
		err := s.Ack(ctx, "node-a", append(ids(mine), ids(more)...))
		if !errors.Is(err, ferry.ErrLeaseLost) || !strings.Contains(err.Error(), fmt.Sprint(mine[0].ID)) {
			t.Fatalf("ack with one lease lost: %v", err)
		}
		if got := counts(t, s); got != "pending 1 delivered 1 parked 0" {
			t.Fatalf("counts: %s (the item still held is acknowledged)", got)
		}
	})
	t.Run("ReleaseRetriesLater", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		queued(t, s, 1, "hledger")
		it := claim(t, s, "hledger", "node-a", 10, time.Minute)[0]
		if err := s.Release(ctx, "node-a", it.ID, "connection refused", c.now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "hledger", "node-b", 10, time.Minute); len(got) != 0 {
			t.Fatalf("claimed before its retry time: %v", ids(got))
		}
		del, _ := s.Delivery(ctx, it.ID)
		if del.Status != "pending" || del.Attempts != 1 || del.LastError != "connection refused" || del.LeaseOwner != "" || !del.NextAttempt.Equal(c.now().Add(5*time.Minute)) {
			t.Fatalf("released item: %+v", del)
		}
		c.advance(5 * time.Minute)
		again := claim(t, s, "hledger", "node-b", 10, time.Minute)
		if len(again) != 1 || again[0].ID != it.ID || again[0].Attempts != 1 {
			t.Fatalf("at its retry time: %+v", again)
		}
	})
	t.Run("ParkAndRetry", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := h.New(t, c.now)
		queued(t, s, 3, "erp")
		items := claim(t, s, "erp", "node-a", 10, time.Minute)
		for _, it := range items[:2] {
			if err := s.Park(ctx, "node-a", it.ID, "422 unknown account"); err != nil {
				t.Fatal(err)
			}
		}
		if got := counts(t, s); got != "pending 1 delivered 0 parked 2" {
			t.Fatalf("counts: %s", got)
		}
		c.advance(time.Hour)
		got := claim(t, s, "erp", "node-b", 10, time.Minute)
		if len(got) != 1 || got[0].ID != items[2].ID {
			t.Fatalf("claimed %v, want only the unparked %d", ids(got), items[2].ID)
		}
		parked, err := s.Deliveries(ctx, "parked", "erp", 10)
		if err != nil || len(parked) != 2 || parked[0].ID != items[1].ID || parked[0].LastError != "422 unknown account" || parked[0].Attempts != 1 {
			t.Fatalf("parked deliveries: %+v, %v", parked, err)
		}
		if all, _ := s.Deliveries(ctx, "", "", 2); len(all) != 2 || all[0].ID != items[2].ID {
			t.Fatalf("deliveries, newest first, limit 2: %+v", all)
		}
		if none, _ := s.Deliveries(ctx, "", "jsonl", 10); len(none) != 0 {
			t.Fatalf("another sink's deliveries: %+v", none)
		}
		if _, err := s.RetryDeliveries(ctx, []int64{items[0].ID, items[2].ID}); err == nil {
			t.Fatal("retrying an item that is not parked was accepted")
		}
		if _, err := s.RetryDeliveries(ctx, []int64{items[0].ID + 1000}); !errors.Is(err, ferry.ErrNoDelivery) {
			t.Fatalf("retrying an unknown item: %v", err)
		}
		if got := counts(t, s); got != "pending 1 delivered 0 parked 2" {
			t.Fatalf("a refused retry changed the outbox: %s", got)
		}
		if n, err := s.RetryDeliveries(ctx, []int64{items[0].ID}); err != nil || n != 1 {
			t.Fatalf("retry one: %d, %v", n, err)
		}
		if got := claim(t, s, "erp", "node-b", 10, time.Minute); len(got) != 1 || got[0].ID != items[0].ID || got[0].Attempts != 0 {
			t.Fatalf("the retried item: %+v", got)
		}
		if n, err := s.RetryDeliveries(ctx, nil); err != nil || n != 1 {
			t.Fatalf("retry every parked item: %d, %v", n, err)
		}
		if got := counts(t, s); got != "pending 3 delivered 0 parked 0" {
			t.Fatalf("counts: %s", got)
		}
	})
	t.Run("ConcurrentClaimersNeverShare", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		const lines, claimers = 300, 8
		queued(t, s, lines, "erp", "jsonl")
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, claimers)
		for c := range claimers {
			owner := fmt.Sprintf("node-%d", c)
			wg.Go(func() {
				for {
					items, err := s.Claim(ctx, "erp", owner, 7, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					for _, it := range items {
						if prev, dup := seen[it.ID]; dup {
							mu.Unlock()
							errs <- fmt.Errorf("item %d claimed by %s and by %s", it.ID, prev, owner)
							return
						}
						seen[it.ID] = owner
					}
					mu.Unlock()
					if err := s.Ack(ctx, owner, ids(items)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(seen) != lines {
			t.Fatalf("%d items claimed, want %d", len(seen), lines)
		}
		if got := counts(t, s); got != fmt.Sprintf("pending %d delivered %d parked 0", lines, lines) {
			t.Fatalf("counts: %s (only erp's items were claimed)", got)
		}
	})
}
