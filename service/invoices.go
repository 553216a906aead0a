package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
)

// ErrInvoiceFilter reports a filter value that is not one the store
// knows (a direction, status, state or date); errors wrap it and name the
// filter.
var ErrInvoiceFilter = errors.New("bad invoice filter")

// InvoiceQuery is a listing's filters as a person gives them (command
// line flags, console query parameters); empty fields select all.
type InvoiceQuery struct {
	Direction string // issued (销项) or received (进项)
	Status    string // normal, void, red_letter, partial_red (or as the portal prints them)
	State     string // queued or held
	From, To  string // issue dates, YYYY-MM-DD, inclusive
	Limit     int
}

// Filter checks q and returns it as the store's filter. Errors wrap
// ErrInvoiceFilter.
func (q InvoiceQuery) Filter() (ferry.InvoiceFilter, error) {
	f := ferry.InvoiceFilter{State: q.State, Limit: q.Limit}
	var err error
	if q.Direction != "" {
		if f.Direction, err = ferry.ParseInvoiceDirection(q.Direction); err != nil {
			return f, fmt.Errorf("%w: %w", ErrInvoiceFilter, err)
		}
	}
	if q.Status != "" {
		if f.Status, err = ferry.ParseInvoiceStatus(q.Status); err != nil {
			return f, fmt.Errorf("%w: %w", ErrInvoiceFilter, err)
		}
	}
	switch q.State {
	case "", "queued", "held":
	default:
		return f, fmt.Errorf("%w: state %q: want queued or held", ErrInvoiceFilter, q.State)
	}
	for _, d := range []struct {
		name string
		s    string
		dst  *ferry.Date
	}{{"from", q.From, &f.From}, {"to", q.To, &f.To}} {
		if d.s == "" {
			continue
		}
		if *d.dst, err = ferry.ParseDate(d.s); err != nil {
			return f, fmt.Errorf("%w: %s date %q: want YYYY-MM-DD", ErrInvoiceFilter, d.name, d.s)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, fmt.Errorf("%w: to %s is before from %s", ErrInvoiceFilter, q.To, q.From)
	}
	if q.Limit < 0 {
		return f, fmt.Errorf("%w: limit %d", ErrInvoiceFilter, q.Limit)
	}
	return f, nil
}

// Invoices lists stored invoices matching q, by issue date. Errors:
// ErrInvoiceFilter for a bad filter, or the store's.
func Invoices(ctx context.Context, st ferry.InvoiceStore, q InvoiceQuery) ([]ferry.InvoiceRow, error) {
	f, err := q.Filter()
	if err != nil {
		return nil, err
	}
	rows, err := st.Invoices(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	return rows, nil
}

// InvoiceKeyOf reads an invoice as a person names it: its dedup key
// (inv_…), its 数电 number, or its code and number joined by _, - or a
// space.
func InvoiceKeyOf(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "inv_") {
		return s
	}
	s = strings.NewReplacer("-", "_", " ", "_").Replace(s)
	return "inv_" + s
}

// Invoice returns one stored invoice named as InvoiceKeyOf reads it, or
// by its number alone when one invoice has it.
// Errors: ferry.ErrNoInvoice (which is ferry.ErrNotFound), or the
// store's.
func Invoice(ctx context.Context, st ferry.InvoiceStore, name string) (ferry.InvoiceRow, error) {
	r, err := st.Invoice(ctx, InvoiceKeyOf(name))
	if errors.Is(err, ferry.ErrNotFound) && !strings.ContainsAny(name, "_- ") {
		// A number without its code: the one invoice with that number.
		rows, lerr := st.Invoices(ctx, ferry.InvoiceFilter{Number: strings.TrimSpace(name)})
		switch {
		case lerr != nil:
			err = lerr
		case len(rows) == 1:
			return rows[0], nil
		case len(rows) > 1:
			err = fmt.Errorf("%d invoices have number %s: give code and number (CODE-NUMBER)", len(rows), name)
		}
	}
	if err != nil {
		return r, fmt.Errorf("invoice %s: %w", name, err)
	}
	return r, nil
}

// InvoiceView is a stored invoice as commands print it in JSON and the
// console shows it: amounts as decimal text.
type InvoiceView struct {
	Key         string                    `json:"dedup_key"`
	Direction   string                    `json:"direction"`
	Status      string                    `json:"status"`
	State       string                    `json:"state"`
	Problems    []string                  `json:"problems"`
	Kind        string                    `json:"kind"`
	Code        string                    `json:"code,omitempty"`
	Number      string                    `json:"number"`
	IssueDate   string                    `json:"issue_date"`
	SellerName  string                    `json:"seller_name"`
	SellerTaxID string                    `json:"seller_tax_id"`
	BuyerName   string                    `json:"buyer_name"`
	BuyerTaxID  string                    `json:"buyer_tax_id,omitempty"`
	Amount      string                    `json:"amount"`
	Tax         string                    `json:"tax"`
	Total       string                    `json:"total"`
	Currency    string                    `json:"currency"`
	Red         bool                      `json:"red,omitempty"`
	Items       []ferry.InvoiceItemRecord `json:"items,omitempty"`
	Flags       []string                  `json:"flags,omitempty"`
	Sources     []InvoiceSourceView       `json:"sources,omitempty"`
	RunID       int64                     `json:"run_id"`
	Created     time.Time                 `json:"created"`
	Updated     time.Time                 `json:"updated"`
}

// InvoiceSourceView is one file an invoice was read from.
type InvoiceSourceView struct {
	ArtifactID int64  `json:"artifact_id"`
	RunID      int64  `json:"run_id"`
	Name       string `json:"name"`
	Format     string `json:"format"`
}

// ViewInvoice renders r; full adds its items, flags and sources.
func ViewInvoice(r ferry.InvoiceRow, full bool) InvoiceView {
	inv := r.Invoice
	v := InvoiceView{Key: r.Key, Direction: string(r.Direction), Status: string(r.Status), State: r.State, Problems: r.Problems,
		Kind: inv.Kind, Code: inv.Code, Number: inv.Number, IssueDate: inv.IssueDate.String(), SellerName: inv.SellerName, SellerTaxID: inv.SellerTaxID,
		BuyerName: inv.BuyerName, BuyerTaxID: inv.BuyerTaxID, Amount: inv.Amount.StringFixed(2), Tax: inv.Tax.StringFixed(2), Total: inv.Total.StringFixed(2),
		Currency: inv.Currency, Red: inv.Red, RunID: r.RunID, Created: r.Created, Updated: r.Updated}
	if v.Problems == nil {
		v.Problems = []string{}
	}
	if full {
		v.Items = ferry.NewInvoiceRecord(r.RunID, r.Key, r.Direction, r.Status, inv).Items
		v.Flags = inv.Flags
		for _, s := range r.Sources {
			v.Sources = append(v.Sources, InvoiceSourceView(s))
		}
	}
	return v
}
