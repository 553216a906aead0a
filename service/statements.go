package service

// Statements and invoices as finance reads them in the console: lists
// with filters across runs, and each one's check results.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// StatementSource is where statements are read from (*storage.DB).
type StatementSource interface {
	// Runs lists the newest limit runs, newest first.
	Runs(ctx context.Context, limit int) ([]ferry.RunRecord, error)
	// Statements lists a run's statements in the order they were saved.
	Statements(ctx context.Context, runID int64) ([]ferry.StatementRow, error)
}

// ErrStatementFilter reports a filter value that does not read; errors
// wrap it and name the filter.
var ErrStatementFilter = errors.New("bad statement filter")

// StatementQuery is a statement listing's filters as a person gives them;
// empty fields select all.
type StatementQuery struct {
	Account string // the account, as stored (case-insensitive)
	Status  string // accepted or held
	// From, To (YYYY-MM-DD) select statements whose period overlaps them.
	From, To string
	// Runs bounds how many of the newest runs are read (1000 when 0).
	Runs int
}

// Check checks q; errors wrap ErrStatementFilter and name the field.
func (q StatementQuery) Check() error {
	switch q.Status {
	case "", "accepted", "held":
	default:
		return fmt.Errorf("%w: status %q: want accepted or held", ErrStatementFilter, q.Status)
	}
	for _, d := range []struct{ name, v string }{{"from", q.From}, {"to", q.To}} {
		if d.v == "" {
			continue
		}
		if _, err := ferry.ParseDate(d.v); err != nil {
			return fmt.Errorf("%w: %s date %q: want YYYY-MM-DD", ErrStatementFilter, d.name, d.v)
		}
	}
	if q.From != "" && q.To != "" && q.To < q.From {
		return fmt.Errorf("%w: to %s is before from %s", ErrStatementFilter, q.To, q.From)
	}
	return nil
}

func (q StatementQuery) matches(s ferry.StatementRow) bool {
	if q.Account != "" && !strings.EqualFold(strings.TrimSpace(q.Account), s.Account) {
		return false
	}
	if q.Status != "" && s.Status != q.Status {
		return false
	}
	// Periods are YYYY-MM-DD text: compared as text, they order as dates.
	if q.From != "" && s.To != "" && s.To < q.From {
		return false
	}
	if q.To != "" && s.From != "" && s.From > q.To {
		return false
	}
	return true
}

// Statements lists the stored statements of the newest runs that match q,
// newest run first. Errors: ErrStatementFilter, the store's.
func Statements(ctx context.Context, src StatementSource, q StatementQuery) ([]ferry.StatementRow, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	limit := q.Runs
	if limit <= 0 {
		limit = 1000
	}
	runs, err := src.Runs(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list statements: %w", err)
	}
	out := []ferry.StatementRow{}
	for _, r := range runs {
		sts, err := src.Statements(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("list statements of run %d: %w", r.ID, err)
		}
		for _, s := range sts {
			if q.matches(s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// ErrNoStatement reports a statement id not among the runs read.
var ErrNoStatement = fmt.Errorf("no such statement: %w", ferry.ErrNotFound)

// Statement returns statement id of run runID. Errors: ErrNoStatement,
// the store's.
func Statement(ctx context.Context, src StatementSource, runID, id int64) (ferry.StatementRow, error) {
	sts, err := src.Statements(ctx, runID)
	if err != nil {
		return ferry.StatementRow{}, fmt.Errorf("statement %d of run %d: %w", id, runID, err)
	}
	for _, s := range sts {
		if s.ID == id {
			return s, nil
		}
	}
	return ferry.StatementRow{}, fmt.Errorf("statement %d of run %d: %w", id, runID, ErrNoStatement)
}

// CheckResult is one check on a statement or an invoice: passed or not,
// and why.
type CheckResult struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Why    string `json:"why,omitempty"`
}

// StatementChecks are the checks a stored statement went through.
func StatementChecks(s ferry.StatementRow) []CheckResult {
	bal := CheckResult{Name: "balances reconcile (opening + lines = closing)", Passed: s.Status == "accepted",
		Why: fmt.Sprintf("opening %s, closing %s %s", s.Opening, s.Closing, s.Currency)}
	if s.Status != "accepted" {
		bal.Why = s.Problem
	}
	once := CheckResult{Name: "every line stored once", Passed: s.Status == "accepted" && s.NewLines+s.Duplicates == s.Lines,
		Why: fmt.Sprintf("%d lines: %d new, %d stored before", s.Lines, s.NewLines, s.Duplicates)}
	if s.Status != "accepted" {
		once.Why = fmt.Sprintf("held: none of its %d lines was stored or delivered", s.Lines)
	}
	return []CheckResult{bal, once}
}

// invoiceCheckNames are the checks ferry.Invoice.Check and the reading of
// an invoice's sources make; a stored invoice without problems passed
// them all.
var invoiceCheckNames = []string{
	"required fields in the kind's form (code, number, date, check code)",
	"buyer and seller names and valid tax ids",
	"金额 + 税额 = 价税合计",
	"the total in words equals the figures",
	"the items add up to the totals",
	"its files (PDF, OFD, XML) agree",
}

// InvoiceChecks are a stored invoice's check results: each problem found
// (a failed check, with why), or every check passed.
func InvoiceChecks(r ferry.InvoiceRow) []CheckResult {
	if len(r.Problems) == 0 {
		out := make([]CheckResult, 0, len(invoiceCheckNames))
		for _, n := range invoiceCheckNames {
			out = append(out, CheckResult{Name: n, Passed: true})
		}
		return out
	}
	out := make([]CheckResult, 0, len(r.Problems)+1)
	for _, p := range r.Problems {
		out = append(out, CheckResult{Name: "check failed", Passed: false, Why: p})
	}
	return append(out, CheckResult{Name: "held: not delivered until a new read passes", Passed: false, Why: fmt.Sprintf("%d problems", len(r.Problems))})
}

// MatchesParty reports whether party (a name or tax id, any case, part of
// it) is the invoice's buyer or seller: the invoices' account filter.
func MatchesParty(r ferry.InvoiceRow, party string) bool {
	p := strings.ToLower(strings.TrimSpace(party))
	if p == "" {
		return true
	}
	for _, v := range []string{r.Invoice.BuyerName, r.Invoice.BuyerTaxID, r.Invoice.SellerName, r.Invoice.SellerTaxID} {
		if v != "" && strings.Contains(strings.ToLower(v), p) {
			return true
		}
	}
	return false
}
