package delivery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// sandboxDocs are n invoices of the sandbox tax portal (seed 1) in each
// direction, normal, not red-letter, oldest first.
func sandboxDocs(t *testing.T, n int) []ferry.InvoiceDoc {
	t.Helper()
	p := tax.New(tax.Options{Seed: 1})
	var out []ferry.InvoiceDoc
	for _, dir := range []string{tax.Issued, tax.Received} {
		recs := p.Invoices(tax.Query{Direction: dir, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 3, 31)})
		got := 0
		for i := len(recs) - 1; i >= 0 && got < n; i-- {
			if recs[i].Red || recs[i].Status != tax.StatusNormal {
				continue
			}
			d, _ := ferry.ParseInvoiceDirection(dir)
			out = append(out, ferry.InvoiceDoc{Invoice: recs[i].Invoice, Direction: d, Status: ferry.InvoiceNormal})
			got++
		}
	}
	return out
}

func saveDocs(t *testing.T, db *storage.DB, run int64, docs []ferry.InvoiceDoc, sinks ...string) {
	t.Helper()
	for _, d := range docs {
		if _, err := db.SaveInvoice(context.Background(), run, d, sinks); err != nil {
			t.Fatal(err)
		}
	}
}

// invoiceERP is an HTTP finance system that counts every request per
// idempotency key (what it was sent, not what it kept) and keeps the
// bodies.
type invoiceERP struct {
	mu     sync.Mutex
	posts  map[string]int
	bodies map[string]map[string]any
}

