package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/storage"
)

// The invoice store's contract, on SQLite and on PostgreSQL alike.
func TestInvoicesSQLite(t *testing.T) {
	invoiceSuite(t, func(t testing.TB) *storage.DB { return openSQLite(t, false, nil) })
}

func TestInvoicesPostgres(t *testing.T) {
	invoiceSuite(t, func(t testing.TB) *storage.DB { return openPostgres(t, true, nil) })
}

// sandboxInvoices are invoices the sandbox tax portal holds (seed 1), as
// valid as the tax bureau's: received ones, oldest first.
func sandboxInvoices(t testing.TB, n int) []ferry.Invoice {
	t.Helper()
	p := tax.New(tax.Options{Seed: 1})
	recs := p.Invoices(tax.Query{Direction: tax.Received, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 6, 30)})
	var out []ferry.Invoice
	for i := len(recs) - 1; i >= 0 && len(out) < n; i-- {
		if recs[i].Red || recs[i].Status != tax.StatusNormal {
			continue
		}
		if err := recs[i].Invoice.Check(); err != nil {
			t.Fatalf("sandbox invoice %s: %v", recs[i].ID(), err)
		}
		out = append(out, recs[i].Invoice)
	}
	if len(out) < n {
		t.Fatalf("the sandbox has %d received invoices, want %d", len(out), n)
	}
	return out
}

type invoiceFixture struct {
	db  *storage.DB
	run int64
}

func newInvoiceFixture(t *testing.T, open func(testing.TB) *storage.DB) invoiceFixture {
	db := open(t)
	run, err := db.NewRun(context.Background(), ferry.Run{Bot: "etax-invoices", Login: "zhangwei"})
	if err != nil {
		t.Fatal(err)
	}
	return invoiceFixture{db, run}
}

// artifact stores a download of the fixture's run.
func (f invoiceFixture) artifact(t *testing.T, name string) ferry.InvoiceSource {
	a, err := f.db.PutArtifact(context.Background(), ferry.Artifact{RunID: f.run, Kind: "download", Name: name, Format: name[len(name)-3:]}, []byte(name))
	if err != nil {
		t.Fatal(err)
	}
	return ferry.InvoiceSource{ArtifactID: a.ID, Name: name, Format: a.Format}
}

func (f invoiceFixture) save(t *testing.T, doc ferry.InvoiceDoc, want ferry.InvoiceOutcome, queued int) ferry.InvoiceSaveResult {
	t.Helper()
	res, err := f.db.SaveInvoice(context.Background(), f.run, doc, []string{"jsonl", "erp"})
	if err != nil {
		t.Fatalf("SaveInvoice %s: %v", doc.Invoice.Number, err)
	}
	if res.Outcome != want || res.Queued != queued {
		t.Fatalf("SaveInvoice %s (%s): %s, %d queued; want %s, %d", doc.Invoice.Number, doc.Status, res.Outcome, res.Queued, want, queued)
	}
	return res
}

