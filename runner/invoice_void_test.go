package runner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// erpCounter is an HTTP finance system that counts what it was sent, per
// idempotency key, and keeps the last body of each.
type erpCounter struct {
	mu     sync.Mutex
	posts  map[string]int
	bodies map[string]map[string]any
}

func (e *erpCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	k := r.Header.Get("Idempotency-Key")
	e.posts[k]++
	e.bodies[k] = body
	w.WriteHeader(http.StatusCreated)
}

func (e *erpCounter) snapshot() (map[string]int, map[string]map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	posts, bodies := map[string]int{}, map[string]map[string]any{}
	for k, v := range e.posts {
		posts[k] = v
	}
	for k, v := range e.bodies {
		bodies[k] = v
	}
	return posts, bodies
}

func readJSONL(t *testing.T, path string) []ferry.InvoiceRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ferry.InvoiceRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r ferry.InvoiceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out
}

// threeInvoices finds a window of days whose received invoices are
// exactly three, one of them normal (to be voided).
func threeInvoices(t *testing.T, p *tax.Portal) (ferry.Date, ferry.Date, []tax.Record) {
	t.Helper()
	start := ferry.NewDate(2026, 1, 1)
	for d := 0; d < 120; d++ {
		from := start.AddDays(d)
		for n := 0; n < 20; n++ {
			to := from.AddDays(n)
			recs := p.Invoices(tax.Query{Direction: tax.Received, From: from, To: to})
			if len(recs) > 3 {
				break
			}
			if len(recs) < 3 {
				continue
			}
			for _, r := range recs {
				if r.Status == tax.StatusNormal && !r.Red {
					return from, to, recs
				}
			}
		}
	}
	t.Fatal("no window of three received invoices in the sandbox's first 120 days")
	return ferry.Date{}, ferry.Date{}, nil
}

// TestVoidAfterDeliveryThroughTheBot: the bot downloads three invoices
// and the portal's list; they are delivered to JSON Lines and an HTTP
// endpoint; the portal voids one; the bot runs again over the same days:
// exactly one update record is delivered for the voided invoice, to each
// sink, and nothing again for the other two.
func TestVoidAfterDeliveryThroughTheBot(t *testing.T) {
	ctx := context.Background()
	p := tax.New(tax.Options{Seed: 1})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	from, to, recs := threeInvoices(t, p)
	erp := &erpCounter{posts: map[string]int{}, bodies: map[string]map[string]any{}}
	srv := httptest.NewServer(erp)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "records.jsonl")
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := &delivery.Endpoint{SinkName: "erp", URL: srv.URL, Body: "json",
		InvoiceBody: `{"doc_no": {{json .invoice_key}}, "event": {{json .kind}}, "status": {{json .status}}}`}
	if err := ep.Check(); err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	r, err := runner.New(ctx, runner.Config{DB: db, Browser: browser, Sites: map[string]string{"etax": base},
		ScriptsDir: "testdata/etaxrows", SelectorsDir: "testdata/etaxrows",
		Credentials: runner.StaticCredentials{"etax": {Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}}},
		Sinks:       []delivery.Sink{&delivery.JSONLines{Path: jsonl}, ep},
		// The code comes from the sandbox phone, polled.
		Challenges: runner.ChallengeConfig{PollURL: base + "/_sandbox/phone?user=" + u.UserName, PollEvery: 200 * time.Millisecond,
			CodePattern: regexp.MustCompile(`"code":"(\d{6})"`)},
		RetryBase: 300 * time.Millisecond, StepTimeout: 30 * time.Second, ReservePath: "-",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
		db.Close()
	})
	runOnce := func() {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		id, err := r.Enqueue(rctx, runner.Request{Bot: "etax-rows", Login: "etax",
			Params: ferry.RunParams{From: from, To: to, Values: map[string]string{"taxid": tax.Home().TaxID}}})
		if err != nil {
			t.Fatal(err)
		}
		run, err := r.Wait(rctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != ferry.RunSucceeded {
			t.Fatalf("run %d %s %s: %s", id, run.Status, run.Class, run.Error)
		}
		if st, err := r.Deliver(rctx); err != nil || st.Parked != 0 {
			t.Fatalf("deliver: %+v %v", st, err)
		}
	}

	runOnce()
	first := readJSONL(t, jsonl)
	if len(first) != 3 {
		t.Fatalf("first run delivered %d records, want 3: %+v", len(first), first)
	}
	want := map[string]tax.Record{}
	for _, rec := range recs {
		want[rec.Number] = rec
	}
	for _, rec := range first {
		if _, ok := want[rec.Number]; !ok || rec.Kind != "invoice" || rec.Direction != "received" {
			t.Fatalf("unexpected record %+v", rec)
		}
	}
	posts, _ := erp.snapshot()
	if len(posts) != 3 {
		t.Fatalf("the endpoint got %v, want 3 keys", posts)
	}

	var voided tax.Record
	for _, rec := range recs {
		if rec.Status == tax.StatusNormal && !rec.Red {
			voided = rec
			break
		}
	}
	if !p.Void(voided.ID()) {
		t.Fatalf("void %s", voided.ID())
	}
	runOnce()
	all := readJSONL(t, jsonl)
	if len(all) != 4 {
		t.Fatalf("after the void, %d records in all, want 4 (one update):\n%+v", len(all), all[3:])
	}
	upd := all[3]
	if upd.Kind != "update" || upd.Number != voided.Number || upd.Status != string(ferry.InvoiceVoid) || upd.PreviousStatus != string(ferry.InvoiceNormal) {
		t.Fatalf("the update record: %+v", upd)
	}
	keys := map[string]bool{}
	for _, rec := range all {
		if keys[rec.DedupKey] {
			t.Fatalf("record %s delivered twice", rec.DedupKey)
		}
		keys[rec.DedupKey] = true
	}
	posts, bodies := erp.snapshot()
	if len(posts) != 4 {
		t.Fatalf("the endpoint got %d keys, want 4: %v", len(posts), posts)
	}
	updates := 0
	for k, n := range posts {
		if n != 1 {
			t.Fatalf("the endpoint got %s %d times", k, n)
		}
		if b := bodies[k]; b["event"] == "update" {
			updates++
			if b["status"] != string(ferry.InvoiceVoid) {
				t.Fatalf("update body %v", b)
			}
		}
	}
	if updates != 1 {
		t.Fatalf("the endpoint got %d updates, want 1", updates)
	}
}
