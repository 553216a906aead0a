package runner

// Invoices a run downloaded (`as: invoice`) become records: each invoice
// once under its dedup key, its formats (PDF, OFD, XML) one record whose
// sources are cross-checked, its status taken from the portal's list
// export when the run downloaded one.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"
)

// maxInvoiceFile bounds the bytes of one invoice file read into memory: an
// invoice is tens of kilobytes; a file far larger is not one.
const maxInvoiceFile = 64 << 20

// ingestInvoices parses the run's invoice downloads and stores each
// invoice once (see ingestInvoiceFiles). It returns how many invoices it
// stored or updated; files it could not read are named in the error, the
// others stored all the same.
func (r *Runner) ingestInvoices(ctx context.Context, run ferry.RunRecord, files []stored) (int, error) {
	arts := make([]ferry.Artifact, len(files))
	for i, f := range files {
		arts[i] = f.artifact
	}
	sinks := make([]string, len(r.cfg.Sinks))
	for i, s := range r.cfg.Sinks {
		sinks[i] = s.Name()
	}
	res, err := ingestInvoiceFiles(ctx, r.cfg.DB, run, arts, sinks, r.cfg.Logger)
	return res.Saved, err
}

// invoiceDB is what invoice ingestion needs of the store.
type invoiceDB interface {
	ferry.ArtifactStore
	ferry.InvoiceStore
}

// InvoiceIngest counts what ingestInvoiceFiles did.
type InvoiceIngest struct {
	Files    int // invoice files read
	Invoices int // distinct invoices among them
	Saved    int // invoices stored, released or updated
	New      int
	Held     int
	Updated  int // status changes queued (or recorded, for held ones)
	ListOnly int // status changes from the list of invoices stored before
}

// invoiceRead is one file's parse.
type invoiceRead struct {
	art ferry.Artifact
	inv ferry.Invoice
}

// listRow is a row of the portal's list export: what the list says of one
// invoice.
type listRow struct {
	key, file   string
	status      ferry.InvoiceStatus
	seller      string
	buyer       string
	total       string
	statusError error
}

