package ledger_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/shopspring/decimal"
)

func invoiceRec(dir ferry.InvoiceDirection, total, amount, tax string) ferry.InvoiceRecord {
	d := decimal.RequireFromString
	inv := ferry.Invoice{Kind: "电子发票（增值税专用发票）", Number: "26312000000001000002", IssueDate: ferry.NewDate(2026, 2, 3),
		BuyerName: "买方", BuyerTaxID: "B", SellerName: "卖方", SellerTaxID: "S", Amount: d(amount), Tax: d(tax), Total: d(total),
		Items: []ferry.InvoiceItem{{Name: "*信息技术服务*软件维护", Amount: d(amount), Tax: d(tax), TaxRate: "6%"}}}
	return ferry.NewInvoiceRecord(7, ferry.InvoiceKey(inv), dir, ferry.InvoiceNormal, inv)
}

// sums returns each account's sum in t.
func sums(t ledger.Transaction) map[string]string {
	out := map[string]string{}
	for _, p := range t.Postings {
		out[p.Account] = p.Amount.StringFixed(2)
	}
	return out
}

// Issued → receivable, received → payable (with VAT on its own account
// and a seller's expense account from the mapping), a red-letter invoice
// negative by its own figures, a void's update the exact reversal, a
// red-letter status update nothing to book.
func TestInvoiceTransactions(t *testing.T) {
	m, err := ledger.ParseMapping("accounts.yaml", []byte("accounts:\n  invoice:expense:S: expenses:it\n  invoice:payable: liabilities:ap\n"))
	if err != nil {
		t.Fatal(err)
	}
	issued, err := m.InvoiceTransaction(invoiceRec(ferry.InvoiceIssued, "106.00", "100.00", "6.00"))
	if err != nil {
		t.Fatal(err)
	}
	if s := sums(issued); s["assets:receivable"] != "106.00" || s["income:sales"] != "-100.00" || s["liabilities:tax:vat-output"] != "-6.00" || issued.Payee != "买方" || issued.Date != "2026-02-03" {
		t.Errorf("issued: %+v", issued)
	}
	received, err := m.InvoiceTransaction(invoiceRec(ferry.InvoiceReceived, "106.00", "100.00", "6.00"))
	if err != nil {
		t.Fatal(err)
	}
	if s := sums(received); s["expenses:it"] != "100.00" || s["assets:tax:vat-input"] != "6.00" || s["liabilities:ap"] != "-106.00" || received.Payee != "卖方" {
		t.Errorf("received: %+v", received)
	}
	red, err := m.InvoiceTransaction(invoiceRec(ferry.InvoiceIssued, "-106.00", "-100.00", "-6.00"))
	if err != nil {
		t.Fatal(err)
	}
	if s := sums(red); s["assets:receivable"] != "-106.00" {
		t.Errorf("red-letter: %+v", red)
	}
	rec := invoiceRec(ferry.InvoiceReceived, "106.00", "100.00", "6.00")
	inv := ferry.Invoice{Number: rec.Number}
	up := rec
	up.Kind, up.Status, up.PreviousStatus, up.DedupKey = "update", "void", "normal", ferry.InvoiceUpdateKey(ferry.InvoiceKey(inv), ferry.InvoiceVoid)
	rev, err := m.InvoiceTransaction(up)
	if err != nil {
		t.Fatal(err)
	}
	if s := sums(rev); s["expenses:it"] != "-100.00" || s["liabilities:ap"] != "106.00" || rev.Key != up.DedupKey || !strings.HasPrefix(rev.Narration, "作废") {
		t.Errorf("void reversal: %+v", rev)
	}
	up.Status = "red_letter"
	if _, err := m.InvoiceTransaction(up); !errors.Is(err, ledger.ErrNothingToBook) {
		t.Errorf("red-letter update: %v, want ErrNothingToBook", err)
	}
	bad := rec
	bad.Direction = ""
	if _, err := m.InvoiceTransaction(bad); err == nil || !strings.Contains(err.Error(), rec.DedupKey) {
		t.Errorf("no direction: %v", err)
	}
	// Payloads of both record types.
	payload, _ := json.Marshal(rec)
	if tx, err := m.PayloadTransaction(payload); err != nil || len(tx.Postings) != 3 {
		t.Errorf("invoice payload: %+v %v", tx, err)
	}
	line, _ := json.Marshal(ferry.LineRecord{Type: "statement_line", DedupKey: "sl_1", Account: "A", BookingDate: "2026-02-03", Amount: "5.00", Currency: "CNY"})
	if _, err := m.PayloadTransaction(line); err == nil || !strings.Contains(err.Error(), "bank account A has no ledger account") {
		t.Errorf("statement line payload: %v", err)
	}
}
