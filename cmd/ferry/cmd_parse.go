package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/documents"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/templates"
	"github.com/spf13/cobra"
)

type parseOptions struct {
	asJSON, asCSV bool
	format        string
	password      string
	mapping       string
	templates     string
	streamAbove   int64
}

func newParseCmd(g *globals) *cobra.Command {
	var o parseOptions
	c := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Parse statements and invoices and print the normalized records",
		Long: `Detect each file's format, parse it and print the records: statements and
their lines (XLSX, CSV, PDF, camt.052/053/054, MT940/MT942, OFX, BAI2) or
invoices and their items (Chinese VAT e-invoices as PDF, OFD or 全电 XML).
Statements are reconciled and invoices checked; a problem is reported. A file
that cannot be parsed exits non-zero with a message naming the file and the
row, line or page.`,
		Example: `  ferry parse 对账单.xlsx
  ferry parse statement.pdf --json --password s3cret
  ferry parse camt053.xml mt940.sta --csv > lines.csv
  ferry parse 发票.ofd --format invoice --json
  ferry parse export.csv --mapping banks/sparkasse.yaml
  ferry parse invoice.pdf --template ./templates`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// --json is the global flag: one statement or invoice per line.
			o.asJSON = g.json
			if o.asJSON && o.asCSV {
				return &exitError{exitUsage, fmt.Errorf("--json and --csv: give one")}
			}
			return runParse(cmd.Context(), g, o, args)
		},
	}
	c.Flags().BoolVar(&o.asCSV, "csv", false, "print statement lines (or invoice items) as CSV")
	c.Flags().StringVar(&o.format, "format", "", "the file format instead of detecting it: xlsx, csv, pdf, camt, mt940, ofx, bai2 or invoice")
	c.Flags().StringVar(&o.password, "password", "", "password of an encrypted PDF")
	c.Flags().StringVar(&o.templates, "template", "", "directory of invoice2data-format templates (YAML/JSON): extract their fields from PDF or text invoices of any issuer")
	c.Flags().StringVar(&o.mapping, "mapping", "", "column-mapping file (YAML) for a bank's CSV/XLSX export Ferry has no reader for")
	c.Flags().Int64Var(&o.streamAbove, "stream-above", streamThreshold, "CSV and XLSX files larger than this many bytes are read row by row")
	_ = c.Flags().MarkHidden("stream-above")
	return c
}

