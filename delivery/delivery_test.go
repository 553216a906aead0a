package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// openStore opens a fresh database with one run and one artifact to hang
// statements on.
func openStore(t *testing.T) (db *storage.DB, run, artifact int64) {
	return openStoreAt(t, nil)
}

// openStoreAt is openStore with the store's clock, which decides when a
// retry is due and when a claim's lease ends.
func openStoreAt(t *testing.T, now func() time.Time) (db *storage.DB, run, artifact int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "f.db"), filepath.Join(dir, "a"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	run, _ = db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "x"}, []byte("x"))
	return db, run, a.ID
}

func setup(t *testing.T, sinks ...string) *storage.DB {
	t.Helper()
	return setupAt(t, nil, sinks...)
}

// setupAt is setup with the store's clock (see openStoreAt).
func setupAt(t *testing.T, now func() time.Time, sinks ...string) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, run, art := openStoreAt(t, now)
	d := decimal.RequireFromString
	st := ferry.Statement{Account: "A", Currency: "CNY", From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 1, 1), Opening: d("0"), Closing: d("3")}
	for i, ref := range []string{"R1", "R2", "R3"} {
		st.Lines = append(st.Lines, ferry.StatementLine{Account: "A", BookingDate: ferry.NewDate(2026, 1, 1), Amount: d("1"), Currency: "CNY", Reference: ref, BalanceAfter: d(string(rune('1' + i)))})
	}
	if _, err := db.SaveStatement(ctx, run, art, st, sinks, ""); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestJSONLinesOnceEvenIfDeliveredTwice(t *testing.T) {
	t.Parallel()
	db := setup(t, "jsonl")
	path := filepath.Join(t.TempDir(), "out", "records.jsonl")
	sink := &delivery.JSONLines{Path: path}
	items, _ := db.PendingOutbox(context.Background(), "jsonl", 10, time.Now())
	// Simulate a crash after the sink wrote but before the outbox was marked.
	if err := sink.Deliver(context.Background(), items[:2]); err != nil {
		t.Fatal(err)
	}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{&delivery.JSONLines{Path: path}}, Log: zerolog.Nop()}
	st, err := d.Drain(context.Background())
	if err != nil || st.Delivered != 3 {
		t.Fatalf("got %+v, %v", st, err)
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Fatalf("file has %d records, want 3:\n%s", n, b)
	}
}

func TestHTTPIdempotencyRetryAndPark(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]int{}
	down := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		key := r.Header.Get("Idempotency-Key")
		var rec storage.LineRecord
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &rec); err != nil || rec.DedupKey != key {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if rec.Reference == "R2" {
			http.Error(w, "unknown account", http.StatusUnprocessableEntity)
			return
		}
		got[key]++
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	now := ferryClock()
	db := setupAt(t, now.Now, "http")
	ctx := context.Background()
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{&delivery.HTTP{URL: srv.URL}}, Log: zerolog.Nop(), Now: now.Now}
	if _, err := d.Drain(ctx); err == nil {
		t.Fatal("drain against a down sink reported no error")
	}
	c, _ := db.OutboxCounts(ctx)
	if c["pending"] != 3 {
		t.Fatalf("after failure: %+v, want 3 pending", c)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	now.Advance(3600)
	st, err := d.Drain(ctx)
	if err != nil || st.Delivered != 2 || st.Parked != 1 {
		t.Fatalf("got %+v, %v; want 2 delivered, 1 parked", st, err)
	}
	if len(got) != 2 {
		t.Fatalf("sink holds %d records, want 2", len(got))
	}
	c, _ = db.OutboxCounts(ctx)
	if c["parked"] != 1 || c["delivered"] != 2 || c["pending"] != 0 {
		t.Fatalf("counts %+v", c)
	}
}

type flakySink struct{ reject map[string]string }

func (f *flakySink) Name() string { return "erp" }
func (f *flakySink) Deliver(ctx context.Context, items []storage.OutboxItem) error {
	rej := &delivery.Rejected{Keys: map[string]string{}}
	for _, it := range items {
		if r, ok := f.reject[it.DedupKey]; ok {
			rej.Keys[it.DedupKey] = r
		}
	}
	if len(rej.Keys) > 0 {
		rej.Others = io.ErrUnexpectedEOF
		return rej
	}
	return io.ErrUnexpectedEOF
}

// A sink that keeps failing: records are retried a bounded number of times,
// then parked with the last error; parked records can be queued again and
// are then delivered once.
func TestBoundedAttemptsParkThenRetry(t *testing.T) {
	t.Parallel()
	clock := time.Now()
	db := setupAt(t, func() time.Time { return clock }, "erp")
	ctx := context.Background()
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{&flakySink{}}, Log: zerolog.Nop(), MaxAttempts: 3, MaxGap: time.Second,
		Now: func() time.Time { return clock }}
	for i := 0; i < 5; i++ {
		_, _ = d.Drain(ctx)
		clock = clock.Add(time.Hour)
	}
	parked, err := db.Deliveries(ctx, "parked", "", 10)
	if err != nil || len(parked) != 3 || parked[0].Attempts != 3 || !strings.Contains(parked[0].LastError, "gave up after 3 attempts") {
		t.Fatalf("parked: %+v %v", parked, err)
	}
	if n, err := db.RetryDeliveries(ctx, []int64{parked[0].ID}); err != nil || n != 1 {
		t.Fatalf("retry one: %d %v", n, err)
	}
	if _, err := db.RetryDeliveries(ctx, []int64{parked[0].ID}); err == nil || !strings.Contains(err.Error(), "not parked") {
		t.Fatalf("retrying a pending one: %v", err)
	}
	if n, err := db.RetryDeliveries(ctx, nil); err != nil || n != 2 {
		t.Fatalf("retry all: %d %v", n, err)
	}
	good := &delivery.JSONLines{Path: filepath.Join(t.TempDir(), "r.jsonl")}
	d2 := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{renamed{good, "erp"}}, Log: zerolog.Nop()}
	if st, err := d2.Drain(ctx); err != nil || st.Delivered != 3 {
		t.Fatalf("after retry: %+v %v", st, err)
	}
}

type renamed struct {
	delivery.Sink
	name string
}

func (r renamed) Name() string { return r.name }
