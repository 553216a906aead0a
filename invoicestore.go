package ferry

// Invoices as records: each invoice stored once under its dedup key, with
// its items, its check results and the files it was read from, and queued
// for the sinks in the same transaction. A later download that finds the
// invoice voided or red-lettered queues an update, never the invoice again.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InvoiceDirection says whose invoice it is: issued by the company (销项,
// a receivable) or received by it (进项, a payable).
type InvoiceDirection string

// The directions.
const (
	InvoiceIssued   InvoiceDirection = "issued"
	InvoiceReceived InvoiceDirection = "received"
)

// ParseInvoiceDirection reads a direction as configured or as a portal
// names it (issued, 销项, received, 进项).
func ParseInvoiceDirection(s string) (InvoiceDirection, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "issued", "sales", "out", "销项", "开具":
		return InvoiceIssued, nil
	case "received", "purchase", "purchases", "in", "进项", "取得":
		return InvoiceReceived, nil
	}
	return "", fmt.Errorf("invoice direction %q: want issued (销项) or received (进项)", s)
}

// InvoiceStatus is an invoice's state at the tax bureau.
type InvoiceStatus string

// The statuses. A red-letter invoice (Invoice.Red) is itself normal; the
// invoice it cancels becomes InvoiceRedLettered.
const (
	InvoiceNormal      InvoiceStatus = "normal"      // 正常
	InvoiceVoid        InvoiceStatus = "void"        // 作废
	InvoiceRedLettered InvoiceStatus = "red_letter"  // 已红冲 (cancelled by a red-letter invoice)
	InvoicePartRed     InvoiceStatus = "partial_red" // 部分红冲
)

// ParseInvoiceStatus reads a status as Ferry writes it or as the portal
// prints it (正常, 作废, 已作废, 红冲, 已红冲, 部分红冲); empty is normal.
func ParseInvoiceStatus(s string) (InvoiceStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "normal", "正常", "蓝字":
		return InvoiceNormal, nil
	case "void", "voided", "作废", "已作废":
		return InvoiceVoid, nil
	case "red_letter", "red-letter", "red", "红冲", "已红冲", "全额红冲", "已全额红冲":
		return InvoiceRedLettered, nil
	case "partial_red", "部分红冲", "已部分红冲":
		return InvoicePartRed, nil
	}
	return "", fmt.Errorf("invoice status %q: want normal (正常), void (作废), red_letter (已红冲) or partial_red (部分红冲)", s)
}

// InvoiceKey is the dedup key of an invoice: its 20-digit number for a 数电
// invoice (numbers are unique nationwide), its code and number otherwise.
// Every format of one invoice (PDF, OFD, XML) has the same key.
func InvoiceKey(inv Invoice) string {
	if inv.Code == "" {
		return "inv_" + inv.Number
	}
	return "inv_" + inv.Code + "_" + inv.Number
}

// InvoiceSource is one file an invoice was read from.
type InvoiceSource struct {
	ArtifactID int64
	RunID      int64
	Name       string
	Format     string // pdf, ofd, xml
}

// InvoiceDoc is one invoice as a run read it, ready to store: the invoice
// as the first source gave it, the files it was read from, its direction
// and status at the portal, and every problem found (Check's and the
// disagreements between its sources). An invoice with problems is held:
// stored, shown, never delivered.
type InvoiceDoc struct {
	Invoice   Invoice
	Direction InvoiceDirection
	Status    InvoiceStatus
	Sources   []InvoiceSource
	Problems  []string
}

// InvoiceOutcome says what a save did.
type InvoiceOutcome string

// The outcomes.
const (
	// InvoiceNew: stored for the first time and queued for every sink.
	InvoiceNew InvoiceOutcome = "new"
	// InvoiceHeld: stored (or kept) with problems: nothing queued.
	InvoiceHeld InvoiceOutcome = "held"
	// InvoiceReleased: stored held before, now without problems: queued.
	InvoiceReleased InvoiceOutcome = "released"
	// InvoiceUnchanged: stored before with this status: nothing queued
	// (its new source files are recorded).
	InvoiceUnchanged InvoiceOutcome = "unchanged"
	// InvoiceUpdated: its status changed: an update is queued for every
	// sink when the invoice had been queued, nothing when it was held.
	InvoiceUpdated InvoiceOutcome = "updated"
)

// InvoiceSaveResult says what SaveInvoice stored.
type InvoiceSaveResult struct {
	Key     string
	Outcome InvoiceOutcome
	Queued  int // outbox rows written
}

// InvoiceRow is a stored invoice.
type InvoiceRow struct {
	Key       string
	Direction InvoiceDirection
	Status    InvoiceStatus
	// State is queued (on its way to the sinks, or there) or held (its
	// Problems keep it back).
	State    string
	Problems []string
	Invoice  Invoice // with its items
	Sources  []InvoiceSource
	RunID    int64 // the run that stored it first
	Created  time.Time
	Updated  time.Time
}

// InvoiceFilter selects stored invoices; zero fields select all.
type InvoiceFilter struct {
	Direction InvoiceDirection
	Status    InvoiceStatus
	State     string
	From, To  Date   // issue date, both inclusive
	Number    string // 发票号码 (without its code)
	Limit     int    // 0: no limit
}

// ErrNoInvoice reports an unknown invoice key.
var ErrNoInvoice = fmt.Errorf("no such invoice: %w", ErrNotFound)

// ErrInvoiceConflict reports a download whose invoice has a stored key but
// other figures or parties: not the same invoice, or one misread. Nothing
// of it is stored.
var ErrInvoiceConflict = errors.New("an invoice under this key is stored with other figures")