// ingestInvoiceFiles stores the invoices in files: PDF, OFD and XML
// invoices grouped by dedup key into one record each, and list exports
// (XLSX) read for each invoice's status. For each invoice:
//   - the sources are cross-checked field by field: a disagreement is a
//     problem, and so is any source's Check failure (a flag): the invoice
//     is stored held, never delivered as correct (see ferry.InvoiceStore);
//   - the direction is the artifact's Account when it names one (issued,
//     received, 销项, 进项), else the run's parameter direction, else
//     which side the company's tax id (parameter tax_id, or the id every
//     row of a list export shares) is on;
//   - the status is the list's (normal when no list names it).
//
// An invoice in a list but not among the files, stored before, gets the
// list's status: a void after delivery becomes one update. Files that do
// not parse, and invoices whose direction cannot be told, are named in
// the returned error; everything else is stored.
func ingestInvoiceFiles(ctx context.Context, db invoiceDB, run ferry.RunRecord, files []ferry.Artifact, sinks []string, log zerolog.Logger) (InvoiceIngest, error) {
	var sum InvoiceIngest
	var errs []error
	byKey := map[string][]invoiceRead{}
	list := map[string]listRow{}
	var listIDs []string
	for _, a := range files {
		data, err := readArtifact(ctx, db, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if isListExport(a, data) {
			rows, common, err := readInvoiceList(a.Name, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, row := range rows {
				list[row.key] = row
			}
			if common != "" {
				listIDs = append(listIDs, common)
			}
			continue
		}
		sum.Files++
		inv, err := einvoice.Parse(ctx, a.Name, data)
		if err != nil {
			errs = append(errs, fmt.Errorf("invoice file %s: %w", a.Name, err))
			continue
		}
		k := ferry.InvoiceKey(inv)
		byKey[k] = append(byKey[k], invoiceRead{a, inv})
	}
	own := run.Params.Values["tax_id"]
	if own == "" && len(listIDs) > 0 {
		own = listIDs[0]
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sum.Invoices = len(keys)
	for _, k := range keys {
		reads := byKey[k]
		doc := mergeInvoice(reads)
		dir, err := invoiceDirection(reads[0].art, run, own, doc.Invoice)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		doc.Direction, doc.Status = dir, ferry.InvoiceNormal
		if row, ok := list[k]; ok {
			delete(list, k)
			if row.statusError != nil {
				doc.Problems = append(doc.Problems, row.statusError.Error())
			} else {
				doc.Status = row.status
			}
			if row.total != "" && row.total != doc.Invoice.Total.StringFixed(2) {
				doc.Problems = append(doc.Problems, fmt.Sprintf("%s lists 价税合计 %s, the invoice says %s", row.file, row.total, doc.Invoice.Total.StringFixed(2)))
			}
		}
		res, err := db.SaveInvoice(ctx, run.ID, doc, sinks)
		if err != nil {
			errs = append(errs, fmt.Errorf("invoice %s (%s): %w", doc.Invoice.Number, reads[0].art.Name, err))
			continue
		}
		count(&sum, res)
		if res.Outcome == ferry.InvoiceHeld {
			log.Warn().Str("invoice", k).Strs("problems", doc.Problems).Msg("invoice held: not delivered")
		}
	}
	// Invoices the list names that were not downloaded this time: those
	// stored before take the list's status.
	rest := make([]string, 0, len(list))
	for k := range list {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		row := list[k]
		if row.statusError != nil {
			continue
		}
		stored, err := db.Invoice(ctx, k)
		if errors.Is(err, ferry.ErrNotFound) {
			continue // listed, not downloaded, never stored: nothing to update
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if row.status == stored.Status {
			continue
		}
		res, err := db.SaveInvoice(ctx, run.ID, ferry.InvoiceDoc{Invoice: stored.Invoice, Direction: stored.Direction, Status: row.status, Problems: stored.Problems}, sinks)
		if err != nil {
			errs = append(errs, fmt.Errorf("invoice %s (status from %s): %w", k, row.file, err))
			continue
		}
		if res.Outcome == ferry.InvoiceUpdated {
			sum.ListOnly++
		}
		count(&sum, res)
	}
	return sum, errors.Join(errs...)
}

func count(sum *InvoiceIngest, res ferry.InvoiceSaveResult) {
	switch res.Outcome {
	case ferry.InvoiceNew, ferry.InvoiceReleased:
		sum.New++
		sum.Saved++
	case ferry.InvoiceHeld:
		sum.Held++
		sum.Saved++
	case ferry.InvoiceUpdated:
		sum.Updated++
		sum.Saved++
	}
}

// readArtifact reads a download's bytes, refusing one too large to be an
// invoice or a list.
func readArtifact(ctx context.Context, db ferry.ArtifactStore, a ferry.Artifact) ([]byte, error) {
	rc, err := db.OpenArtifact(ctx, a.SHA256)
	if err != nil {
		return nil, fmt.Errorf("invoice file %s: %w", a.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInvoiceFile+1))
	if err != nil {
		return nil, fmt.Errorf("invoice file %s: %w", a.Name, err)
	}
	if len(data) > maxInvoiceFile {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, a.Name, "over %d MB: not an invoice", maxInvoiceFile>>20)
	}
	return data, nil
}

// sourceRank orders an invoice's formats by how directly they carry its
// fields: the XML is the data itself, the OFD tags its fields, the PDF is
// only drawn text.
func sourceRank(format string) int {
	switch format {
	case "xml":
		return 0
	case "ofd":
		return 1
	}
	return 2
}

// mergeInvoice makes one record of an invoice's reads: the invoice as its
// most direct format gives it, every source, and as problems every
// source's Check failure and every field in which two sources disagree.
func mergeInvoice(reads []invoiceRead) ferry.InvoiceDoc {
	sort.SliceStable(reads, func(i, j int) bool {
		return sourceRank(formatOf(reads[i])) < sourceRank(formatOf(reads[j]))
	})
	doc := ferry.InvoiceDoc{Invoice: reads[0].inv}
	for _, r := range reads {
		doc.Sources = append(doc.Sources, ferry.InvoiceSource{ArtifactID: r.art.ID, RunID: r.art.RunID, Name: r.art.Name, Format: formatOf(r)})
		if err := r.inv.Check(); err != nil {
			doc.Problems = append(doc.Problems, r.art.Name+": "+err.Error())
		}
	}
	first := reads[0]
	for _, r := range reads[1:] {
		for _, d := range invoiceDifferences(first.inv, r.inv) {
			doc.Problems = append(doc.Problems, fmt.Sprintf("%s and %s disagree on %s", first.art.Name, r.art.Name, d))
		}
	}
	return doc
}

// formatOf is a read's file format: the artifact's, else its name's
// extension.
func formatOf(r invoiceRead) string {
	if f := strings.ToLower(r.art.Format); f != "" {
		return f
	}
	if i := strings.LastIndexByte(r.art.Name, '.'); i >= 0 {
		return strings.ToLower(r.art.Name[i+1:])
	}
	return ""
}

// invoiceDifferences lists the fields in which two reads of one invoice
// differ, each with both values.
func invoiceDifferences(a, b ferry.Invoice) []string {
	var out []string
	cmp := func(name, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s (%q, %q)", name, x, y))
		}
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), "") }
	cmp("发票代码", a.Code, b.Code)
	cmp("发票号码", a.Number, b.Number)
	cmp("开票日期", a.IssueDate.String(), b.IssueDate.String())
	cmp("购买方名称", norm(a.BuyerName), norm(b.BuyerName))
	cmp("购买方纳税人识别号", a.BuyerTaxID, b.BuyerTaxID)
	cmp("销售方名称", norm(a.SellerName), norm(b.SellerName))
	cmp("销售方纳税人识别号", a.SellerTaxID, b.SellerTaxID)
	cmp("金额", a.Amount.StringFixed(2), b.Amount.StringFixed(2))
	cmp("税额", a.Tax.StringFixed(2), b.Tax.StringFixed(2))
	cmp("价税合计", a.Total.StringFixed(2), b.Total.StringFixed(2))
	cmp("items", fmt.Sprint(len(a.Items)), fmt.Sprint(len(b.Items)))
	if len(a.Items) == len(b.Items) {
		for i := range a.Items {
			x, y := a.Items[i], b.Items[i]
			cmp(fmt.Sprintf("item %d 金额", i+1), x.Amount.StringFixed(2), y.Amount.StringFixed(2))
			cmp(fmt.Sprintf("item %d 税额", i+1), x.Tax.StringFixed(2), y.Tax.StringFixed(2))
			cmp(fmt.Sprintf("item %d 税率", i+1), x.TaxRate, y.TaxRate)
		}
	}
	return out
}

