package documents

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// corpusFiles lists the shared corpus's documents (not its expected
// outputs, templates or READMEs) under dir.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	root := testenv.Corpus(t, dir)
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "templates" {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yml", ".yaml", ".json", ".md", ".txt_expected":
			return nil
		}
		if strings.EqualFold(d.Name(), "README") || strings.HasPrefix(d.Name(), "LICENSE") {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no files under %s", root)
	}
	return out
}

// Every document of the shared corpus is told invoice or statement by its
// content alone, whatever its name.
func TestCorpusKinds(t *testing.T) {
	t.Parallel()
	for dir, want := range map[string]Kind{
		"cn-einvoice": KindInvoice,
		"mt940":       KindStatement,
		"camt":        KindStatement,
		"ofx":         KindStatement,
		"bai2":        KindStatement,
	} {
		for _, f := range corpusFiles(t, dir) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// A neutral name: the content decides.
			if got, _, _ := sniff(context.Background(), "download", data, ""); got != want {
				t.Errorf("%s: got %s, want %s", f, got, want)
			}
		}
	}
}

// Chinese VAT e-invoices read as invoices without --format; English
// invoices of other issuers are refused with a pointer to templates.
func TestInvoicesWithoutFormat(t *testing.T) {
	t.Parallel()
	for _, f := range corpusFiles(t, "cn-einvoice") {
		data, _ := os.ReadFile(f)
		doc, err := Read(context.Background(), f, data, Options{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if doc.Kind != KindInvoice || doc.Invoice.Number == "" {
			t.Errorf("%s: got kind %s number %q, want an invoice with its number", f, doc.Kind, doc.Invoice.Number)
		}
	}
	for _, f := range corpusFiles(t, "invoice2data/compare") {
		if filepath.Ext(f) != ".pdf" {
			continue
		}
		data, _ := os.ReadFile(f)
		_, err := Read(context.Background(), f, data, Options{})
		var nr *NoReaderError
		if !errors.As(err, &nr) {
			t.Errorf("%s: got %v, want a NoReaderError", f, err)
			continue
		}
		if !strings.Contains(nr.Closest, "invoice") || !strings.Contains(nr.Hint, "--template") {
			t.Errorf("%s: got closest %q hint %q, want the invoice reader and --template", f, nr.Closest, nr.Hint)
		}
	}
}

// A table that no reader understands names the closest reader and points
// to a mapping.
func TestUnknownTableSuggestsMapping(t *testing.T) {
	t.Parallel()
	data := []byte("foo;bar;baz\n1;2;3\n4;5;6\n")
	_, err := Read(context.Background(), "export.csv", data, Options{})
	var nr *NoReaderError
	if !errors.As(err, &nr) {
		t.Fatalf("got %v, want a NoReaderError", err)
	}
	if !strings.Contains(err.Error(), "--mapping") || !strings.Contains(err.Error(), "ferry mapping suggest export.csv") || !strings.Contains(err.Error(), "export.csv") {
		t.Fatalf("got %q, want the file, --mapping and ferry mapping suggest", err)
	}
}

// A card bill is headed "Rechnung" (Cembra's Certo! One Mastercard): the
// words of its balances make it a statement, so that when the statement
// reader fails, it, not the invoice reader, is named the closest.
func TestCardBillIsNoInvoice(t *testing.T) {
	t.Parallel()
	bill := "Rechnung Certo! One Mastercard World\nSaldovortrag letzte Rechnung CHF 206.85\nVerbucht am Beschreibung Gutschrift CHF Belastung CHF\n"
	if looksLikeOtherInvoice(bill) {
		t.Errorf("a card bill with Saldovortrag and Verbucht am reads as an invoice")
	}
	if !looksLikeOtherInvoice("Rechnung Nr. 2025-117\nRechnungsdatum 23.10.2025\nMenge Artikel Preis\n") {
		t.Errorf("an invoice no longer reads as one")
	}
}

// A file whose format detection finds nothing names no reader ("the
// closest was the  statement reader"), and an Excel 97-2003 workbook says
// what to do.
func TestNoReaderNamesAReaderOrNone(t *testing.T) {
	t.Parallel()
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)
	_, err := Read(context.Background(), "old.xls", ole, Options{})
	if err == nil || !strings.Contains(err.Error(), "old.xls: Excel 97-2003 .xls is not supported; save as .xlsx or CSV") {
		t.Errorf("got %v, want the .xls advice", err)
	}
	e := &NoReaderError{File: "x.bin", Err: errors.New("unrecognised"), Hint: "pass --format"}
	if msg := e.Error(); strings.Contains(msg, "  ") || !strings.Contains(msg, "not supported") {
		t.Errorf("got %q, want no empty reader name and the format said to be unsupported", msg)
	}
}