// InvoiceStore keeps invoices, each once under its dedup key, and queues
// them (and their status changes) for every sink in the same transaction.
type InvoiceStore interface {
	// SaveInvoice stores doc, read by run runID, in one transaction. A new
	// invoice is stored with its items, sources and problems, and queued
	// for each of sinks unless it has problems (held). One stored before
	// gets doc's sources added; a held one whose new read has no problems
	// is released (queued); one whose status changed gets the new status,
	// and, when it was queued before, an update queued for each sink (an
	// outbox item of kind update under UpdateKey): never the invoice a
	// second time. Statuses only move forward (normal, partial_red, then
	// void or red_letter, which are final): an older status read later (a
	// list fetched before the void) changes nothing. Concurrent saves of
	// one invoice queue it once. An
	// invoice stored with other figures is ErrInvoiceConflict and stores
	// nothing; an empty key, direction or status is an error.
	SaveInvoice(ctx context.Context, runID int64, doc InvoiceDoc, sinks []string) (InvoiceSaveResult, error)
	// Invoices lists stored invoices matching f, by issue date then key.
	Invoices(ctx context.Context, f InvoiceFilter) ([]InvoiceRow, error)
	// Invoice returns one stored invoice with its items and sources; an
	// unknown key is ErrNoInvoice (which is ErrNotFound).
	Invoice(ctx context.Context, key string) (InvoiceRow, error)
}

// InvoiceUpdateKey is the outbox dedup key of the update that tells the
// sinks invoice key now has status: one per invoice and status, so that a
// status seen again adds nothing.
func InvoiceUpdateKey(key string, status InvoiceStatus) string {
	return key + "@" + string(status)
}

// InvoiceRecord is the JSON form of an invoice handed to sinks: Kind
// invoice for the invoice itself, update for a later status change (then
// PreviousStatus is the status the sink has, and DedupKey is
// InvoiceUpdateKey). Amounts are decimal text with two decimals.
type InvoiceRecord struct {
	Type           string              `json:"type"` // "invoice"
	Kind           string              `json:"kind"` // "invoice" or "update"
	DedupKey       string              `json:"dedup_key"`
	InvoiceKey     string              `json:"invoice_key"`
	Direction      string              `json:"direction"`
	Status         string              `json:"status"`
	PreviousStatus string              `json:"previous_status,omitempty"`
	InvoiceKind    string              `json:"invoice_kind"`
	Code           string              `json:"code,omitempty"`
	Number         string              `json:"number"`
	IssueDate      string              `json:"issue_date"`
	BuyerName      string              `json:"buyer_name"`
	BuyerTaxID     string              `json:"buyer_tax_id,omitempty"`
	SellerName     string              `json:"seller_name"`
	SellerTaxID    string              `json:"seller_tax_id"`
	Amount         string              `json:"amount"`
	Tax            string              `json:"tax"`
	Total          string              `json:"total"`
	Currency       string              `json:"currency"`
	Red            bool                `json:"red,omitempty"`
	Items          []InvoiceItemRecord `json:"items"`
	RunID          int64               `json:"run_id"`
}

// InvoiceItemRecord is one line of an InvoiceRecord.
type InvoiceItemRecord struct {
	Name      string `json:"name"`
	Spec      string `json:"spec,omitempty"`
	Unit      string `json:"unit,omitempty"`
	Quantity  string `json:"quantity,omitempty"`
	UnitPrice string `json:"unit_price,omitempty"`
	Amount    string `json:"amount"`
	TaxRate   string `json:"tax_rate"`
	Tax       string `json:"tax"`
}

// NewInvoiceRecord renders an invoice for delivery as a new record.
func NewInvoiceRecord(runID int64, key string, dir InvoiceDirection, status InvoiceStatus, inv Invoice) InvoiceRecord {
	cur := inv.Currency
	if cur == "" {
		cur = "CNY"
	}
	r := InvoiceRecord{Type: "invoice", Kind: "invoice", DedupKey: key, InvoiceKey: key, Direction: string(dir), Status: string(status),
		InvoiceKind: inv.Kind, Code: inv.Code, Number: inv.Number, IssueDate: inv.IssueDate.String(),
		BuyerName: inv.BuyerName, BuyerTaxID: inv.BuyerTaxID, SellerName: inv.SellerName, SellerTaxID: inv.SellerTaxID,
		Amount: inv.Amount.StringFixed(2), Tax: inv.Tax.StringFixed(2), Total: inv.Total.StringFixed(2), Currency: cur, Red: inv.Red,
		Items: make([]InvoiceItemRecord, 0, len(inv.Items)), RunID: runID}
	for _, it := range inv.Items {
		ir := InvoiceItemRecord{Name: it.Name, Spec: it.Spec, Unit: it.Unit, Amount: it.Amount.StringFixed(2), TaxRate: it.TaxRate, Tax: it.Tax.StringFixed(2)}
		if it.QuantityStated {
			ir.Quantity = it.Quantity.String()
		}
		if it.PriceStated {
			ir.UnitPrice = it.UnitPrice.String()
		}
		r.Items = append(r.Items, ir)
	}
	return r
}

// NewInvoiceUpdate renders a status change of an invoice the sinks have
// (from previous to status) as an update record under InvoiceUpdateKey.
// It carries the whole invoice, so that a sink can reverse what it booked.
func NewInvoiceUpdate(runID int64, key string, dir InvoiceDirection, previous, status InvoiceStatus, inv Invoice) InvoiceRecord {
	r := NewInvoiceRecord(runID, key, dir, status, inv)
	r.Kind, r.DedupKey, r.PreviousStatus = "update", InvoiceUpdateKey(key, status), string(previous)
	return r
}