// outbox returns the outbox items of sink jsonl, by dedup key.
func (f invoiceFixture) outbox(t *testing.T) map[string]ferry.InvoiceRecord {
	t.Helper()
	items, err := f.db.PendingOutbox(context.Background(), "jsonl", 1000, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ferry.InvoiceRecord{}
	for _, it := range items {
		var r ferry.InvoiceRecord
		if err := json.Unmarshal(it.Payload, &r); err != nil {
			t.Fatal(err)
		}
		if r.DedupKey != it.DedupKey {
			t.Fatalf("payload key %s under outbox key %s", r.DedupKey, it.DedupKey)
		}
		out[it.DedupKey] = r
	}
	return out
}

func invoiceSuite(t *testing.T, open func(testing.TB) *storage.DB) {
	ctx := context.Background()
	invs := sandboxInvoices(t, 3)
	t.Run("NewUnchangedVoid", func(t *testing.T) {
		t.Parallel()
		f := newInvoiceFixture(t, open)
		inv := invs[0]
		key := ferry.InvoiceKey(inv)
		pdf, xml := f.artifact(t, "a.pdf"), f.artifact(t, "a.xml")
		doc := ferry.InvoiceDoc{Invoice: inv, Direction: ferry.InvoiceReceived, Status: ferry.InvoiceNormal, Sources: []ferry.InvoiceSource{pdf, xml}}
		f.save(t, doc, ferry.InvoiceNew, 2)
		// An unchanged download is nothing new, whatever its file.
		doc.Sources = []ferry.InvoiceSource{f.artifact(t, "again.pdf")}
		f.save(t, doc, ferry.InvoiceUnchanged, 0)
		ob := f.outbox(t)
		if len(ob) != 1 || ob[key].Kind != "invoice" || ob[key].Total != inv.Total.StringFixed(2) || len(ob[key].Items) != len(inv.Items) {
			t.Fatalf("outbox after two saves: %+v", ob)
		}
		// Voided after delivery: one update, with the new status.
		doc.Status = ferry.InvoiceVoid
		f.save(t, doc, ferry.InvoiceUpdated, 2)
		f.save(t, doc, ferry.InvoiceUnchanged, 0)
		ob = f.outbox(t)
		up, ok := ob[ferry.InvoiceUpdateKey(key, ferry.InvoiceVoid)]
		if len(ob) != 2 || !ok || up.Kind != "update" || up.Status != "void" || up.PreviousStatus != "normal" || up.InvoiceKey != key {
			t.Fatalf("outbox after the void: %+v", ob)
		}
		row, err := f.db.Invoice(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != ferry.InvoiceVoid || row.State != "queued" || len(row.Sources) != 3 || len(row.Invoice.Items) != len(inv.Items) || !row.Invoice.Total.Equal(inv.Total) {
			t.Fatalf("stored: %+v", row)
		}
		// What is stored is the invoice: it still checks.
		back := row.Invoice
		back.Source, back.Notes, back.Flags = "", nil, nil
		if err := back.Check(); err != nil {
			t.Fatalf("stored invoice no longer checks: %v", err)
		}
		if _, err := f.db.Invoice(ctx, "inv_nope"); !errors.Is(err, ferry.ErrNoInvoice) || !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown key: %v", err)
		}
	})
	t.Run("HeldThenReleased", func(t *testing.T) {
		t.Parallel()
		f := newInvoiceFixture(t, open)
		inv := invs[1]
		misread := inv // the held read lost an item's name
		misread.Items = append([]ferry.InvoiceItem(nil), inv.Items...)
		misread.Items[0].Name = ""
		doc := ferry.InvoiceDoc{Invoice: misread, Direction: ferry.InvoiceReceived, Status: ferry.InvoiceNormal,
			Sources: []ferry.InvoiceSource{f.artifact(t, "b.pdf")}, Problems: []string{"b.pdf and b.xml disagree on 价税合计"}}
		f.save(t, doc, ferry.InvoiceHeld, 0)
		doc.Status = ferry.InvoiceVoid // a held invoice's status change sends nothing
		f.save(t, doc, ferry.InvoiceHeld, 0)
		if ob := f.outbox(t); len(ob) != 0 {
			t.Fatalf("a held invoice was queued: %v", ob)
		}
		row, _ := f.db.Invoice(ctx, ferry.InvoiceKey(inv))
		if row.State != "held" || len(row.Problems) != 1 {
			t.Fatalf("held row: %+v", row)
		}
		doc.Invoice, doc.Problems, doc.Sources = inv, nil, []ferry.InvoiceSource{f.artifact(t, "b.xml")}
		f.save(t, doc, ferry.InvoiceReleased, 2)
		ob := f.outbox(t)
		if r := ob[ferry.InvoiceKey(inv)]; len(ob) != 1 || r.Kind != "invoice" || r.Status != "void" || r.Items[0].Name != inv.Items[0].Name {
			t.Fatalf("released: %+v", ob)
		}
		// Stored as the read that checks.
		if row, _ := f.db.Invoice(ctx, ferry.InvoiceKey(inv)); row.Invoice.Items[0].Name != inv.Items[0].Name || len(row.Sources) != 2 {
			t.Fatalf("released row: %+v", row)
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		t.Parallel()
		f := newInvoiceFixture(t, open)
		inv := invs[2]
		doc := ferry.InvoiceDoc{Invoice: inv, Direction: ferry.InvoiceReceived, Status: ferry.InvoiceNormal}
		f.save(t, doc, ferry.InvoiceNew, 2)
		other := inv
		other.Total = inv.Total.Add(inv.Total)
		doc.Invoice, doc.Status = other, ferry.InvoiceVoid
		if _, err := f.db.SaveInvoice(ctx, f.run, doc, []string{"jsonl"}); !errors.Is(err, ferry.ErrInvoiceConflict) {
			t.Fatalf("other figures under one key: %v, want ErrInvoiceConflict", err)
		}
		if row, _ := f.db.Invoice(ctx, ferry.InvoiceKey(inv)); row.Status != ferry.InvoiceNormal {
			t.Fatalf("the refused save changed the status to %s", row.Status)
		}
		doc = ferry.InvoiceDoc{Invoice: inv, Direction: "", Status: ferry.InvoiceNormal}
		if _, err := f.db.SaveInvoice(ctx, f.run, doc, nil); err == nil {
			t.Fatal("no direction: saved")
		}
	})
	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		f := newInvoiceFixture(t, open)
		for i, inv := range invs {
			dir := ferry.InvoiceReceived
			if i == 1 {
				dir = ferry.InvoiceIssued
			}
			f.save(t, ferry.InvoiceDoc{Invoice: inv, Direction: dir, Status: ferry.InvoiceNormal}, ferry.InvoiceNew, 2)
		}
		f.save(t, ferry.InvoiceDoc{Invoice: invs[2], Direction: ferry.InvoiceReceived, Status: ferry.InvoiceVoid}, ferry.InvoiceUpdated, 2)
		count := func(fl ferry.InvoiceFilter) int {
			rows, err := f.db.Invoices(ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(rows); i++ {
				if rows[i].Invoice.IssueDate.Before(rows[i-1].Invoice.IssueDate) {
					t.Fatalf("not by issue date: %s after %s", rows[i].Invoice.IssueDate, rows[i-1].Invoice.IssueDate)
				}
			}
			return len(rows)
		}
		d0 := invs[0].IssueDate
		for _, c := range []struct {
			f    ferry.InvoiceFilter
			want int
		}{
			{ferry.InvoiceFilter{}, 3},
			{ferry.InvoiceFilter{Direction: ferry.InvoiceReceived}, 2},
			{ferry.InvoiceFilter{Direction: ferry.InvoiceIssued}, 1},
			{ferry.InvoiceFilter{Status: ferry.InvoiceVoid}, 1},
			{ferry.InvoiceFilter{From: d0, To: d0}, countOn(invs, d0)},
			{ferry.InvoiceFilter{Limit: 2}, 2},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("Invoices(%+v): %d, want %d", c.f, got, c.want)
			}
		}
	})
	t.Run("ConcurrentSavesQueueOnce", func(t *testing.T) {
		t.Parallel()
		f := newInvoiceFixture(t, open)
		const n = 8
		var wg sync.WaitGroup
		results := make([]ferry.InvoiceSaveResult, 2*n)
		errs := make([]error, 2*n)
		for i := range 2 * n {
			status := ferry.InvoiceNormal
			if i >= n {
				status = ferry.InvoiceVoid
			}
			wg.Go(func() {
				results[i], errs[i] = f.db.SaveInvoice(ctx, f.run, ferry.InvoiceDoc{Invoice: invs[0], Direction: ferry.InvoiceReceived, Status: status}, []string{"jsonl", "erp"})
			})
		}
		wg.Wait()
		queued := 0
		for i := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			queued += results[i].Queued
		}
		// However the saves interleave: the invoice once per sink, and at
		// most one void update per sink (none when a void read came
		// first, then the invoice is queued as void).
		ob := f.outbox(t)
		if _, ok := ob[ferry.InvoiceKey(invs[0])]; !ok || len(ob) > 2 || queued != 2*len(ob) {
			t.Fatalf("%d queued; outbox %v", queued, ob)
		}
		// Exactly once under the outbox's claims: concurrent deliverers
		// take every item once.
		var mu sync.Mutex
		taken := map[int64]string{}
		for w := range 4 {
			wg.Go(func() {
				owner := fmt.Sprint("deliverer-", w)
				for {
					items, err := f.db.Claim(ctx, "erp", owner, 1, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					if prev, dup := taken[items[0].ID]; dup {
						t.Errorf("item %d claimed by %s and %s", items[0].ID, prev, owner)
					}
					taken[items[0].ID] = owner
					mu.Unlock()
					if err := f.db.Ack(ctx, owner, []int64{items[0].ID}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(taken) != len(ob) {
			t.Fatalf("%d erp items delivered, want %d", len(taken), len(ob))
		}
	})
}

func countOn(invs []ferry.Invoice, d ferry.Date) int {
	n := 0
	for _, inv := range invs {
		if inv.IssueDate == d {
			n++
		}
	}
	return n
}
