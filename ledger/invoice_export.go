package ledger

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/xuri/excelize/v2"
)

// invoiceHeader is the invoice table's header, for ERPs that import
// invoice lists rather than transactions.
var invoiceHeader = []string{"dedup_key", "direction", "status", "state", "kind", "code", "number", "issue_date", "seller_name", "seller_tax_id",
	"buyer_name", "buyer_tax_id", "amount", "tax", "total", "currency", "red", "items", "problems"}

func invoiceRow(r ferry.InvoiceRow) []string {
	inv := r.Invoice
	names := make([]string, len(inv.Items))
	for i, it := range inv.Items {
		names[i] = it.Name
	}
	red := ""
	if inv.Red {
		red = "red"
	}
	return []string{r.Key, string(r.Direction), string(r.Status), r.State, inv.Kind, inv.Code, inv.Number, inv.IssueDate.String(), inv.SellerName, inv.SellerTaxID,
		inv.BuyerName, inv.BuyerTaxID, inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.Total.StringFixed(2), inv.Currency, red,
		strings.Join(names, "; "), strings.Join(r.Problems, "; ")}
}

// WriteInvoicesCSV writes one row per stored invoice, held ones included
// (their state and problems say so).
func WriteInvoicesCSV(w io.Writer, rows []ferry.InvoiceRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(invoiceHeader)
	for _, r := range rows {
		_ = cw.Write(invoiceRow(r))
	}
	cw.Flush()
	return cw.Error()
}

// WriteInvoicesXLSX writes the same table as an Excel workbook, amounts as
// exact decimal text (see WriteXLSX).
func WriteInvoicesXLSX(w io.Writer, rows []ferry.InvoiceRow) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	put := func(n int, cells []string) error {
		r := make([]any, len(cells))
		for i, c := range cells {
			r[i] = c
		}
		name, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(name, r)
	}
	if err := put(1, invoiceHeader); err != nil {
		return err
	}
	for i, r := range rows {
		if err := put(i+2, invoiceRow(r)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
