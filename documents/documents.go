// Package documents tells what a downloaded or given file is, a bank
// statement or an invoice, by its content, and hands it to the reader for
// its format. When no reader fits, the error names the reader that came
// closest and what to pass instead (a format, a column mapping or invoice
// templates). It is pure: bytes in, records out.
package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/ferry-rpa/ferry/statements"
)

// Kind says what a document is.
type Kind string

// The kinds of document Ferry reads.
const (
	KindStatement Kind = "statement"
	KindInvoice   Kind = "invoice"
)

// FormatInvoice is the format name that forces the invoice reader.
const FormatInvoice = "invoice"

// Options adjust reading.
type Options struct {
	// Format forces a reader: a statement format (xlsx, csv, pdf, camt,
	// mt940, ofx, bai2) or "invoice". Empty detects it from the content.
	Format   string
	Password string // of an encrypted PDF
	// Mapping reads a bank's table export with a column mapping.
	Mapping *statements.Mapping
}

// Document is a file read: its statements or its invoice.
type Document struct {
	Kind       Kind
	Format     string // the reader that read it
	Statements []ferry.Statement
	Invoice    ferry.Invoice
}

// NoReaderError reports a file that no reader could read. Closest names the
// reader that got furthest and Err is its complaint; Hint says what a
// person can pass instead.
type NoReaderError struct {
	File    string
	Closest string
	Err     error
	Hint    string
}

// Error implements error.
func (e *NoReaderError) Error() string {
	if e.Closest == "" {
		// Detection found no format at all: there is no closest reader.
		return fmt.Sprintf("no reader fits: the file's format is not supported: %v; %s", e.Err, e.Hint)
	}
	return fmt.Sprintf("no reader fits; the closest was the %s reader: %v; %s", e.Closest, e.Err, e.Hint)
}

// legacyXLSError reports an Excel 97-2003 workbook, which no reader reads.
type legacyXLSError struct{ err error }

func (e legacyXLSError) Error() string {
	return "Excel 97-2003 .xls is not supported; save as .xlsx or CSV"
}

func (e legacyXLSError) Unwrap() error { return e.err }

// Unwrap returns the closest reader's error.
func (e *NoReaderError) Unwrap() error { return e.Err }

// Read reads a file of any supported kind. Invoices are told from
// statements by content: an OFD package or a 全电 XML is an invoice; a PDF is
// an invoice when its first page carries a VAT invoice's fields.
func Read(ctx context.Context, name string, data []byte, o Options) (Document, error) {
	if o.Mapping != nil {
		st, err := statements.ParseMapped(name, data, o.Mapping)
		if err != nil {
			return Document{}, err
		}
		return Document{Kind: KindStatement, Format: "mapping", Statements: []ferry.Statement{st}}, nil
	}
	switch o.Format {
	case FormatInvoice:
		return readInvoice(ctx, name, data)
	case "":
	default:
		return readStatements(ctx, name, data, o, statements.Format(o.Format))
	}
	kind, format, foreign := sniff(ctx, name, data, o.Password)
	var first, second func() (Document, error)
	inv := func() (Document, error) { return readInvoice(ctx, name, data) }
	stm := func() (Document, error) { return readStatements(ctx, name, data, o, "") }
	if kind == KindInvoice {
		first, second = inv, stm
	} else {
		first, second = stm, inv
	}
	doc, err := first()
	if err == nil {
		return doc, nil
	}
	if ctx.Err() != nil || errors.Is(err, pdftext.ErrPassword) || errors.Is(err, pdftext.ErrTooLarge) {
		return Document{}, err
	}
	// The content pointed one way and that reader refused: a PDF may still
	// be the other kind (an invoice without the usual labels on page 1).
	if format == statements.PDF {
		doc2, err2 := second()
		if err2 == nil {
			return doc2, nil
		}
		if foreign {
			// It reads like an invoice: the invoice reader came closest.
			kind, err = KindInvoice, err2
		}
	}
	switch format {
	case statements.CAMT, statements.MT940, statements.OFX, statements.BAI2:
		// The content is that format beyond doubt: its reader's own error
		// says what is wrong with the file.
		return Document{}, err
	}
	return Document{}, noReader(name, kind, format, foreign, err)
}