// invoiceDirection tells whether inv was issued or received (see
// ingestInvoiceFiles).
func invoiceDirection(a ferry.Artifact, run ferry.RunRecord, own string, inv ferry.Invoice) (ferry.InvoiceDirection, error) {
	if a.Account != "" {
		if d, err := ferry.ParseInvoiceDirection(a.Account); err == nil {
			return d, nil
		}
	}
	if v := run.Params.Values["direction"]; v != "" && v != "both" {
		d, err := ferry.ParseInvoiceDirection(v)
		if err != nil {
			return "", fmt.Errorf("run %d: parameter %w", run.ID, err)
		}
		return d, nil
	}
	switch {
	case own == "":
	case inv.SellerTaxID == own:
		return ferry.InvoiceIssued, nil
	case inv.BuyerTaxID == own:
		return ferry.InvoiceReceived, nil
	}
	return "", ferry.Errorf(ferry.ClassValidationFailed, a.Name, "invoice %s: cannot tell whether it was issued or received: the download names no direction, and the company's tax id (parameter tax_id, or the list export) is neither seller nor buyer", inv.Number)
}

// isListExport reports whether a download is the portal's list export (an
// XLSX workbook) rather than an invoice.
func isListExport(a ferry.Artifact, data []byte) bool {
	return (strings.EqualFold(a.Format, "xlsx") || strings.HasSuffix(strings.ToLower(a.Name), ".xlsx")) && bytes.HasPrefix(data, []byte("PK"))
}

// readInvoiceList reads a list export: a sheet whose header has 发票状态
// and 发票号码 or 数电票号码. It returns a row per invoice, and the tax id
// every row shares as seller or as buyer (the company's, when the list
// has rows of one direction and more than one counterparty; else empty).
func readInvoiceList(name string, data []byte) ([]listRow, string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, "", ferry.Errorf(ferry.ClassDocumentChanged, name, "not a workbook: %v", err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return nil, "", ferry.Errorf(ferry.ClassDocumentChanged, name, "sheet %s: %v", sheet, err)
		}
		if len(rows) == 0 {
			continue
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[strings.Join(strings.Fields(h), "")] = i
		}
		_, hasStatus := col["发票状态"]
		_, hasNo := col["发票号码"]
		_, hasDigital := col["数电票号码"]
		if !hasStatus || !hasNo && !hasDigital {
			continue
		}
		cell := func(r []string, h string) string {
			if i, ok := col[h]; ok && i < len(r) {
				return strings.TrimSpace(r[i])
			}
			return ""
		}
		var out []listRow
		sellers, buyers := map[string]bool{}, map[string]bool{}
		for n, r := range rows[1:] {
			inv := ferry.Invoice{Code: cell(r, "发票代码"), Number: cell(r, "数电票号码")}
			if inv.Number == "" {
				inv.Number = cell(r, "发票号码")
			} else {
				inv.Code = ""
			}
			if inv.Number == "" {
				continue // a blank or summary row
			}
			row := listRow{key: ferry.InvoiceKey(inv), file: name, seller: cell(r, "销方识别号"), buyer: cell(r, "购方识别号"), total: cell(r, "价税合计")}
			st, err := ferry.ParseInvoiceStatus(cell(r, "发票状态"))
			if err != nil {
				row.statusError = fmt.Errorf("%s sheet %s row %d: %w", name, sheet, n+2, err)
			}
			row.status = st
			sellers[row.seller], buyers[row.buyer] = true, true
			out = append(out, row)
		}
		common := ""
		switch {
		case len(sellers) == 1 && len(buyers) > 1:
			for id := range sellers {
				common = id
			}
		case len(buyers) == 1 && len(sellers) > 1:
			for id := range buyers {
				common = id
			}
		}
		return out, common, nil
	}
	return nil, "", ferry.Errorf(ferry.ClassDocumentChanged, name, "no sheet with the columns 发票号码 (or 数电票号码) and 发票状态: not the portal's invoice list")
}
