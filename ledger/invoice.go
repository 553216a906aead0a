package ledger

// Invoices as double-entry transactions, through the account mapping: an
// issued invoice (销项) is a receivable, a received one (进项) a payable.
//
//	issued:   receivable +价税合计 / revenue −金额 / output VAT −税额
//	received: expense +金额 / input VAT +税额 / payable −价税合计
//
// A red-letter invoice has negative figures, so its transaction reverses
// the blue one's by itself. A void after delivery (an update of status
// void) books the reversal of the invoice's transaction. An update to
// red_letter or partial_red books nothing: the red-letter invoice, a
// record of its own, carries the reversal (ErrNothingToBook).

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// The mapping's accounts for invoices: keys of Mapping.Accounts, with
// their defaults. InvoiceExpense + ":" + a seller's tax id picks the
// expense account of that seller's invoices.
const (
	InvoiceReceivable = "invoice:receivable" // default assets:receivable
	InvoicePayable    = "invoice:payable"    // default liabilities:payable
	InvoiceRevenue    = "invoice:revenue"    // default income:sales
	InvoiceExpense    = "invoice:expense"    // default expenses:purchases
	InvoiceVATOutput  = "invoice:vat-output" // default liabilities:tax:vat-output
	InvoiceVATInput   = "invoice:vat-input"  // default assets:tax:vat-input
)

var invoiceDefaults = map[string]string{
	InvoiceReceivable: "assets:receivable",
	InvoicePayable:    "liabilities:payable",
	InvoiceRevenue:    "income:sales",
	InvoiceExpense:    "expenses:purchases",
	InvoiceVATOutput:  "liabilities:tax:vat-output",
	InvoiceVATInput:   "assets:tax:vat-input",
}

// ErrNothingToBook reports a record that needs no transaction: an update
// that a ledger has nothing to book for. A sink acknowledges it.
var ErrNothingToBook = errors.New("nothing to book")

// invoiceAccount is the mapping's account for role (one of the Invoice*
// keys), or its default.
func (m *Mapping) invoiceAccount(role string) string {
	if m != nil {
		if a, ok := m.Accounts[role]; ok && a != "" {
			return a
		}
	}
	return invoiceDefaults[role]
}

// InvoiceTransaction maps a delivered invoice record. An update record
// of status void gives the reversal of the invoice's transaction under
// the update's key; another update is ErrNothingToBook. Figures that do
// not parse, an unknown direction or postings that do not balance are
// errors naming the record.
func (m *Mapping) InvoiceTransaction(rec ferry.InvoiceRecord) (Transaction, error) {
	var amt, tax, total decimal.Decimal
	for _, f := range []struct {
		name string
		s    string
		dst  *decimal.Decimal
	}{{"amount", rec.Amount, &amt}, {"tax", rec.Tax, &tax}, {"total", rec.Total, &total}} {
		v, err := decimal.NewFromString(f.s)
		if err != nil {
			return Transaction{}, fmt.Errorf("invoice record %s: %s %q: %w", rec.DedupKey, f.name, f.s, err)
		}
		*f.dst = v
	}
	cur := rec.Currency
	if cur == "" {
		cur = "CNY"
	}
	t := Transaction{Key: rec.DedupKey, Date: rec.IssueDate, Reference: invoiceRef(rec)}
	what := "发票 " + invoiceRef(rec)
	if len(rec.Items) > 0 {
		what += " " + strings.TrimSpace(rec.Items[0].Name)
	}
	post := func(acct string, v decimal.Decimal) {
		if !v.IsZero() {
			t.Postings = append(t.Postings, Posting{Account: acct, Amount: v, Currency: cur})
		}
	}
	switch ferry.InvoiceDirection(rec.Direction) {
	case ferry.InvoiceIssued:
		t.Payee = rec.BuyerName
		post(m.invoiceAccount(InvoiceReceivable), total)
		post(m.invoiceAccount(InvoiceRevenue), amt.Neg())
		post(m.invoiceAccount(InvoiceVATOutput), tax.Neg())
	case ferry.InvoiceReceived:
		t.Payee = rec.SellerName
		expense := m.invoiceAccount(InvoiceExpense)
		if m != nil && m.Accounts[InvoiceExpense+":"+rec.SellerTaxID] != "" {
			expense = m.Accounts[InvoiceExpense+":"+rec.SellerTaxID]
		}
		post(expense, amt)
		post(m.invoiceAccount(InvoiceVATInput), tax)
		post(m.invoiceAccount(InvoicePayable), total.Neg())
	default:
		return Transaction{}, fmt.Errorf("invoice record %s: direction %q: want issued or received", rec.DedupKey, rec.Direction)
	}
	t.Narration = what
	if rec.Kind == "update" {
		if ferry.InvoiceStatus(rec.Status) != ferry.InvoiceVoid {
			return Transaction{}, fmt.Errorf("invoice record %s: status %s: %w (the red-letter invoice is booked as its own record)", rec.DedupKey, rec.Status, ErrNothingToBook)
		}
		for i := range t.Postings {
			t.Postings[i].Amount = t.Postings[i].Amount.Neg()
		}
		t.Narration = "作废 " + what
	}
	return t, t.Balanced()
}

// invoiceRef is how a ledger names an invoice: its 数电 number, or code and
// number.
func invoiceRef(rec ferry.InvoiceRecord) string {
	if rec.Code == "" {
		return rec.Number
	}
	return rec.Code + "-" + rec.Number
}

// InvoiceRecordOf decodes an outbox payload that is an invoice record.
func InvoiceRecordOf(payload []byte) (ferry.InvoiceRecord, error) {
	var r ferry.InvoiceRecord
	if err := json.Unmarshal(payload, &r); err != nil {
		return r, err
	}
	if r.Type != "invoice" {
		return r, fmt.Errorf("not an invoice record: %q", r.Type)
	}
	return r, nil
}

// PayloadTransaction maps an outbox payload of any record type a ledger
// books: a statement line (Mapping.Transaction) or an invoice or its
// update (Mapping.InvoiceTransaction, which may be ErrNothingToBook).
func (m *Mapping) PayloadTransaction(payload []byte) (Transaction, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return Transaction{}, fmt.Errorf("record: %w", err)
	}
	if head.Type == "invoice" {
		rec, err := InvoiceRecordOf(payload)
		if err != nil {
			return Transaction{}, err
		}
		return m.InvoiceTransaction(rec)
	}
	rec, err := Record(payload)
	if err != nil {
		return Transaction{}, err
	}
	return m.Transaction(rec)
}

// InvoiceTransactions maps stored invoices for an export: each invoice
// the sinks get (not held) as its transaction, and a void one with its
// reversal as well, as a ledger fed by the sinks holds them. It returns
// how many were held back.
func (m *Mapping) InvoiceTransactions(rows []ferry.InvoiceRow) ([]Transaction, int, error) {
	var out []Transaction
	held := 0
	for _, r := range rows {
		if r.State == "held" {
			held++
			continue
		}
		rec := ferry.NewInvoiceRecord(r.RunID, r.Key, r.Direction, ferry.InvoiceNormal, r.Invoice)
		t, err := m.InvoiceTransaction(rec)
		if err != nil {
			return nil, held, err
		}
		out = append(out, t)
		if r.Status == ferry.InvoiceVoid {
			up := ferry.NewInvoiceUpdate(r.RunID, r.Key, r.Direction, ferry.InvoiceNormal, ferry.InvoiceVoid, r.Invoice)
			if t, err = m.InvoiceTransaction(up); err != nil {
				return nil, held, err
			}
			out = append(out, t)
		}
	}
	return out, held, nil
}