// noReader wraps the closest reader's error with what to try instead.
func noReader(name string, kind Kind, format statements.Format, foreignInvoice bool, err error) error {
	if errors.Is(err, statements.ErrLegacyXLS) {
		return &ferry.Error{Class: ferry.ClassDocumentChanged, Where: name, Err: legacyXLSError{err}}
	}
	closest := string(format) + " statement"
	hint := "pass --format to choose a reader"
	switch {
	case format == "" && !foreignInvoice && kind != KindInvoice:
		closest = ""
		hint = "pass --format to choose a reader (csv, xlsx, pdf, camt, mt940, ofx, bai2), or --mapping FILE for a table export"

	case foreignInvoice:
		closest = "VAT e-invoice (" + string(format) + ")"
		hint = "the file reads like an invoice of an issuer Ferry has no built-in reader for: pass --template DIR (invoice2data templates)"
	case kind == KindInvoice:
		closest = "VAT e-invoice (" + string(format) + ")"
		hint = "for invoices of other issuers pass --template DIR (invoice2data templates); --format to choose a reader"
	case format == statements.CSV || format == statements.XLSX:
		hint = "describe the table with --mapping FILE (ferry mapping suggest " + name + " writes one to review), or pass --format"
	case format == statements.PDF:
		hint = "a PDF invoice of another issuer reads with --template DIR; a statement layout Ferry does not know needs --format or a report"
	}
	var fe *ferry.Error
	where, inner := name, err
	if errors.As(err, &fe) {
		where, inner = fe.Where, fe.Err
	}
	return &ferry.Error{Class: ferry.ClassDocumentChanged, Where: where, Err: &NoReaderError{File: name, Closest: closest, Err: inner, Hint: hint}}
}

func readInvoice(ctx context.Context, name string, data []byte) (Document, error) {
	inv, err := einvoice.Parse(ctx, name, data)
	if err != nil {
		return Document{}, err
	}
	return Document{Kind: KindInvoice, Format: FormatInvoice, Invoice: inv}, nil
}

func readStatements(ctx context.Context, name string, data []byte, o Options, f statements.Format) (Document, error) {
	if f == "" {
		var err error
		if f, err = statements.Detect(name, data); err != nil {
			return Document{}, err
		}
	}
	sts, err := statements.ParseWith(ctx, name, data, statements.Options{Format: f, Password: o.Password})
	if err != nil {
		return Document{}, err
	}
	return Document{Kind: KindStatement, Format: string(f), Statements: sts}, nil
}

// sniff tells the kind of a file from its content, and the statement
// format it would have. foreignInvoice is set for a PDF that reads like an
// invoice but not a Chinese VAT invoice: templates read those.
func sniff(ctx context.Context, name string, data []byte, password string) (kind Kind, f statements.Format, foreignInvoice bool) {
	head := data[:min(len(data), 4096)]
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		if zipHas(data, "OFD.xml") {
			return KindInvoice, "", false
		}
		return KindStatement, statements.XLSX, false
	case bytes.Contains(head, []byte("<EInvoice")):
		return KindInvoice, "", false
	case bytes.HasPrefix(data, []byte("%PDF-")):
		text := firstPageText(ctx, data, password)
		if einvoice.LooksLikeInvoice(text) {
			return KindInvoice, statements.PDF, false
		}
		return KindStatement, statements.PDF, looksLikeOtherInvoice(text)
	}
	f, _ = statements.Detect(name, data)
	return KindStatement, f, false
}

// invoiceWords and statementWords tell an invoice from a statement in the
// languages of the issuers Ferry meets, by whole words.
var (
	invoiceWords = regexp.MustCompile(`(?i)\b(invoice|tax invoice|rechnung|facture|factuur|fattura|factura|faktura|számla|bill to|invoice no|invoice date)\b`)
	// A card bill is headed "Rechnung" or "invoice" too: the words of
	// its balances and booking columns make it a statement (Cembra:
	// "Saldovortrag letzte Rechnung", "Verbucht am").
	statementWords = regexp.MustCompile(`(?i)\b(statement of account|account statement|bank statement|card statement|kontoauszug|relevé|rekeningafschrift|estratto conto|extracto|wyciąg|számlakivonat|opening balance|closing balance|balance brought forward|previous balance|new balance|saldovortrag|alter saldo|neuer saldo|verbucht am|buchungsdatum|kreditkartenabrechnung|solde précédent|nouveau solde|saldo precedente)\b|对账单|交易明细`)
)

func looksLikeOtherInvoice(text string) bool {
	return invoiceWords.MatchString(text) && !statementWords.MatchString(text)
}

// zipHas reports whether a ZIP archive's central directory or local
// headers name the file. OFD packages keep OFD.xml at their root.
func zipHas(data []byte, file string) bool {
	return bytes.Contains(data, []byte(file))
}

// firstPageText reads the first page's text only: enough to tell a VAT
// invoice, which carries its fields on page 1, from a statement. A PDF that
// cannot be read gives "": the reader then names the problem.
func firstPageText(ctx context.Context, data []byte, password string) string {
	doc, err := pdftext.OpenContext(ctx, data, password)
	if err != nil || doc.NumPages() == 0 {
		return ""
	}
	p, err := doc.Page(1)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, l := range p.Lines() {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}