func newInvoiceERP(t *testing.T) (*invoiceERP, string) {
	e := &invoiceERP{posts: map[string]int{}, bodies: map[string]map[string]any{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, "not JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		k := r.Header.Get("Idempotency-Key")
		e.posts[k]++
		e.bodies[k] = body
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return e, srv.URL
}

// The ERP's invoice API wants its own shape; statement lines keep theirs.
const invoiceBody = `{"doc_no": {{json .invoice_key}}, "event": {{json .kind}}, "status": {{json .status}}, "side": {{json .direction}}, "gross": {{json .total}}, "lines": {{len .items}}}`

// Invoices to every sink, from several deliverers at once: JSONL, an HTTP
// endpoint with an invoice body template, and a real hledger-web through
// the account mapping (issued → receivable, received → payable). Each
// invoice reaches each sink once; a void after delivery reaches each once
// more, as an update, and hledger-web books its reversal; the books
// balance.
func TestInvoicesToSinksOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, journal := startHledgerWeb(t)
	m, err := ledger.ParseMapping("mapping.yaml", []byte(strings.Replace(mappingYAML, "accounts:\n", "accounts:\n  invoice:expense: expenses:office\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	db, run, _ := openStore(t)
	all := sandboxDocs(t, 12) // 12 issued, then 12 received
	// hledger-web adds about one a second: one issued and one received
	// go there, the others to JSONL and HTTP.
	ledgerDocs := []ferry.InvoiceDoc{all[0], all[12]}
	tableDocs := append(append([]ferry.InvoiceDoc(nil), all[1:12]...), all[13:]...)
	saveDocs(t, db, run, tableDocs, "jsonl", "erp")
	saveDocs(t, db, run, ledgerDocs, "hledger")
	shop, url := newInvoiceERP(t)
	jsonl := filepath.Join(t.TempDir(), "out.jsonl")
	var hledgerPuts sync.Map
	drainAll := func() {
		t.Helper()
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				// Each deliverer has its own sink objects, as separate
				// processes would.
				ep := &delivery.Endpoint{SinkName: "erp", URL: url, Body: "json", InvoiceBody: invoiceBody}
				if err := ep.Check(); err != nil {
					t.Error(err)
					return
				}
				h := &delivery.Hledger{URL: base, Mapping: m}
				d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{&delivery.JSONLines{Path: jsonl}, ep, h}, Batch: 3, Log: zerolog.Nop(), Owner: fmt.Sprint("d", i)}
				st, err := d.Drain(ctx)
				if err != nil || st.Parked != 0 {
					t.Errorf("drain %d: %+v %v", i, st, err)
				}
				hledgerPuts.Store(i, st)
			})
		}
		wg.Wait()
	}
	drainAll()

	// Voided after delivery: one from each set.
	for _, d := range []ferry.InvoiceDoc{tableDocs[0], ledgerDocs[0]} {
		sinks := []string{"jsonl", "erp"}
		if d.Invoice.Number == ledgerDocs[0].Invoice.Number {
			sinks = []string{"hledger"}
		}
		d.Status = ferry.InvoiceVoid
		res, err := db.SaveInvoice(ctx, run, d, sinks)
		if err != nil || res.Outcome != ferry.InvoiceUpdated || res.Queued != len(sinks) {
			t.Fatalf("void: %+v %v", res, err)
		}
	}
	drainAll()
	if c, _ := db.OutboxCounts(ctx); c["pending"] != 0 || c["parked"] != 0 {
		t.Fatalf("outbox after the drains: %v", c)
	}

	// JSONL: every invoice once, and the void once.
	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]int{}
	updates := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r ferry.InvoiceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		lines[r.DedupKey]++
		if r.Kind == "update" {
			updates++
			if r.Status != "void" || r.PreviousStatus != "normal" || r.InvoiceKey != ferry.InvoiceKey(tableDocs[0].Invoice) {
				t.Errorf("update line: %+v", r)
			}
		}
	}
	if len(lines) != len(tableDocs)+1 || updates != 1 {
		t.Fatalf("jsonl: %d keys, %d updates; want %d and 1", len(lines), updates, len(tableDocs)+1)
	}
	for k, n := range lines {
		if n != 1 {
			t.Errorf("jsonl: %s written %d times", k, n)
		}
	}

	// The ERP: each key sent once, in its invoice shape.
	shop.mu.Lock()
	if len(shop.posts) != len(tableDocs)+1 {
		t.Errorf("erp got %d keys, want %d", len(shop.posts), len(tableDocs)+1)
	}
	for k, n := range shop.posts {
		if n != 1 {
			t.Errorf("erp: %s sent %d times", k, n)
		}
	}
	void := shop.bodies[ferry.InvoiceUpdateKey(ferry.InvoiceKey(tableDocs[0].Invoice), ferry.InvoiceVoid)]
	first := shop.bodies[ferry.InvoiceKey(tableDocs[1].Invoice)]
	if void["event"] != "update" || void["status"] != "void" || first["event"] != "invoice" || first["gross"] != tableDocs[1].Invoice.Total.StringFixed(2) || first["lines"] != float64(len(tableDocs[1].Invoice.Items)) {
		t.Errorf("erp bodies: void %v, first %v", void, first)
	}
	shop.mu.Unlock()

	// hledger-web: the two invoices and the reversal of the void one.
	resp, err := http.Get(base + "/transactions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var txs []struct {
		Tags     [][2]string `json:"ttags"`
		Postings []struct {
			Account string `json:"paccount"`
			Amount  []struct {
				Q struct {
					M int64 `json:"decimalMantissa"`
					P int32 `json:"decimalPlaces"`
				} `json:"aquantity"`
			} `json:"pamount"`
		} `json:"tpostings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&txs); err != nil {
		t.Fatal(err)
	}
	if len(txs) != len(ledgerDocs)+1 {
		t.Fatalf("the journal holds %d transactions, want %d", len(txs), len(ledgerDocs)+1)
	}
	bal := map[string]decimal.Decimal{}
	for _, tx := range txs {
		sum := decimal.Zero
		for _, p := range tx.Postings {
			a := decimal.New(p.Amount[0].Q.M, -p.Amount[0].Q.P)
			sum = sum.Add(a)
			bal[p.Account] = bal[p.Account].Add(a)
		}
		if !sum.IsZero() {
			t.Errorf("unbalanced: %+v", tx)
		}
	}
	// The voided one (issued) is reversed: what is left is the other,
	// a received invoice booked as a payable.
	var kept ferry.Invoice
	for _, d := range ledgerDocs[1:] {
		if d.Direction == ferry.InvoiceReceived {
			kept = d.Invoice
		}
	}
	if ledgerDocs[0].Direction != ferry.InvoiceIssued || !bal["assets:receivable"].IsZero() || !bal["liabilities:payable"].Equal(kept.Total.Neg()) || !bal["expenses:office"].Equal(kept.Amount) {
		t.Errorf("balances %v; kept %s", bal, kept.Total)
	}
	b, _ := os.ReadFile(journal)
	if strings.Count(string(b), "ferry:inv_") != len(ledgerDocs)+1 {
		t.Errorf("journal:\n%s", b)
	}
}

// Stored invoices as a Beancount file that Debian's bean-check accepts
// (receivables, payables, VAT, the reversal of a void), and as CSV and
// XLSX invoice tables; a held invoice is not booked.
func TestInvoiceBeancountCSVXLSX(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, run, _ := openStore(t)
	docs := sandboxDocs(t, 4)
	saveDocs(t, db, run, docs, "jsonl")
	voided := docs[1]
	voided.Status = ferry.InvoiceVoid
	saveDocs(t, db, run, []ferry.InvoiceDoc{voided}, "jsonl")
	p := tax.New(tax.Options{Seed: 1})
	var red ferry.InvoiceDoc
	for _, r := range p.Invoices(tax.Query{Direction: tax.Issued, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 12, 31)}) {
		if r.Red {
			red = ferry.InvoiceDoc{Invoice: r.Invoice, Direction: ferry.InvoiceIssued, Status: ferry.InvoiceNormal}
			break
		}
	}
	held := sandboxDocs(t, 6)[5]
	held.Problems = []string{"a.pdf and a.xml disagree on 价税合计"}
	saveDocs(t, db, run, []ferry.InvoiceDoc{red, held}, "jsonl")
	rows, err := db.Invoices(ctx, ferry.InvoiceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ledger.ParseMapping("mapping.yaml", []byte(mappingYAML))
	txs, nheld, err := m.InvoiceTransactions(rows)
	if err != nil {
		t.Fatal(err)
	}
	if nheld != 1 || len(txs) != len(docs)+2 {
		t.Fatalf("%d transactions, %d held; want %d and 1", len(txs), nheld, len(docs)+2)
	}
	path := filepath.Join(t.TempDir(), "invoices.beancount")
	f, _ := os.Create(path)
	if err := ledger.WriteBeancount(f, txs); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bc := testenv.Tool(t, "bean-check", "beancount")
	if out, err := exec.Command(bc, path).CombinedOutput(); err != nil {
		b, _ := os.ReadFile(path)
		t.Fatalf("bean-check: %v\n%s\n%s", err, out, b)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"Assets:Receivable", "Liabilities:Payable", "Liabilities:Tax:Vat-output", "Assets:Tax:Vat-input", "作废"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("beancount lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), ferry.InvoiceKey(held.Invoice)) {
		t.Errorf("the held invoice was booked:\n%s", b)
	}
	var csvb strings.Builder
	if err := ledger.WriteInvoicesCSV(&csvb, rows); err != nil || strings.Count(csvb.String(), "\n") != len(rows)+1 || !strings.Contains(csvb.String(), ",void,queued,") || !strings.Contains(csvb.String(), ",held,") {
		t.Fatalf("csv: %v\n%s", err, csvb.String())
	}
	xf, _ := os.Create(filepath.Join(t.TempDir(), "invoices.xlsx"))
	if err := ledger.WriteInvoicesXLSX(xf, rows); err != nil {
		t.Fatal(err)
	}
	xf.Close()
}
