package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// startHledgerWeb runs Debian's hledger-web on a fresh journal, API only,
// on 127.0.0.1.
func startHledgerWeb(t *testing.T) (base, journal string) {
	t.Helper()
	if _, err := exec.LookPath("hledger-web"); err != nil {
		testenv.Missing(t, "hledger-web not installed (hack/deps.sh --test installs it)")
	}
	dir := t.TempDir()
	journal = filepath.Join(dir, "books.journal")
	os.WriteFile(journal, []byte("; the company's books\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("hledger-web", "--serve-api", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "-f", journal)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(base + "/version"); err == nil {
			resp.Body.Close()
			return base, journal
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("hledger-web did not start")
	return
}

func ledgerDB(t *testing.T, sink string, lines ...ferry.StatementLine) *storage.DB {
	t.Helper()
	db, run, art := openStore(t)
	st := ferry.Statement{Account: "6222021000010001", Currency: "CNY", From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 3), NoBalances: true, Lines: lines}
	if _, err := db.SaveStatement(context.Background(), run, art, st, []string{sink}, ""); err != nil {
		t.Fatal(err)
	}
	return db
}

var books = []ferry.StatementLine{
	{Account: "6222021000010001", BookingDate: ferry.NewDate(2026, 10, 1), Amount: decimal.RequireFromString("2500.00"), Currency: "CNY", Counterparty: "ACME Trading", Description: "Invoice 4711", Reference: "R1"},
	{Account: "6222021000010001", BookingDate: ferry.NewDate(2026, 10, 2), Amount: decimal.RequireFromString("-84.20"), Currency: "CNY", Counterparty: "State Grid", Description: "Electricity October", Reference: "R2"},
	{Account: "6222021000010001", BookingDate: ferry.NewDate(2026, 10, 3), Amount: decimal.RequireFromString("-2.00"), Currency: "CNY", Counterparty: "Bank", Description: "SMS fee"},
	{Account: "6222021000010001", BookingDate: ferry.NewDate(2026, 10, 3), Amount: decimal.RequireFromString("-2.00"), Currency: "CNY", Counterparty: "Bank", Description: "SMS fee"},
}

const mappingYAML = `accounts:
  "6222021000010001": assets:bank:icbc:cny
rules:
  - counterparty: "(?i)acme"
    account: income:sales
  - description: "(?i)electricity"
    account: expenses:utilities
suspense: equity:suspense
`

// Records into a real hledger-web: balanced transactions tagged with the
// dedup key, mapped accounts and a suspense account, two identical fees
// kept as two, and a delivery repeated after a "crash" (the journal got the
// first record, the outbox never heard) adds nothing twice.
func TestHledgerWebSink(t *testing.T) {
	t.Parallel()
	base, journal := startHledgerWeb(t)
	m, err := ledger.ParseMapping("mapping.yaml", []byte(mappingYAML))
	if err != nil {
		t.Fatal(err)
	}
	db := ledgerDB(t, "hledger", books...)
	sink := &delivery.Hledger{URL: base, Mapping: m}
	items, _ := db.PendingOutbox(context.Background(), "hledger", 10, time.Now())
	if err := sink.Deliver(context.Background(), items[:1]); err != nil {
		t.Fatal(err)
	}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop()}
	if st, err := d.Drain(context.Background()); err != nil || st.Delivered != 4 {
		t.Fatalf("drain: %+v %v", st, err)
	}
	resp, err := http.Get(base + "/transactions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var txs []struct {
		Desc     string      `json:"tdescription"`
		Tags     [][2]string `json:"ttags"`
		Postings []struct {
			Account string `json:"paccount"`
			Amount  []struct {
				Q struct {
					M int64 `json:"decimalMantissa"`
					P int   `json:"decimalPlaces"`
				} `json:"aquantity"`
			} `json:"pamount"`
		} `json:"tpostings"`
	}
	json.NewDecoder(resp.Body).Decode(&txs)
	if len(txs) != 4 {
		t.Fatalf("the journal holds %d transactions, want 4", len(txs))
	}
	keys := map[string]bool{}
	accounts := map[string]int64{}
	for _, tx := range txs {
		keys[tx.Tags[0][1]] = true
		var sum int64
		for _, p := range tx.Postings {
			sum += p.Amount[0].Q.M
			accounts[p.Account] += p.Amount[0].Q.M
		}
		if sum != 0 || len(tx.Postings) != 2 {
			t.Fatalf("unbalanced transaction %+v", tx)
		}
	}
	if len(keys) != 4 {
		t.Fatalf("%d distinct ferry tags, want 4 (two identical fees stay two)", len(keys))
	}
	if accounts["assets:bank:icbc:cny"] != 241180 || accounts["income:sales"] != -250000 || accounts["expenses:utilities"] != 8420 || accounts["equity:suspense"] != 400 {
		t.Fatalf("balances %v", accounts)
	}
	b, _ := os.ReadFile(journal)
	if strings.Count(string(b), "ferry:sl_") != 4 {
		t.Fatalf("journal:\n%s", b)
	}
	// A record for an unmapped bank account is parked with a clear reason.
	db2 := ledgerDB(t, "hledger", ferry.StatementLine{Account: "9999", BookingDate: ferry.NewDate(2026, 10, 1), Amount: decimal.RequireFromString("1"), Currency: "CNY", Reference: "X"})
	d2 := &delivery.Deliverer{Outbox: db2, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop()}
	if st, _ := d2.Drain(context.Background()); st.Parked != 1 {
		t.Fatalf("unmapped account: %+v", st)
	}
	parked, _ := db2.Deliveries(context.Background(), "parked", "", 5)
	if !strings.Contains(parked[0].LastError, "bank account 9999 has no ledger account in mapping.yaml") {
		t.Fatalf("parked with %q", parked[0].LastError)
	}
}

