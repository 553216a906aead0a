package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// invoiceBed is a store and a run whose downloads are invoice files.
type invoiceBed struct {
	db  *storage.DB
	run ferry.RunRecord
}

func newInvoiceBed(t testing.TB) *invoiceBed {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(context.Background(), filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := &invoiceBed{db: db}
	b.newRun(t, nil)
	return b
}

// newRun starts another run of the bot, with params values.
func (b *invoiceBed) newRun(t testing.TB, values map[string]string) {
	t.Helper()
	id, err := b.db.NewRun(context.Background(), ferry.Run{Bot: "etax-invoices", Login: "zhangwei", Params: ferry.RunParams{Values: values}})
	if err != nil {
		t.Fatal(err)
	}
	if b.run, err = b.db.Run(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func (b *invoiceBed) put(t testing.TB, name, format, account string, data []byte) ferry.Artifact {
	t.Helper()
	a, err := b.db.PutArtifact(context.Background(), ferry.Artifact{RunID: b.run.ID, Kind: "download", Name: name, Format: format, Account: account}, data)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (b *invoiceBed) ingest(t testing.TB, files []ferry.Artifact) InvoiceIngest {
	t.Helper()
	sum, err := ingestInvoiceFiles(context.Background(), b.db, b.run, files, []string{"jsonl"}, zerolog.Nop())
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return sum
}

// outbox returns the pending jsonl items' records by outbox key.
func (b *invoiceBed) outbox(t testing.TB) map[string]ferry.InvoiceRecord {
	t.Helper()
	items, err := b.db.PendingOutbox(context.Background(), "jsonl", 100000, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ferry.InvoiceRecord{}
	for _, it := range items {
		var r ferry.InvoiceRecord
		if err := json.Unmarshal(it.Payload, &r); err != nil {
			t.Fatal(err)
		}
		out[it.DedupKey] = r
	}
	return out
}

// renderAll renders rec in each format the portal serves it in.
func renderAll(t testing.TB, rec *tax.Record) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	render := map[string]func(*tax.Record) ([]byte, error){"pdf": tax.RenderPDF, "ofd": tax.RenderOFD}
	if rec.Digital() {
		render["xml"] = tax.RenderXML
	}
	for f, fn := range render {
		data, err := fn(rec)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

// Invoices the sandbox tax portal serves, in every format, with its list
// export: each invoice one record whose formats agree, queued once; the
// same downloads again are nothing new; a void the list shows after
// delivery is one update, even when the bot does not download the file
// again.
func TestIngestSandboxInvoices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := tax.New(tax.Options{Seed: 1})
	q := tax.Query{Direction: tax.Received, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 1, 20)}
	recs := p.Invoices(q)
	if len(recs) < 5 {
		t.Fatalf("%d invoices in the sandbox's first 20 days", len(recs))
	}
	b := newInvoiceBed(t)
	var files []ferry.Artifact
	formats := 0
	nformats := map[string]int{}
	for i := range recs {
		all := renderAll(t, &recs[i])
		nformats[recs[i].ID()] = len(all)
		for f, data := range all {
			files = append(files, b.put(t, "dzfp_"+recs[i].ID()+"."+f, f, "", data))
			formats++
		}
	}
	ptrs := make([]*tax.Record, len(recs))
	for i := range recs {
		ptrs[i] = &recs[i]
	}
	list, err := tax.RenderXLSX(ptrs)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, b.put(t, "export.xlsx", "xlsx", "", list))
	sum := b.ingest(t, files)
	if sum.Files != formats || sum.Invoices != len(recs) || sum.New+sum.Held != len(recs) || sum.Held != 0 {
		t.Fatalf("ingest: %+v for %d invoices in %d files", sum, len(recs), formats)
	}
	ob := b.outbox(t)
	if len(ob) != len(recs) {
		t.Fatalf("%d queued, want %d", len(ob), len(recs))
	}
	for _, rec := range recs {
		key := ferry.InvoiceKey(rec.Invoice)
		r, ok := ob[key]
		if !ok || r.Total != rec.Total.StringFixed(2) || r.Direction != "received" {
			t.Errorf("%s: queued %+v", rec.ID(), r)
		}
		wantStatus, _ := ferry.ParseInvoiceStatus(rec.Status)
		row, err := b.db.Invoice(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != wantStatus || len(row.Sources) != nformats[rec.ID()] {
			t.Errorf("%s: stored status %s with %d sources, want %s", rec.ID(), row.Status, len(row.Sources), wantStatus)
		}
	}

	// The next run downloads it all again: nothing new.
	b.newRun(t, nil)
	again := make([]ferry.Artifact, len(files))
	for i, a := range files {
		data := mustRead(t, b.db, a)
		again[i] = b.put(t, a.Name, a.Format, "", data)
	}
	if sum := b.ingest(t, again); sum.Saved != 0 {
		t.Fatalf("the same downloads again: %+v", sum)
	}
	if n := len(b.outbox(t)); n != len(recs) {
		t.Fatalf("%d queued after the repeat, want %d", n, len(recs))
	}

	// Voided after delivery; the bot downloads only the list.
	var victim tax.Record
	for _, rec := range recs {
		if rec.Status == tax.StatusNormal && !rec.Red {
			victim = rec
			break
		}
	}
	if !p.Void(victim.ID()) {
		t.Fatal("no invoice to void")
	}
	recs = p.Invoices(q)
	for i := range recs {
		ptrs[i] = &recs[i]
	}
	if list, err = tax.RenderXLSX(ptrs); err != nil {
		t.Fatal(err)
	}
	b.newRun(t, nil)
	sum = b.ingest(t, []ferry.Artifact{b.put(t, "export.xlsx", "xlsx", "", list)})
	if sum.Updated != 1 || sum.ListOnly != 1 || sum.Saved != 1 {
		t.Fatalf("after the void: %+v", sum)
	}
	ob = b.outbox(t)
	up, ok := ob[ferry.InvoiceUpdateKey(ferry.InvoiceKey(victim.Invoice), ferry.InvoiceVoid)]
	if len(ob) != len(recs)+1 || !ok || up.Kind != "update" || up.Status != "void" || up.PreviousStatus != "normal" {
		t.Fatalf("after the void: %d queued; update %+v", len(ob), up)
	}
	// Seen again: nothing.
	b.newRun(t, nil)
	if sum := b.ingest(t, []ferry.Artifact{b.put(t, "export.xlsx", "xlsx", "", list)}); sum.Saved != 0 {
		t.Fatalf("the void seen again: %+v", sum)
	}
}

func mustRead(t testing.TB, db *storage.DB, a ferry.Artifact) []byte {
	t.Helper()
	data, err := readArtifact(context.Background(), db, a)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A PDF and an XML of one invoice that disagree: one record, held, the
// disagreement named; never queued.
func TestIngestDisagreeingSourcesHeld(t *testing.T) {
	t.Parallel()
	p := tax.New(tax.Options{Seed: 1})
	var rec tax.Record
	for _, r := range p.Invoices(tax.Query{Direction: tax.Issued, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 3, 31)}) {
		if r.Digital() && !r.Red {
			rec = r
			break
		}
	}
	b := newInvoiceBed(t)
	pdf, err := tax.RenderPDF(&rec)
	if err != nil {
		t.Fatal(err)
	}
	other := rec
	other.BuyerName = rec.BuyerName + "分公司"
	xml, err := tax.RenderXML(&other)
	if err != nil {
		t.Fatal(err)
	}
	sum := b.ingest(t, []ferry.Artifact{b.put(t, "a.pdf", "pdf", "issued", pdf), b.put(t, "a.xml", "xml", "issued", xml)})
	if sum.Invoices != 1 || sum.Held != 1 {
		t.Fatalf("ingest: %+v", sum)
	}
	row, err := b.db.Invoice(context.Background(), ferry.InvoiceKey(rec.Invoice))
	if err != nil {
		t.Fatal(err)
	}
	if row.State != "held" || len(row.Problems) != 1 || !strings.Contains(row.Problems[0], "购买方名称") || row.Direction != ferry.InvoiceIssued {
		t.Fatalf("stored: state %s, problems %q", row.State, row.Problems)
	}
	if ob := b.outbox(t); len(ob) != 0 {
		t.Fatalf("a held invoice was queued: %v", ob)
	}
}

// Real invoice files (the shared corpus's and einvoice's real test data),
// ingested as received invoices: each one record (two real OFDs of one
// 数电 invoice, from different producers, are one that agrees), the ones whose reads fail Check held
// with their flags, the others queued; files that are no invoice named
// in the error, the rest stored all the same.
func TestIngestRealInvoices(t *testing.T) {
	t.Parallel()
	b := newInvoiceBed(t)
	b.newRun(t, map[string]string{"direction": "received"})
	var files []ferry.Artifact
	add := func(p string) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ext := strings.TrimPrefix(filepath.Ext(p), ".")
		files = append(files, b.put(t, filepath.Base(p), ext, "", data))
	}
	for _, rel := range []string{"cn-einvoice/sanitized_vat_invoice.pdf", "cn-einvoice/sanitized_vat_invoice.ofd", "cn-einvoice/erma0_sample.ofd"} {
		add(testenv.Corpus(t, rel))
	}
	const real = "../einvoice/testdata/real"
	for _, rel := range testenv.RealFiles(t, real) {
		add(filepath.Join(real, filepath.FromSlash(rel)))
	}
	sum, err := ingestInvoiceFiles(context.Background(), b.db, b.run, files, []string{"jsonl"}, zerolog.Nop())
	// einvoice refuses two real files (a page of the OFD standard, an OFD
	// of path drawings): named, the others stored.
	if err == nil || !strings.Contains(err.Error(), "z.ofd") || !strings.Contains(err.Error(), "V4RideRight.ofd") {
		t.Fatalf("error: %v", err)
	}
	rows, lerr := b.db.Invoices(context.Background(), ferry.InvoiceFilter{})
	if lerr != nil {
		t.Fatal(lerr)
	}
	if sum.Invoices != len(rows) || sum.New+sum.Held != len(rows) || len(rows) < 8 {
		t.Fatalf("ingest %+v; %d stored", sum, len(rows))
	}
	queued := b.outbox(t)
	multi := 0 // invoices read from two files that agree
	for _, r := range rows {
		_, q := queued[r.Key]
		if (r.State == "queued") != q || (r.State == "held") != (len(r.Problems) > 0) {
			t.Errorf("%s: state %s, queued %v, problems %q", r.Key, r.State, q, r.Problems)
		}
		if len(r.Sources) > 1 && r.State == "queued" {
			multi++
		}
		t.Logf("%s %s %s %s sources %d problems %d", r.Key, r.State, r.Invoice.Kind, r.Invoice.Total.StringFixed(2), len(r.Sources), len(r.Problems))
	}
	if sum.New == 0 || multi == 0 {
		t.Fatalf("no real invoice passed its checks, or none was read from two files that agree: %+v, %d", sum, multi)
	}
}

// BenchmarkIngestInvoices measures invoices parsed and stored per minute:
// sandbox invoices (数电 and older, issued and received) as the portal
// serves them, each in one format or in all of its formats (one record
// from two or three files, cross-checked), into a fresh SQLite store.
//
//	go test -p 1 -run '^$' -bench BenchmarkIngestInvoices -benchtime 3x -count 5 ./runner
func BenchmarkIngestInvoices(b *testing.B) {
	p := tax.New(tax.Options{Seed: 1})
	var recs []tax.Record
	for _, dir := range []string{tax.Issued, tax.Received} {
		recs = append(recs, p.Invoices(tax.Query{Direction: dir, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 1, 31)})...)
	}
	rendered := make([]map[string][]byte, len(recs))
	for i := range recs {
		rendered[i] = renderAll(b, &recs[i])
	}
	for _, format := range []string{"pdf", "ofd", "xml", "all"} {
		b.Run(format, func(b *testing.B) {
			invoices := 0
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				bed := newInvoiceBed(b)
				bed.newRun(b, map[string]string{"tax_id": p.Taxpayer().TaxID})
				var files []ferry.Artifact
				n := 0
				for i := range recs {
					added := false
					for f, data := range rendered[i] {
						if format == "all" || f == format {
							files = append(files, bed.put(b, recs[i].ID()+"."+f, f, "", data))
							added = true
						}
					}
					if added {
						n++
					}
				}
				start := time.Now()
				b.StartTimer()
				sum := bed.ingest(b, files)
				b.StopTimer()
				elapsed += time.Since(start)
				if sum.Invoices != n || sum.Held != 0 {
					b.Fatalf("%s: %+v for %d invoices", format, sum, n)
				}
				invoices += n
				b.StartTimer()
			}
			b.ReportMetric(float64(invoices)/elapsed.Minutes(), "invoices/min")
		})
	}
}
