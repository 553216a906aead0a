package delivery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// Exactly once under concurrency: N deliverers drain one outbox at the
// same time, each with its own sink objects (as separate processes would
// have), into the same JSONL file, the same HTTP finance system and the
// same hledger-web journal. Every record reaches every sink once: the
// sinks count what they were sent, not what they kept, so a record sent
// twice fails the test even where the sink would have absorbed it.
func TestConcurrentDrainsDeliverOnce(t *testing.T) {
	t.Parallel()
	const drains = 6
	const tableRecords = 300 // JSONL and HTTP
	const ledgerRecords = 6  // hledger-web adds about one a second
	base, journal := startHledgerWeb(t)
	m, err := ledger.ParseMapping("mapping.yaml", []byte(mappingYAML))
	if err != nil {
		t.Fatal(err)
	}
	db, run, art := openStore(t)
	ctx := context.Background()
	save := func(n int, sinks ...string) {
		st := ferry.Statement{Account: "6222021000010001", Currency: "CNY", From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 28), NoBalances: true}
		for i := 0; i < n; i++ {
			st.Lines = append(st.Lines, ferry.StatementLine{Account: st.Account, BookingDate: ferry.NewDate(2026, 10, 1+i%28),
				Amount: decimal.New(int64(100+i), -2), Currency: "CNY", Counterparty: "ACME Trading", Description: fmt.Sprintf("Invoice %d for %s", i, strings.Join(sinks, " and ")), Reference: fmt.Sprintf("R%d-%s", i, strings.Join(sinks, "-"))})
		}
		if _, err := db.SaveStatement(ctx, run, art, st, sinks, ""); err != nil {
			t.Fatal(err)
		}
	}
	save(tableRecords, "jsonl", "http")
	save(ledgerRecords, "hledger")

	var mu sync.Mutex
	posts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	jsonl := filepath.Join(t.TempDir(), "records.jsonl")

	var wg sync.WaitGroup
	errs := make([]error, drains)
	lost := make([]int, drains)
	for i := 0; i < drains; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := &delivery.Deliverer{Outbox: db, Batch: 7, Log: zerolog.Nop(), Owner: fmt.Sprintf("drain-%d", i), Sinks: []delivery.Sink{
				&delivery.JSONLines{Path: jsonl},
				&delivery.HTTP{URL: srv.URL},
				&delivery.Hledger{URL: base, Mapping: m},
			}}
			st, err := d.Drain(ctx)
			errs[i], lost[i] = err, st.LeasesLost
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("drain %d: %v", i, err)
		}
		if lost[i] != 0 {
			t.Errorf("drain %d lost %d leases (the default lease outlasts this test)", i, lost[i])
		}
	}
	counts, _ := db.OutboxCounts(ctx)
	if counts["delivered"] != 2*tableRecords+ledgerRecords || counts["pending"] != 0 || counts["parked"] != 0 {
		t.Fatalf("outbox after the drains: %v", counts)
	}

	// The HTTP system: each key posted once.
	if len(posts) != tableRecords {
		t.Errorf("http: %d distinct keys, want %d", len(posts), tableRecords)
	}
	for k, n := range posts {
		if n != 1 {
			t.Errorf("http: %s posted %d times", k, n)
		}
	}
	// The JSONL file: each key on one line.
	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Key string `json:"dedup_key"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Key == "" {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		lines[r.Key]++
	}
	if len(lines) != tableRecords {
		t.Errorf("jsonl: %d distinct keys, want %d", len(lines), tableRecords)
	}
	for k, n := range lines {
		if n != 1 {
			t.Errorf("jsonl: %s written %d times", k, n)
		}
	}
	// The journal: each key tagged on one transaction.
	text, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]int{}
	for _, m := range regexp.MustCompile(`ferry:\s*([^\s,]+)`).FindAllStringSubmatch(string(text), -1) {
		tags[m[1]]++
	}
	if len(tags) != ledgerRecords {
		t.Errorf("journal: %d distinct ferry tags, want %d:\n%s", len(tags), ledgerRecords, text)
	}
	for k, n := range tags {
		if n != 1 {
			t.Errorf("journal: %s added %d times", k, n)
		}
	}
}

// A deliverer whose lease ran out while its sink was slow does not record
// the outcome over the new holder's: its acknowledgement is refused as a
// lost lease, counted, and the item is delivered by the one holding it.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	clock := ferryClock()
	db := setupAt(t, clock.Now, "jsonl")
	ctx := context.Background()
	items, err := db.Claim(ctx, "jsonl", "slow", 10, time.Minute)
	if err != nil || len(items) != 3 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	if again, _ := db.Claim(ctx, "jsonl", "other", 10, time.Minute); len(again) != 0 {
		t.Fatalf("a held item was claimed again: %d", len(again))
	}
	clock.Advance(61)
	path := filepath.Join(t.TempDir(), "records.jsonl")
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{&delivery.JSONLines{Path: path}}, Log: zerolog.Nop(), Owner: "new", Now: clock.Now}
	st, err := d.Drain(ctx)
	if err != nil || st.Delivered != 3 {
		t.Fatalf("the new holder: %+v %v", st, err)
	}
	if err := db.Ack(ctx, "slow", []int64{items[0].ID}); err == nil || !errorsIsLeaseLost(err) {
		t.Fatalf("ack by the expired holder: %v, want ErrLeaseLost", err)
	}
	if err := db.Release(ctx, "slow", items[1].ID, "x", clock.Now()); !errorsIsLeaseLost(err) {
		t.Fatalf("release by the expired holder: %v, want ErrLeaseLost", err)
	}
	if c, _ := db.OutboxCounts(ctx); c["delivered"] != 3 {
		t.Fatalf("counts %v", c)
	}
}

func errorsIsLeaseLost(err error) bool { return errors.Is(err, ferry.ErrLeaseLost) }
