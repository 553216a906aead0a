package statements_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/statements"
	"golang.org/x/text/encoding/unicode"
)

const euroMapping = `bank: Example Sparkasse
columns:
  booking_date: Buchungstag
  value_date: Valuta
  amount: Betrag
  balance: Saldo
  counterparty: Auftraggeber/Empfänger
  description: Verwendungszweck
  reference: Referenz
date_format: "02.01.2006"
decimal_separator: ","
account: DE89370400440532013000
currency: EUR
`

const euroCSV = "Kontoauszug;Girokonto\n\nBuchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Referenz;Betrag;Saldo\n" +
	"01.10.2026;01.10.2026;Stadtwerke Köln;Strom Oktober;R-1001;-84,20;1.915,80\n" +
	"02.10.2026;03.10.2026;ACME GmbH;Rechnung 4711;R-1002;2.500,00;4.415,80\n" +
	"05.10.2026;05.10.2026;Miete;Büro Oktober;R-1003;-1.200,00;3.215,80\n" +
	"\nSumme;;;;;1.215,80;\n"

func writeMapping(t *testing.T, src string) *statements.Mapping {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bank.yaml")
	os.WriteFile(p, []byte(src), 0o644)
	m, err := statements.LoadMapping(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMappedEuropeanCSVInUTF16(t *testing.T) {
	t.Parallel()
	m := writeMapping(t, euroMapping)
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(euroCSV))
	st, err := statements.ParseMapped("export.csv", utf16, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Lines) != 3 || st.Account != "DE89370400440532013000" || st.Currency != "EUR" || st.From.String() != "2026-10-01" || st.To.String() != "2026-10-05" {
		t.Fatalf("got %+v", st)
	}
	l := st.Lines[1]
	if l.Amount.String() != "2500" || l.ValueDate.String() != "2026-10-03" || l.Counterparty != "ACME GmbH" || l.Reference != "R-1002" || l.BalanceAfter.String() != "4415.8" {
		t.Fatalf("line 2: %+v", l)
	}
	if st.Opening.String() != "2000" || st.Closing.String() != "3215.8" {
		t.Fatalf("derived balances %s .. %s, want 2000 .. 3215.8", st.Opening, st.Closing)
	}
	if err := st.Reconcile(); err != nil {
		t.Fatal(err)
	}
	// A wrong balance in the middle breaks the chain and is named.
	broken := strings.Replace(euroCSV, "4.415,80", "4.415,90", 1)
	st, err = statements.ParseMapped("export.csv", []byte(broken), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Reconcile(); err == nil || !strings.Contains(err.Error(), "line 2 (ref R-1002)") {
		t.Fatalf("broken chain: got %v", err)
	}
	// A bad amount names the line (CSV errors say "line", as ParseCSV's do).
	bad := strings.Replace(euroCSV, "-1.200,00", "-1.2x0,00", 1)
	if _, err := statements.ParseMapped("export.csv", []byte(bad), m); err == nil || !strings.Contains(err.Error(), "export.csv: line 6") {
		t.Fatalf("bad amount: got %v", err)
	}
}

func TestMappingErrorsAndLegacyXLS(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "m.yaml")
	// A mapping need not name every column (the rest is recognised), but
	// what it says must be coherent, and errors name the file and line.
	os.WriteFile(p, []byte("columns:\n  booking_date: Datum\n  amount: Betrag\n  debit: Soll\n  credit: Haben\n"), 0o644)
	if _, err := statements.LoadMapping(p); err == nil || !strings.Contains(err.Error(), p+":3: columns.amount") {
		t.Fatalf("got %v", err)
	}
	m := writeMapping(t, strings.Replace(euroMapping, "Saldo", "Kontostand", 1))
	if _, err := statements.ParseMapped("export.csv", []byte(euroCSV), m); err == nil || !strings.Contains(err.Error(), `no column "Kontostand"`) {
		t.Fatalf("missing column: got %v", err)
	}
	xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	for _, parse := range []func() error{
		func() error { _, err := statements.Parse(context.Background(), "old.xls", xls); return err },
		func() error { _, err := statements.ParseMapped("old.xls", xls, m); return err },
	} {
		if err := parse(); err == nil || !strings.Contains(err.Error(), "export the statement as .xlsx") || !strings.Contains(err.Error(), "old.xls") {
			t.Fatalf("xls: got %v", err)
		}
	}
}

// The sandbox's own CSV, re-encoded as UTF-16 with a byte-order mark,
// still parses to the same statement.
func TestCSVUTF16(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 4})
	want, _ := bank.Statement("6222021000010001", from, to)
	gb, _ := sandbox.RenderCSV(want)
	u8, _ := gbToUTF8(gb)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(u8)
	got, err := statements.ParseCSV("statement-utf16.csv", u16)
	if err != nil {
		t.Fatal(err)
	}
	if !statementsEqual(got, want) {
		t.Fatalf("UTF-16 CSV: got %s, want %s", summary(got), summary(want))
	}
}
