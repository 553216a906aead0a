package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/storage"
)

// The declared-download tests store artifacts with what a script's
// download step declared, and call ingest directly: no browser.

// declared is one download: its bytes, format, account and declaration.
type declared struct {
	name, format, account string
	data                  []byte
	decl                  scripts.Declaration
}

func storeDeclared(t *testing.T, db *storage.DB, files ...declared) (ferry.RunRecord, []stored) {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, f := range files {
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: id, Kind: "download", Name: f.name, Account: f.account, Format: f.format}, f.data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stored{artifact: a, decl: f.decl})
	}
	run, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run, out
}

const euroMapping = `columns:
  booking_date: Buchungstag
  value_date: Valuta
  amount: Betrag
  balance: Saldo
  counterparty: Auftraggeber/Empfänger
  description: Verwendungszweck
  reference: Referenz
date_format: "02.01.2006"
decimal_separator: ","
currency: EUR
`

const euroCSV = "Kontoauszug;Girokonto\n\nBuchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Referenz;Betrag;Saldo\n" +
	"01.10.2026;01.10.2026;Stadtwerke Köln;Strom Oktober;R-1001;-84,20;1.915,80\n" +
	"02.10.2026;03.10.2026;ACME GmbH;Rechnung 4711;R-1002;2.500,00;4.415,80\n" +
	"05.10.2026;05.10.2026;Miete;Büro Oktober;R-1003;-1.200,00;3.215,80\n"

// TestIngestFileOnlyStoresNoRecords: downloads declared as file stay the
// run's artifacts; nothing is parsed, nothing stored as a record.
func TestIngestFileOnlyStoresNoRecords(t *testing.T) {
	t.Parallel()
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	run, files := storeDeclared(t, db,
		declared{name: "report.zip", format: "zip", data: []byte("PK\x03\x04 not a statement"), decl: scripts.Declaration{As: scripts.AsFile}},
		declared{name: "notes.pdf", format: "pdf", data: []byte("%PDF-1.4 nothing"), decl: scripts.Declaration{As: scripts.AsFile}})
	sum, err := r.ingest(context.Background(), run, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Statements != 0 || sum.Lines != 0 {
		t.Fatalf("summary %+v, want nothing parsed", sum)
	}
	if keys := storedKeys(t, db); len(keys) != 0 {
		t.Fatalf("stored %d records", len(keys))
	}
	arts, err := db.Artifacts(context.Background(), run.ID)
	if err != nil || len(arts) != 2 {
		t.Fatalf("artifacts %+v, %v", arts, err)
	}
}

// TestIngestMappedStatement: a CSV no header vocabulary reads alone is
// read with the script's mapping, for the account the script gave.
func TestIngestMappedStatement(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mp := filepath.Join(dir, "bank.yaml")
	if err := os.WriteFile(mp, []byte(euroMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	db := openIngestDB(t, "")
	r := ingestRunner(db, dir)
	const account = "DE89370400440532013000"
	run, files := storeDeclared(t, db, declared{name: "export.csv", format: "csv", account: account, data: []byte(euroCSV),
		decl: scripts.Declaration{As: scripts.AsStatement, MappingPath: mp}})
	sum, err := r.ingest(context.Background(), run, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Statements != 1 || sum.Lines != 3 || sum.NewLines != 3 || sum.Held != 0 {
		t.Fatalf("summary %+v, want one statement of 3 new lines", sum)
	}
	rows, err := db.Statements(context.Background(), run.ID)
	if err != nil || len(rows) != 1 || rows[0].Account != account || rows[0].Currency != "EUR" || rows[0].Closing != "3215.8" {
		t.Fatalf("statements %+v, %v", rows, err)
	}
}

// TestIngestDeclaredFormatMustMatch: a file whose content is another
// format than the script declares is a changed document, named.
func TestIngestDeclaredFormatMustMatch(t *testing.T) {
	t.Parallel()
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	st := october(t)
	run, files := storeDeclared(t, db, declared{name: "statement.pdf", format: "pdf", account: acct, data: render(t, file{"csv", st}),
		decl: scripts.Declaration{As: scripts.AsStatement}})
	_, err := r.ingest(context.Background(), run, files, nil)
	if ferry.ClassOf(err) != ferry.ClassDocumentChanged || !strings.Contains(err.Error(), "statement.pdf") || !strings.Contains(err.Error(), "declares a pdf statement, the file is csv") {
		t.Fatalf("got %v", err)
	}
}

// TestIngestDeclaredInvoices: downloads declared as: invoice go to the
// invoice ingest, not the statements': a real OFD whose download names its
// direction (the script's account: issued) is stored as one invoice, and a
// statement declared as an invoice is refused, naming the file.
func TestIngestDeclaredInvoices(t *testing.T) {
	t.Parallel()
	ofd, err := os.ReadFile("../einvoice/testdata/real/easyofd/ofd2.ofd")
	if err != nil {
		t.Fatal(err)
	}
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	inv := scripts.Declaration{As: scripts.AsInvoice}
	ctx := context.Background()
	run, files := storeDeclared(t, db, declared{name: "ofd2.ofd", format: "ofd", account: "issued", data: ofd, decl: inv})
	sum, err := r.ingest(ctx, run, files, nil)
	if err != nil {
		t.Fatalf("got %v", err)
	}
	if sum.Statements != 0 || sum.Lines != 0 {
		t.Fatalf("an invoice was read as a statement: %+v", sum)
	}
	rows, err := db.Invoices(ctx, ferry.InvoiceFilter{})
	if err != nil || len(rows) != 1 || rows[0].Invoice.Number != "25924000000001260164" || rows[0].Direction != ferry.InvoiceIssued {
		t.Fatalf("stored invoices: %+v %v", rows, err)
	}
	run, files = storeDeclared(t, db, declared{name: "not-an-invoice.pdf", format: "pdf", account: "issued", data: render(t, file{"pdf", october(t)}), decl: inv})
	_, err = r.ingest(ctx, run, files, nil)
	if err == nil || !strings.Contains(err.Error(), "not-an-invoice.pdf") {
		t.Fatalf("got %v", err)
	}
}
