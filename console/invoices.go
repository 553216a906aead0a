package console

// Invoices for finance: a list with filters (party, issue dates,
// direction, status), an invoice's items, sources and check results, and
// CSV/XLSX exports.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
)

func (s *Server) invoiceStore(w http.ResponseWriter, r *http.Request) (ferry.InvoiceStore, bool) {
	st, ok := s.cfg.Store.(ferry.InvoiceStore)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no invoices")
	}
	return st, ok
}

// invoiceFilters are the list's filters as the form sends them.
type invoiceFilters struct {
	Account, Direction, Status, State, From, To string
}

// invoices reads the filtered list; on a bad filter or a store error it
// has answered itself and says false.
func (s *Server) invoices(w http.ResponseWriter, r *http.Request) ([]ferry.InvoiceRow, invoiceFilters, bool) {
	st, ok := s.invoiceStore(w, r)
	if !ok {
		return nil, invoiceFilters{}, false
	}
	q := r.URL.Query()
	f := invoiceFilters{Account: q.Get("account"), Direction: q.Get("direction"), Status: q.Get("status"), State: q.Get("state"), From: q.Get("from"), To: q.Get("to")}
	rows, err := service.Invoices(r.Context(), st, service.InvoiceQuery{Direction: f.Direction, Status: f.Status, State: f.State, From: f.From, To: f.To})
	if errors.Is(err, service.ErrInvoiceFilter) {
		s.fail(w, r, pageRoute, http.StatusBadRequest, err.Error())
		return nil, f, false
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return nil, f, false
	}
	out := []ferry.InvoiceRow{}
	for _, row := range rows {
		if service.MatchesParty(row, f.Account) {
			out = append(out, row)
		}
	}
	return out, f, true
}

func (s *Server) invoicesPage(w http.ResponseWriter, r *http.Request, who *identity) {
	rows, f, ok := s.invoices(w, r)
	if !ok {
		return
	}
	views := make([]service.InvoiceView, 0, len(rows))
	for _, row := range rows {
		views = append(views, service.ViewInvoice(row, false))
	}
	s.render(w, r, who, http.StatusOK, "invoices", pageData{Title: "Invoices", Data: map[string]any{"Query": f, "Invoices": views, "Export": r.URL.RawQuery}})
}

// invoiceView is an invoice's page.
type invoiceView struct {
	Invoice service.InvoiceView
	Checks  []service.CheckResult
}

func (s *Server) invoicePage(w http.ResponseWriter, r *http.Request, who *identity) {
	st, ok := s.invoiceStore(w, r)
	if !ok {
		return
	}
	key := r.PathValue("key")
	if !strings.HasPrefix(key, "inv_") {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such invoice")
		return
	}
	row, err := st.Invoice(r.Context(), key)
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such invoice")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	v := invoiceView{Invoice: service.ViewInvoice(row, true), Checks: service.InvoiceChecks(row)}
	s.render(w, r, who, http.StatusOK, "invoice", pageData{Title: "Invoice", Data: v})
}

func (s *Server) invoicesExport(w http.ResponseWriter, r *http.Request, who *identity) {
	format, ok := s.exportFormat(w, r)
	if !ok {
		return
	}
	rows, _, ok := s.invoices(w, r)
	if !ok {
		return
	}
	header := []string{"dedup_key", "direction", "status", "state", "kind", "code", "number", "issue_date", "seller_name", "seller_tax_id", "buyer_name", "buyer_tax_id",
		"amount", "tax", "total", "currency", "items", "problems", "run_id"}
	out := make([][]string, 0, len(rows))
	for _, row := range rows {
		v := service.ViewInvoice(row, false)
		out = append(out, []string{v.Key, v.Direction, v.Status, v.State, v.Kind, v.Code, v.Number, v.IssueDate, v.SellerName, v.SellerTaxID, v.BuyerName, v.BuyerTaxID,
			v.Amount, v.Tax, v.Total, v.Currency, strconv.Itoa(len(row.Invoice.Items)), strings.Join(v.Problems, "; "), strconv.FormatInt(v.RunID, 10)})
	}
	s.exportTable(w, r, "invoices", format, header, out, map[int]bool{12: true, 13: true, 14: true, 16: true, 18: true})
}