// The same records as a Beancount file that Debian's bean-check accepts,
// and as CSV and XLSX for ERPs that import files.
func TestBeancountCSVXLSXExports(t *testing.T) {
	t.Parallel()
	m, _ := ledger.ParseMapping("mapping.yaml", []byte(mappingYAML))
	var txs []ledger.Transaction
	st := ferry.Statement{Lines: books}
	for i, key := range st.DedupKeys() {
		l := books[i]
		rec := storage.NewLineRecord(1, key, l)
		tx, err := m.Transaction(rec)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "books.beancount")
	f, _ := os.Create(p)
	if err := ledger.WriteBeancount(f, txs); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := exec.LookPath("bean-check"); err != nil {
		testenv.Missing(t, "bean-check not installed")
	}
	if out, err := exec.Command("bean-check", p).CombinedOutput(); err != nil {
		b, _ := os.ReadFile(p)
		t.Fatalf("bean-check: %v\n%s\n%s", err, out, b)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "Assets:Bank:Icbc:Cny") || strings.Count(string(b), "ferry-key:") != 4 {
		t.Fatalf("beancount:\n%s", b)
	}
	// An unbalanced transaction is refused, never written.
	bad := txs[0]
	bad.Postings = append([]ledger.Posting(nil), bad.Postings...)
	bad.Postings[1].Amount = bad.Postings[1].Amount.Add(decimal.RequireFromString("0.01"))
	var sb strings.Builder
	if err := ledger.WriteBeancount(&sb, []ledger.Transaction{bad}); err == nil || !strings.Contains(err.Error(), "does not balance") {
		t.Fatalf("unbalanced: %v", err)
	}
	var csvb strings.Builder
	if err := ledger.WriteCSV(&csvb, txs); err != nil || strings.Count(csvb.String(), "\n") != 5 || !strings.Contains(csvb.String(), "-84.20") {
		t.Fatalf("csv: %v\n%s", err, csvb.String())
	}
	xf, _ := os.Create(filepath.Join(dir, "books.xlsx"))
	if err := ledger.WriteXLSX(xf, txs); err != nil {
		t.Fatal(err)
	}
	xf.Close()
}