func runParse(ctx context.Context, g *globals, o parseOptions, files []string) error {
	var mapping *statements.Mapping
	if o.mapping != "" {
		m, err := statements.LoadMapping(o.mapping)
		if err != nil {
			return &exitError{exitUsage, err}
		}
		mapping = m
	}
	if o.templates != "" {
		return runTemplates(ctx, g, o, files)
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	pr := &printer{g: g, o: o, cw: csv.NewWriter(g.stdout), enc: enc}
	// Every file is read, whatever happened to the one before: a bad file
	// is reported and the exit code says that not all were read.
	var failed []string
	var firstErr error
	for _, f := range files {
		if ctx.Err() != nil {
			return &exitError{exitInterrupted, errors.New("interrupted")}
		}
		err := parseOne(ctx, pr, mapping, f)
		if err != nil && ctx.Err() != nil {
			return &exitError{exitInterrupted, fmt.Errorf("interrupted while reading %s", f)}
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "ferry: %v\n", err)
			failed = append(failed, f)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	pr.cw.Flush()
	if err := pr.cw.Error(); err != nil {
		return err
	}
	if len(failed) > 0 {
		if len(files) == 1 {
			return &exitError{codeFor(firstErr), errors.New("the file was not read")}
		}
		return &exitError{codeFor(firstErr), fmt.Errorf("%d of %d files not read: %s", len(failed), len(files), strings.Join(failed, ", "))}
	}
	// Read, but not right: a statement that does not add up or an invoice
	// with a flag is printed with its problem, and the exit code says so.
	if len(pr.held) > 0 {
		return &exitError{exitHeld, fmt.Errorf("held back (printed with their problems): %s", strings.Join(pr.held, ", "))}
	}
	return nil
}

// printer writes parsed documents in the chosen shape and remembers which
// did not check out.
type printer struct {
	g      *globals
	o      parseOptions
	cw     *csv.Writer
	enc    *json.Encoder
	header bool     // the CSV header is written
	held   []string // documents printed with a problem
}

func parseOne(ctx context.Context, pr *printer, mapping *statements.Mapping, f string) error {
	o := pr.o
	if stream, err := streamable(f, o.format, o.streamAbove); err != nil {
		return err
	} else if stream {
		return streamTable(ctx, pr, mapping, f)
	}
	if info, err := os.Stat(f); err == nil && info.Size() > statements.MaxWholeFile {
		// Not read into memory at all: a bank file this large that is not
		// a table is a mistake or an attack.
		return ferry.Errorf(ferry.ClassDocumentChanged, f, "%w: %d MiB, the limit is %d MiB (CSV and XLSX exports of any size are read row by row)", statements.ErrFileTooLarge, info.Size()>>20, statements.MaxWholeFile>>20)
	}
	data, err := os.ReadFile(f)
	if err != nil {
		return err
	}
	doc, err := documents.Read(ctx, f, data, documents.Options{Format: o.format, Password: o.password, Mapping: mapping})
	if err != nil {
		return err
	}
	if doc.Kind == documents.KindInvoice {
		pr.invoice(f, doc.Invoice)
		return nil
	}
	for _, st := range doc.Statements {
		if err := pr.statement(f, st, len(st.Lines), st.Reconcile(), memoryLines(st)); err != nil {
			return err
		}
	}
	return nil
}

// lineSource hands a statement's lines to yield in order, as records with
// their dedup keys: from memory, or from a spool file for a streamed table.
type lineSource func(yield func(storage.LineRecord) error) error

// memoryLines is the lineSource of a statement held in memory.
func memoryLines(st ferry.Statement) lineSource {
	return func(yield func(storage.LineRecord) error) error {
		keys := st.DedupKeys()
		for i, l := range st.Lines {
			if err := yield(storage.NewLineRecord(0, keys[i], l)); err != nil {
				return err
			}
		}
		return nil
	}
}

// printStatement prints a statement of n lines. recErr is its reconciling
// verdict (nil: it reconciles, or it states no balances).
func (pr *printer) statement(f string, st ferry.Statement, n int, recErr error, lines lineSource) error {
	g, o, cw := pr.g, pr.o, pr.cw
	if recErr != nil {
		pr.held = append(pr.held, fmt.Sprintf("%s (account %s)", f, st.Account))
	}
	switch {
	case o.asJSON:
		out := map[string]any{"type": "statement", "file": f, "id": st.ID, "account": st.Account, "name": st.Name, "currency": st.Currency,
			"from": st.From, "to": st.To, "balances_stated": !st.NoBalances}
		// Without stated balances there is nothing to reconcile: no
		// opening or closing is printed, and no verdict.
		if !st.NoBalances {
			out["opening"], out["closing"] = st.Opening.StringFixed(2), st.Closing.StringFixed(2)
			out["reconciles"] = recErr == nil
		}
		if recErr != nil {
			out["problem"] = recErr.Error()
		}
		if len(st.Notes) > 0 {
			out["notes"] = st.Notes
		}
		if len(st.Warnings) > 0 {
			out["warnings"] = st.Warnings
		}
		// The lines go last, written one by one: a streamed statement's
		// lines are never all in memory.
		var buf bytes.Buffer
		be := json.NewEncoder(&buf)
		be.SetEscapeHTML(false)
		if err := be.Encode(out); err != nil {
			return err
		}
		head := bytes.TrimRight(buf.Bytes(), "}\n")
		w := bufio.NewWriter(g.stdout)
		w.Write(head)
		w.WriteString(`,"lines":[`)
		first := true
		err := lines(func(r storage.LineRecord) error {
			buf.Reset()
			if err := be.Encode(r); err != nil {
				return err
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			_, err := w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
			return err
		})
		if err != nil {
			return err
		}
		w.WriteString("]}\n")
		if err := w.Flush(); err != nil {
			return err
		}
	case o.asCSV:
		if !pr.header {
			_ = cw.Write([]string{"dedup_key", "account", "booking_date", "value_date", "amount", "currency", "counterparty", "description", "reference", "transaction_id", "balance_after"})
			pr.header = true
		}
		err := lines(func(r storage.LineRecord) error {
			return cw.Write([]string{r.DedupKey, r.Account, r.BookingDate, r.ValueDate, r.Amount, r.Currency, r.Counterparty, r.Description, r.Reference, r.TransactionID, r.BalanceAfter})
		})
		if err != nil {
			return err
		}
	default:
		balances := "no balances stated"
		if !st.NoBalances {
			balances = fmt.Sprintf("opening %s, closing %s", st.Opening.StringFixed(2), st.Closing.StringFixed(2))
		}
		fmt.Fprintf(g.stdout, "%s: account %s (%s) %s, %s to %s, %s, %d lines\n", f, st.Account, st.Name, st.Currency, st.From, st.To, balances, n)
		w := bufio.NewWriter(g.stdout)
		err := lines(func(r storage.LineRecord) error {
			ref := r.TransactionID
			if ref == "" {
				ref = r.Reference
			}
			_, err := fmt.Fprintf(w, "  %s %14s %s  %-30s %-28s %s\n", r.BookingDate, r.Amount, r.Currency, r.Counterparty, r.Description, ref)
			return err
		})
		if err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if recErr != nil && !o.asJSON {
		fmt.Fprintf(g.stderr, "%s: %v\n", f, recErr)
	}
	if !o.asJSON {
		for _, n := range st.Notes {
			fmt.Fprintf(g.stderr, "%s: note: %s\n", f, n)
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(g.stderr, "%s: warning: %s\n", f, w)
		}
	}
	return nil
}

func (pr *printer) invoice(f string, inv ferry.Invoice) {
	g, o, cw, enc := pr.g, pr.o, pr.cw, pr.enc
	chk := inv.Check()
	if chk != nil {
		pr.held = append(pr.held, fmt.Sprintf("%s (invoice %s)", f, inv.Number))
	}
	switch {
	case o.asJSON:
		items := make([]map[string]any, len(inv.Items))
		for i, it := range inv.Items {
			m := map[string]any{"name": it.Name, "spec": it.Spec, "unit": it.Unit,
				"amount": it.Amount.StringFixed(2), "tax_rate": it.TaxRate, "tax": it.Tax.StringFixed(2)}
			// Figures the invoice leaves blank are absent, never 0.
			if it.QuantityStated {
				m["quantity"] = it.Quantity.String()
			}
			if it.PriceStated {
				m["unit_price"] = it.UnitPrice.String()
			}
			if it.TaxPrinted != "" {
				m["tax_printed"] = it.TaxPrinted
			}
			if inv.Toll {
				m["plate"], m["vehicle_type"], m["pass_from"], m["pass_to"] = it.Plate, it.VehicleType, it.PassFrom, it.PassTo
			}
			items[i] = m
		}
		out := map[string]any{"type": "invoice", "file": f, "dedup_key": inv.DedupKey(), "kind": inv.Kind, "code": inv.Code, "number": inv.Number,
			"issue_date": inv.IssueDate, "check_code": inv.CheckCode, "machine_no": inv.MachineNo,
			"buyer_name": inv.BuyerName, "buyer_tax_id": inv.BuyerTaxID, "seller_name": inv.SellerName, "seller_tax_id": inv.SellerTaxID,
			"amount": inv.Amount.StringFixed(2), "tax": inv.Tax.StringFixed(2), "total": inv.Total.StringFixed(2),
			"total_in_words": inv.TotalInWords, "currency": inv.Currency, "red": inv.Red, "toll": inv.Toll,
			"consistent": chk == nil, "items": items}
		if inv.TaxPrinted != "" {
			out["tax_printed"] = inv.TaxPrinted
		}
		if len(inv.Flags) > 0 {
			out["flags"] = inv.Flags
		}
		if len(inv.Notes) > 0 {
			out["notes"] = inv.Notes
		}
		if chk != nil {
			out["problem"] = chk.Error()
		}
		_ = enc.Encode(out)
	case o.asCSV:
		for _, it := range inv.Items {
			_ = cw.Write([]string{inv.Number, it.Name, it.Spec, it.Unit, stated(it.QuantityStated, it.Quantity.String()), stated(it.PriceStated, it.UnitPrice.String()), it.Amount.StringFixed(2), it.TaxRate, it.Tax.StringFixed(2)})
		}
	default:
		fmt.Fprintf(g.stdout, "%s: %s %s %s, %s, seller %s (%s), buyer %s (%s), amount %s + tax %s = %s %s\n", f, inv.Kind, inv.Code, inv.Number, inv.IssueDate,
			inv.SellerName, inv.SellerTaxID, inv.BuyerName, inv.BuyerTaxID, inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.Total.StringFixed(2), inv.TotalInWords)
		for _, it := range inv.Items {
			fmt.Fprintf(g.stdout, "  %-30s %-10s %-4s %8s × %12s = %12s  %5s  %10s\n", it.Name, it.Spec, it.Unit, stated(it.QuantityStated, it.Quantity.String()), stated(it.PriceStated, it.UnitPrice.String()), it.Amount.StringFixed(2), it.TaxRate, it.Tax.StringFixed(2))
		}
	}
	if !o.asJSON {
		if chk != nil {
			fmt.Fprintf(g.stderr, "%s: %v\n", f, chk)
		}
		for _, n := range inv.Notes {
			fmt.Fprintf(g.stderr, "%s: note: %s\n", f, n)
		}
	}
}

// stated prints a figure the document printed, or "" for one it left blank.
func stated(ok bool, v string) string {
	if !ok {
		return ""
	}
	return v
}

// runTemplates extracts fields with invoice2data-format templates: the
// first template whose keywords match (highest priority first).
func runTemplates(ctx context.Context, g *globals, o parseOptions, files []string) error {
	ts, problems, err := templates.LoadDir(o.templates)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	for _, p := range problems {
		fmt.Fprintln(g.stderr, "ferry: skipping template:", p)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		text := string(data)
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			doc, err := pdftext.OpenContext(ctx, data, o.password)
			if err != nil {
				return ferry.Errorf(ferry.ClassDocumentChanged, f, "%v", err)
			}
			var b strings.Builder
			for i := 1; i <= doc.NumPages(); i++ {
				p, err := doc.Page(i)
				if err != nil {
					return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: page %d", f, i), "%v", err)
				}
				b.WriteString(p.Layout())
				b.WriteString("\f")
			}
			// Filled-in form fields are not page text; templates see them
			// as "name: value" lines after the pages.
			fields, err := doc.FormFields()
			if err != nil {
				return ferry.Errorf(ferry.ClassDocumentChanged, f, "%v", err)
			}
			for _, fl := range fields {
				fmt.Fprintf(&b, "%s: %s\n", fl.Name, fl.Value)
			}
			text = b.String()
		}
		matched := templates.Match(ts, text)
		if len(matched) == 0 {
			return ferry.Errorf(ferry.ClassDocumentChanged, f, "no template in %s matches", o.templates)
		}
		res, err := matched[0].Extract(text)
		if err != nil {
			return ferry.Errorf(ferry.ClassDocumentChanged, f, "%v", err)
		}
		res["file"] = f
		b, err := res.ToJSON()
		if err != nil {
			return err
		}
		fmt.Fprintln(g.stdout, string(b))
	}
	return nil
}
