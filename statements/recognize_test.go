package statements_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func parseTable(t *testing.T, name string, data []byte, o statements.Options) ([]ferry.Statement, error) {
	t.Helper()
	return statements.ParseWith(context.Background(), name, data, o)
}

func mustMapping(t *testing.T, src string) *statements.Mapping {
	t.Helper()
	m, err := statements.ParseMapping("bank.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func amounts(st ferry.Statement) string {
	var out []string
	for _, l := range st.Lines {
		out = append(out, l.Amount.StringFixed(2))
	}
	return strings.Join(out, " ")
}

// Two Dutch banks' exports turned debits into credits with a mapping that
// looked right, because their sign is in a separate Af/Bij column. The
// sign column decides, with a mapping that names only the amount too.
func TestAfBijColumnDecidesTheSign(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/tables/ing_nl_comma.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := "-23.47 2750.00 -85.50 -1125.00 312.00 -1.95"
	for _, m := range []*statements.Mapping{nil, mustMapping(t, "columns:\n  booking_date: Datum\n  amount: Bedrag (EUR)\ndate_format: YYYYMMDD\ndecimal_separator: \",\"\n")} {
		sts, err := parseTable(t, "ing.csv", data, statements.Options{Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		if got := amounts(sts[0]); got != want {
			t.Errorf("mapping %v: amounts %s, want %s", m != nil, got, want)
		}
	}
	// A sign column value that is neither debit nor credit is an error.
	bad := bytes.Replace(data, []byte(`"Af","23,47"`), []byte(`"Xx","23,47"`), 1)
	if _, err := parseTable(t, "ing.csv", bad, statements.Options{}); err == nil || !strings.Contains(err.Error(), `"Xx" is neither a debit nor a credit`) || !strings.Contains(err.Error(), "ing.csv: line 2") {
		t.Fatalf("unknown sign: got %v", err)
	}
	// A mapping's own sign values replace the built-in ones.
	m := mustMapping(t, "columns:\n  sign: Af Bij\n  amount: Bedrag (EUR)\nsign:\n  debit: [Af]\n  credit: [Bij, Xx]\n")
	sts, err := parseTable(t, "ing.csv", bad, statements.Options{Mapping: m})
	if err != nil || !strings.HasPrefix(amounts(sts[0]), "23.47 ") {
		t.Fatalf("mapped sign values: %v %v", err, sts)
	}
}

// An amount column whose values are all positive, with nothing to confirm
// the signs, is flagged; a debit/credit split or a balance chain confirms.
func TestAllPositiveAmountsAreFlagged(t *testing.T) {
	t.Parallel()
	// Nothing says which amounts are debits: an error, never credits.
	csv := "Date,Description,Amount\n2024-01-03,Coffee,3.50\n2024-01-04,Rent,950.00\n2024-01-05,Books,20.00\n"
	_, err := parseTable(t, "positive.csv", []byte(csv), statements.Options{})
	if err == nil || !strings.Contains(err.Error(), "every amount in column 3 \"Amount\" is positive") || !strings.Contains(err.Error(), "--mapping") {
		t.Fatalf("got %v, want an error about the positive amounts", err)
	}
	// A mapping's author has seen the file: a warning.
	m := mustMapping(t, "columns:\n  booking_date: Date\n  amount: Amount\n")
	sts, err := parseTable(t, "positive.csv", []byte(csv), statements.Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(sts[0].Warnings, "\n"); !strings.Contains(w, "every amount in column 3 \"Amount\" is positive") {
		t.Fatalf("warnings: %q", w)
	}
	signed := strings.Replace(csv, "950.00", "-950.00", 1)
	sts, _ = parseTable(t, "signed.csv", []byte(signed), statements.Options{})
	if strings.Contains(strings.Join(sts[0].Warnings, "\n"), "positive") {
		t.Fatalf("a signed column is flagged: %q", sts[0].Warnings)
	}
}

// A balance column proves the signs wrong: an error naming the columns,
// in ParseWith and in Scan.
func TestSignsThatBreakTheBalanceChain(t *testing.T) {
	t.Parallel()
	// Every amount is a debit written unsigned: the balances fall.
	csv := "Buchungstag;Verwendungszweck;Betrag;Saldo\n02.01.2024;Miete;800,00;1.200,00\n03.01.2024;Strom;60,00;1.140,00\n05.01.2024;Kino;20,00;1.120,00\n"
	_, err := parseTable(t, "flipped.csv", []byte(csv), statements.Options{})
	for _, want := range []string{`column 3 "Betrag"`, `column 4 "Saldo"`, "opposite signs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want it to name %s", err, want)
		}
	}
	if ferry.ClassOf(err) != ferry.ClassDocumentChanged {
		t.Fatalf("class %s", ferry.ClassOf(err))
	}
	_, _, err = statements.Scan(context.Background(), "flipped.csv", strings.NewReader(csv), int64(len(csv)), statements.Options{}, func(ferry.StatementLine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "opposite signs") || !strings.Contains(err.Error(), "flipped.csv: line 3") {
		t.Fatalf("scan: got %v", err)
	}
	// A wrong balance that no sign explains: Scan stops at the row
	// (validation failed); ParseWith keeps the statement for Reconcile.
	broken := "Buchungstag;Verwendungszweck;Betrag;Saldo\n02.01.2024;Miete;-800,00;1.200,00\n03.01.2024;Gehalt;2.500,00;3.700,00\n05.01.2024;Strom;-60,00;3.650,00\n"
	_, _, err = statements.Scan(context.Background(), "broken.csv", strings.NewReader(broken), int64(len(broken)), statements.Options{}, func(ferry.StatementLine) error { return nil })
	if ferry.ClassOf(err) != ferry.ClassValidationFailed || !errors.Is(err, ferry.ErrUnreconciled) || !strings.Contains(err.Error(), "broken.csv: line 4") {
		t.Fatalf("scan of a broken chain: got %v", err)
	}
	sts, err := parseTable(t, "broken.csv", []byte(broken), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sts[0].Reconcile(); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("reconcile: got %v", err)
	}
}

// Ambiguities that content cannot settle are errors that say what to set.
func TestAmbiguityIsAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv, want string
	}{
		{"dates", "Date,Description,Amount\n01/02/2024,A,-1.50\n02/03/2024,B,2.00\n", "cannot tell day-first from month-first dates"},
		{"decimal", "Datum;Omschrijving;Bedrag\n2024-01-02;A;-1.250\n2024-01-03;B;2.500\n", "cannot tell the decimal mark"},
		{"mixed marks", "Date,Description,Amount\n2024-01-02,A,\"1,250.00\"\n2024-01-03,B,\"2.500,00\"\n", "as the decimal mark"},
		{"mixed date orders", "Date,Description,Amount\n13/01/2024,A,1.00\n01/13/2024,B,2.00\n", "both day-first"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseTable(t, "amb.csv", []byte(tc.csv), statements.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// The same dates with a mapping's date_format, or Options.DateOrder.
	m := mustMapping(t, "date_format: DD/MM/YYYY\n")
	sts, err := parseTable(t, "amb.csv", []byte(tests[0].csv), statements.Options{Mapping: m})
	if err != nil || sts[0].Lines[0].BookingDate.String() != "2024-02-01" {
		t.Fatalf("with date_format: %v %v", err, sts)
	}
	sts, err = parseTable(t, "amb.csv", []byte(tests[0].csv), statements.Options{DateOrder: "MDY"})
	if err != nil || sts[0].Lines[0].BookingDate.String() != "2024-01-02" {
		t.Fatalf("with DateOrder: %v %v", err, sts)
	}
	m = mustMapping(t, "decimal_separator: \".\"\n")
	sts, err = parseTable(t, "amb.csv", []byte(tests[1].csv), statements.Options{Mapping: m})
	if err != nil || amounts(sts[0]) != "-1.25 2.50" {
		t.Fatalf("with decimal_separator: %v %v", err, sts)
	}
}

// An unknown table names what it could not place and how to go on.
func TestUnknownTableSuggestsAMapping(t *testing.T) {
	t.Parallel()
	for _, csv := range []string{
		"Datum;Text\n02.01.2024;Markt\n",                             // no amount
		"Tarih;Açıklama;Tutar;Borç\n02.01.2024;Market;-12,50;1,00\n", // two amounts, no header word, no balance chain
	} {
		_, err := parseTable(t, "unknown.csv", []byte(csv), statements.Options{})
		if err == nil || !strings.Contains(err.Error(), "--mapping") || !strings.Contains(err.Error(), `ferry mapping suggest "unknown.csv"`) || ferry.ClassOf(err) != ferry.ClassDocumentChanged {
			t.Fatalf("got %v", err)
		}
	}
	_, err := parseTable(t, "unknown.csv", []byte("Datum;Betrag;Foo\n02.01.2024;abc;x\n"), statements.Options{})
	if err == nil || !strings.Contains(err.Error(), `could not place column 2 "Betrag"`) {
		t.Fatalf("got %v", err)
	}
	// A header outside the vocabulary over unmistakable content parses,
	// with a warning to check the placement.
	sts, err := parseTable(t, "tr.csv", []byte("Tarih;Açıklama;Tutar\n02.01.2024;Market;-12,50\n14.01.2024;Maaş;1.500,00\n"), statements.Options{})
	if err != nil || amounts(sts[0]) != "-12.50 1500.00" || !strings.Contains(strings.Join(sts[0].Warnings, "\n"), "not in Ferry's vocabulary") {
		t.Fatalf("got %v %v", err, sts)
	}
}

// Mapping errors name the file, the line and the key.
func TestMappingErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ yaml, want string }{
		{"bank: x\ndecimal_separator: \";\"\n", "m.yaml:2: decimal_separator"},
		{"columns:\n  amount: Betrag\n  debit: Soll\n  credit: Haben\n", "m.yaml:2: columns.amount"},
		{"columns:\n  debit: Soll\n", "m.yaml:2: columns.debit"},
		{"header: false\ncolumns:\n  booking_date: Datum\n", "m.yaml:3: columns.booking_date"},
		{"encoding: klingon\n", "m.yaml:1: encoding"},
		{"account:\n  cell: 12\n", "m.yaml:2: account.cell"},
		{"account:\n  file_name: \"[a-z]+\"\n", "m.yaml:2: account.file_name"},
		{"sign:\n  debit: [D, X]\n  credit: [C, x]\n", "m.yaml:1: sign"},
		{"columns:\n  amount: Betrag\n  nonsense: 3\n", "line 3: field nonsense not found"},
		{"hidden_rows: maybe\n", "m.yaml:1: hidden_rows"},
		{"date_format: whenever\n", "m.yaml:1: date_format"},
	}
	for _, tc := range tests {
		_, err := statements.ParseMapping("m.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// A mapped header the file lacks names the key and the column.
	m := mustMapping(t, "columns:\n  booking_date: Datum\n  amount: Betrag\n  balance: Kontostand\n")
	_, err := parseTable(t, "x.csv", []byte("Datum;Betrag;Saldo\n02.01.2024;1,00;2,00\n"), statements.Options{Mapping: m})
	if err == nil || !strings.Contains(err.Error(), `"Kontostand"`) || !strings.Contains(err.Error(), "bank.yaml:4: columns.balance") {
		t.Fatalf("got %v", err)
	}
}

// A statement that states no balances says so: no invented 0.00 and no
// reconciliation.
func TestNoBalancesStated(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("testdata/tables/unicredit_it.csv")
	sts, err := parseTable(t, "u.csv", data, statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if !st.NoBalances || len(st.Balances) != 0 || !st.Opening.IsZero() || !st.Closing.IsZero() {
		t.Fatalf("got NoBalances=%v balances=%v", st.NoBalances, st.Balances)
	}
}

// Opening and closing balance rows inside the table are balances, and a
// table that states an opening balance without a closing one is truncated.
func TestBalanceRowsInsideTheTable(t *testing.T) {
	t.Parallel()
	csv := "Data contabile;Data valuta;Descrizione;Accrediti;Addebiti\n" +
		";;SALDO INIZIALE;1.000,00;\n" +
		"03/04/2024;03/04/2024;PAGAMENTO POS ESSELUNGA;;54,30\n" +
		"15/04/2024;15/04/2024;BONIFICO DA ROSSI;850,00;\n" +
		";;SALDO FINALE;1.795,70;\n" +
		"Totale;;;850,00;54,30\n"
	sts, err := parseTable(t, "intesa.csv", []byte(csv), statements.Options{Account: "IT60X0542811101000000123456"})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if st.NoBalances || st.Opening.StringFixed(2) != "1000.00" || st.Closing.StringFixed(2) != "1795.70" || amounts(st) != "-54.30 850.00" || st.Account != "IT60X0542811101000000123456" {
		t.Fatalf("got %s %s..%s %s", st.Account, st.Opening, st.Closing, amounts(st))
	}
	if err := st.Reconcile(); err != nil {
		t.Fatal(err)
	}
	// Scan checks opening + lines = closing.
	bad := strings.Replace(csv, "1.795,70", "1.795,80", 1)
	_, _, err = statements.Scan(context.Background(), "intesa.csv", strings.NewReader(bad), int64(len(bad)), statements.Options{}, func(ferry.StatementLine) error { return nil })
	if ferry.ClassOf(err) != ferry.ClassValidationFailed || !strings.Contains(err.Error(), "closing balance is 1795.80") {
		t.Fatalf("scan: got %v", err)
	}
	cut := csv[:strings.Index(csv, ";;SALDO FINALE")]
	if _, err := parseTable(t, "cut.csv", []byte(cut), statements.Options{}); err == nil || !strings.Contains(err.Error(), "may be truncated") {
		t.Fatalf("truncated: got %v", err)
	}
}

// XLSX exports with typed cells: Intesa Sanpaolo's balance rows and
// credit/debit columns, BBVA's newest-first list with its running
// "Disponible" balance, written with excelize as those banks' portals do.
func TestXLSXExports(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2024, 4, d, 0, 0, 0, 0, time.UTC) }
	intesa := [][]any{
		{"Intesa Sanpaolo - Lista movimenti"},
		{"Conto", "IT60 X054 2811 1010 0000 0123 456"},
		{},
		{"Data contabile", "Data valuta", "Descrizione", "Accrediti", "Addebiti", "Descrizione estesa"},
		{nil, nil, "SALDO INIZIALE", 2500.0},
		{day(2), day(2), "Pagamento POS", nil, 54.3, "PAGAMENTO POS 54,30 EUR DEL 31.03.2024 ESSELUNGA"},
		{day(10), day(10), "Bonifico in entrata", 1850.0, nil, "BONIFICO DA ROSSI MARIO STIPENDIO"},
		{day(18), day(17), "Addebito SDD", nil, 97.15, "ENEL ENERGIA FATTURA 0042"},
		{nil, nil, "SALDO FINALE", 4198.55},
	}
	bbva := [][]any{
		{"F.Valor", "Fecha", "Concepto", "Movimiento", "Importe", "Divisa", "Disponible", "Divisa", "Observaciones"},
		{day(20), day(20), "Mercadona", "Pago con tarjeta", -45.1, "EUR", 1712.4, "EUR", "4B1234"},
		{day(15), day(15), "Nómina abril", "Transferencia recibida", 1900.0, "EUR", 1757.5, "EUR", ""},
		{day(3), day(2), "Recibo Iberdrola", "Adeudo domiciliado", -142.5, "EUR", -142.5, "EUR", ""},
	}
	tests := []struct {
		name    string
		rows    [][]any
		amounts string
		open    string
		close   string
		account string
	}{
		{"intesa.xlsx", intesa, "-54.30 1850.00 -97.15", "2500.00", "4198.55", "IT60X0542811101000000123456"},
		{"bbva.xlsx", bbva, "-142.50 1900.00 -45.10", "0.00", "1712.40", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := writeXLSX(t, tc.rows)
			sts, err := parseTable(t, tc.name, data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := sts[0]
			if got := amounts(st); got != tc.amounts || st.Opening.StringFixed(2) != tc.open || st.Closing.StringFixed(2) != tc.close || st.Account != tc.account {
				t.Fatalf("got %s %s..%s %q, want %s %s..%s %q\n%s", got, st.Opening.StringFixed(2), st.Closing.StringFixed(2), st.Account, tc.amounts, tc.open, tc.close, tc.account, renderStatements(sts))
			}
			if err := st.Reconcile(); err != nil {
				t.Fatal(err)
			}
			n := 0
			if _, _, err := statements.Scan(context.Background(), tc.name, bytes.NewReader(data), int64(len(data)), statements.Options{}, func(ferry.StatementLine) error { n++; return nil }); err != nil || n != len(st.Lines) {
				t.Fatalf("scan: %d lines, %v", n, err)
			}
		})
	}
}

func writeXLSX(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	moneyStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 4})
	for i, r := range rows {
		for j, v := range r {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			switch v.(type) {
			case time.Time:
				f.SetCellStyle("Sheet1", cell, cell, dateStyle)
			case float64:
				f.SetCellStyle("Sheet1", cell, cell, moneyStyle)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every encoding is detected by content, and umlaut, accented and Chinese
// headers are matched after decoding.
func TestEncodingsByContent(t *testing.T) {
	t.Parallel()
	german := "Buchungstag;Empfänger;Verwendungszweck;Betrag;Währung\n02.01.2024;Bäckerei Größe;Brötchen für Jürgen;-4,80;EUR\n03.01.2024;Straßenbahn;Fahrkarte „Süd“ – 2. Klasse;-2,90;EUR\n"
	euro := "Data;Descrizione;Importo\n02/01/2024;Caffè e cornetto 1,50 € più mancia;-2,00\n13/01/2024;Commissione €;-1,00\n"
	chinese := "交易日期,对方户名,摘要,交易金额\n2024-01-02,上海渡船科技有限公司,货款,\"-1,200.00\"\n"
	polish := "Data operacji;Opis operacji;Kwota\n2024-01-02;Opłata za kartę, żółć;-7,00\n"
	enc := func(e interface{ Bytes([]byte) ([]byte, error) }, s string) []byte {
		b, err := e.Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name, want, text string
		data             []byte
	}{
		{"utf-8", "UTF-8", german, []byte(german)},
		{"utf-8 bom", "UTF-8", german, append([]byte("\xEF\xBB\xBF"), german...)},
		{"utf-16le bom", "UTF-16LE", german, enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), german)},
		{"utf-16le", "UTF-16LE", german, enc(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder(), german)},
		{"utf-16be bom", "UTF-16BE", german, enc(unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder(), german)},
		{"utf-16be", "UTF-16BE", german, enc(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder(), german)},
		{"windows-1252", "Windows-1252", german, enc(charmap.Windows1252.NewEncoder(), german)},
		{"iso-8859-1", "ISO-8859-1", strings.NewReplacer("„", "\"", "“", "\"", "–", "-").Replace(german), enc(charmap.ISO8859_1.NewEncoder(), strings.NewReplacer("„", "\"", "“", "\"", "–", "-").Replace(german))},
		{"iso-8859-15", "ISO-8859-15", euro, enc(charmap.ISO8859_15.NewEncoder(), euro)},
		{"gb18030", "GB18030", chinese, enc(simplifiedchinese.GB18030.NewEncoder(), chinese)},
		{"windows-1250", "Windows-1250", polish, enc(charmap.Windows1250.NewEncoder(), polish)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sts, err := parseTable(t, "enc.csv", tc.data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := sts[0]
			if !strings.Contains(strings.Join(st.Notes, "\n"), "encoding: "+tc.want+" ") {
				t.Fatalf("notes %q, want encoding %s", st.Notes, tc.want)
			}
			// Every line's texts come out exactly as written.
			lines := strings.Split(strings.TrimSpace(tc.text), "\n")[1:]
			for i, l := range st.Lines {
				if !strings.Contains(lines[i], l.Description) || l.Description == "" || l.Counterparty != "" && !strings.Contains(lines[i], l.Counterparty) {
					t.Errorf("line %d: %q / %q not in %q", i+1, l.Counterparty, l.Description, lines[i])
				}
			}
		})
	}
	// The encoding can be given.
	data := enc(charmap.Windows1252.NewEncoder(), german)
	sts, err := parseTable(t, "enc.csv", data, statements.Options{Encoding: "gb18030"})
	if err == nil && strings.Contains(sts[0].Lines[0].Counterparty, "Bäckerei") {
		t.Fatalf("the override was ignored")
	}
	sts, err = parseTable(t, "enc.csv", data, statements.Options{Mapping: mustMapping(t, "encoding: cp1252\n")})
	if err != nil || sts[0].Lines[0].Counterparty != "Bäckerei Größe" {
		t.Fatalf("mapping encoding: %v %v", err, sts)
	}
}

// A file whose account column names several accounts is one statement
// per account, in ParseWith and in Scan.
func TestOneStatementPerAccount(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("testdata/tables/rabobank_two_accounts.csv")
	per := map[string]int{}
	sts, n, err := statements.Scan(context.Background(), "rabo.csv", bytes.NewReader(data), int64(len(data)), statements.Options{}, func(l ferry.StatementLine) error {
		per[l.Account]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 || len(sts) != 2 || per["NL81RABO0312345678"] != 4 || per["NL39RABO0300065264"] != 2 {
		t.Fatalf("got %d lines, %d statements, %v", n, len(sts), per)
	}
	if sts[0].Closing.StringFixed(2) != "2410.31" || sts[1].Opening.StringFixed(2) != "10250.00" {
		t.Fatalf("balances %s %s", sts[0].Closing, sts[1].Opening)
	}
}

// Where the account comes from when the table has no account column.
func TestAccountSources(t *testing.T) {
	t.Parallel()
	csv := "Kontoauszug;Konto 1234567890\n\nBuchungstag;Verwendungszweck;Betrag\n02.01.2024;Miete;-800,00\n13.01.2024;Gehalt;2.500,00\n"
	tests := []struct {
		name, file, mapping, param, want, warn string
	}{
		{"label in the block", "x.csv", "", "", "1234567890", ""},
		{"cell", "x.csv", "account:\n  cell: B1\n", "", "1234567890", ""},
		{"label", "x.csv", "account:\n  label: Kontoauszug\n", "", "1234567890", ""},
		{"file name iban", "Umsaetze_DE89370400440532013000_2024.csv", "account:\n  file_name: iban\n", "", "DE89370400440532013000", ""},
		{"file name pattern", "export-0042-99.csv", "account:\n  file_name: \"export-(\\\\d+)-\"\n", "", "0042", ""},
		{"parameter", "x.csv", "account:\n  parameter: true\n", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", ""},
		{"fixed", "x.csv", "account: AT611904300234573201\n", "", "AT611904300234573201", ""},
		{"parameter differs", "x.csv", "", "999", "1234567890", "the caller expected 999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m *statements.Mapping
			if tc.mapping != "" {
				m = mustMapping(t, tc.mapping)
			}
			sts, err := parseTable(t, tc.file, []byte(csv), statements.Options{Mapping: m, Account: tc.param})
			if err != nil {
				t.Fatal(err)
			}
			if sts[0].Account != tc.want || sts[0].Lines[0].Account != tc.want {
				t.Fatalf("account %q, want %q", sts[0].Account, tc.want)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(sts[0].Warnings, "\n"), tc.warn) {
				t.Fatalf("warnings %q", sts[0].Warnings)
			}
		})
	}
	// Without any source: empty, with a warning; an IBAN in the file
	// name is taken.
	bare := "Buchungstag;Verwendungszweck;Betrag\n02.01.2024;Miete;-800,00\n"
	sts, _ := parseTable(t, "export.csv", []byte(bare), statements.Options{})
	if sts[0].Account != "" || !strings.Contains(strings.Join(sts[0].Warnings, "\n"), "no account") {
		t.Fatalf("got %q %q", sts[0].Account, sts[0].Warnings)
	}
	sts, _ = parseTable(t, "NL91ABNA0417164300_2024-01.csv", []byte(bare), statements.Options{})
	if sts[0].Account != "NL91ABNA0417164300" {
		t.Fatalf("file name: got %q", sts[0].Account)
	}
	m := mustMapping(t, "account:\n  parameter: true\n")
	if _, err := parseTable(t, "x.csv", []byte(bare), statements.Options{Mapping: m}); err == nil || !strings.Contains(err.Error(), "account.parameter") {
		t.Fatalf("missing parameter: got %v", err)
	}
}

// No header row: columns by position in a mapping, unnamed columns too.
func TestHeaderlessMapping(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("testdata/tables/raiffeisen_elba.csv")
	m := mustMapping(t, "header: false\ncolumns:\n  booking_date: 1\n  description: \"#2\"\n  value_date: 3\n  amount: 4\n  currency: 5\n  ignore: [6]\ndate_format: DD.MM.YYYY\ndecimal_separator: \",\"\naccount: AT483200000012345864\n")
	sts, err := parseTable(t, "elba.csv", data, statements.Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if amounts(st) != "-23.45 -740.00 2876.30 -4.90" || st.Account != "AT483200000012345864" || st.Lines[3].Description != "Kontoführungsgebühr 4,90 € Mai" {
		t.Fatalf("got %s %s %q", st.Account, amounts(st), st.Lines[3].Description)
	}
	m = mustMapping(t, "header: false\ncolumns:\n  booking_date: 1\n  amount: 9\n")
	if _, err := parseTable(t, "elba.csv", data, statements.Options{Mapping: m}); err == nil || !strings.Contains(err.Error(), "column 9 does not exist") {
		t.Fatalf("got %v", err)
	}
}

// Streaming: the columns are decided on the first rows; a later row that
// contradicts them is an error naming its line, and a record longer than
// the limit stops the read.
func TestScanLaterRowsAndLimits(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Date,Description,Amount\n")
	for i := 0; i < 700; i++ {
		fmt.Fprintf(&b, "2024-01-%02d,Coffee %d,-%d.50\n", i%28+1, i, i%90+1)
	}
	good := b.String()
	n := 0
	if _, _, err := statements.Scan(context.Background(), "long.csv", strings.NewReader(good), int64(len(good)), statements.Options{}, func(ferry.StatementLine) error { n++; return nil }); err != nil || n != 700 {
		t.Fatalf("%d lines, %v", n, err)
	}
	bad := good + "2024-02-01,Late,\"1.250,00\"\n"
	_, _, err := statements.Scan(context.Background(), "long.csv", strings.NewReader(bad), int64(len(bad)), statements.Options{}, func(ferry.StatementLine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "long.csv: line 702") || !strings.Contains(err.Error(), "misplaced") {
		t.Fatalf("late contradiction: got %v", err)
	}
	huge := "Date,Description,Amount\n2024-01-02,\"" + strings.Repeat("x", 2<<20)
	_, _, err = statements.Scan(context.Background(), "huge.csv", strings.NewReader(huge), int64(len(huge)), statements.Options{}, func(ferry.StatementLine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("huge record: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := statements.Scan(ctx, "long.csv", strings.NewReader(good), int64(len(good)), statements.Options{}, func(ferry.StatementLine) error { return nil }); err == nil {
		t.Fatal("a cancelled scan succeeded")
	}
}

// Rows hidden in the sheet are not transactions.
func TestHiddenXLSXRowsAreSkipped(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range [][]any{
		{"Date", "Description", "Amount"},
		{"2024-01-02", "Coffee", -3.5},
		{"2024-01-03", "Filtered out", -999.0},
		{"2024-01-04", "Salary", 2000.0},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	f.SetRowVisible("Sheet1", 3, false)
	var buf bytes.Buffer
	f.Write(&buf)
	sts, err := parseTable(t, "hidden.xlsx", buf.Bytes(), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := amounts(sts[0]); got != "-3.50 2000.00" {
		t.Fatalf("got %s, want -3.50 2000.00 (the hidden row skipped)", got)
	}
	m := mustMapping(t, "hidden_rows: read\n")
	sts, _ = parseTable(t, "hidden.xlsx", buf.Bytes(), statements.Options{Mapping: m})
	if got := amounts(sts[0]); got != "-3.50 -999.00 2000.00" {
		t.Fatalf("hidden_rows: read: got %s", got)
	}
}

func TestMappingFileOnDisk(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "ing.yaml")
	os.WriteFile(p, []byte("bank: ING\ncolumns:\n  amount: Bedrag (EUR)\n  sign: Af Bij\n"), 0o644)
	m, err := statements.LoadMapping(p)
	if err != nil || m.Path != p || m.Columns.Sign.Name != "Af Bij" {
		t.Fatalf("%v %+v", err, m)
	}
}

// Booking dates stored as date-times (a format such as dd.mm.yyyy hh:mm)
// read as their day; a time-of-day column is not taken for a date.
func TestXLSXDateTimeCells(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	style, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd.mm.yyyy hh:mm")})
	tstyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("hh:mm:ss")})
	rows := [][]any{{"Datum", "Uhrzeit", "Verwendungszweck", "Betrag (EUR)"},
		{time.Date(2024, 3, 4, 14, 30, 0, 0, time.UTC), 0.5, "Miete", -750.0},
		{time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC), 0.25, "Gehalt", 2100.5}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
		if i > 0 {
			f.SetCellStyle("Sheet1", fmt.Sprintf("A%d", i+1), fmt.Sprintf("A%d", i+1), style)
			f.SetCellStyle("Sheet1", fmt.Sprintf("B%d", i+1), fmt.Sprintf("B%d", i+1), tstyle)
		}
	}
	var buf bytes.Buffer
	f.Write(&buf)
	sts, err := parseTable(t, "umsatz.xlsx", buf.Bytes(), statements.Options{Account: "DE02120300000000202051"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range sts[0].Lines {
		got = append(got, l.BookingDate.String()+" "+l.Amount.StringFixed(2)+" "+l.Description)
	}
	if want := "2024-03-04 -750.00 Miete|2024-03-05 2100.50 Gehalt"; strings.Join(got, "|") != want {
		t.Fatalf("got %s, want %s", strings.Join(got, "|"), want)
	}
}

// A password-protected workbook is named as such, not as a legacy .xls.
func TestEncryptedXLSXNamed(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Date", "Amount"})
	var buf bytes.Buffer
	if err := f.Write(&buf, excelize.Options{Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	_, err := statements.ParseAll(context.Background(), "locked.xlsx", buf.Bytes())
	if err == nil || !strings.Contains(err.Error(), "password-protected") || !strings.Contains(err.Error(), "locked.xlsx") {
		t.Fatalf("got %v, want a password-protected error naming locked.xlsx", err)
	}
}

// Delimited text as real exports write it, against RFC 4180: lines ended
// by a lone CR (old Mac exports, csv2ofx's credit-union sample) or by CR
// CR LF (a Rabobank CSV converted twice), blanks between a closing quote
// and the delimiter (HSBC Hong Kong, Alipay), Excel's ="0123" text cells
// and line breaks inside quoted cells. Every row is read, none merged.
func TestCSVQuirksOfRealExports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv, amounts, account, desc string
	}{
		{"lone CR", "Date,Description,Amount,Balance\r2024-01-02,Coffee,-3.50,96.50\r2024-01-03,Salary,100.00,196.50\r", "-3.50 100.00", "", "Coffee"},
		{"CR CR LF", "\"Datum\",\"Bedrag\",\"Saldo na trn\",\"Omschrijving-1\"\r\r\n\"2024-01-02\",\"-3,50\",\"+96,50\",\"Koffie\"\r\r\n\"2024-01-03\",\"+100,00\",\"+196,50\",\"Salaris\"\r\r\n", "-3.50 100.00", "", "Koffie"},
		{"blanks after a closing quote", "Date,Description,Billing amount,Billing currency,Balance\n24/03/2025,TRIPLE Z,\"-1.00\"\t,HKD,\"3,612.17\"\t,\n20/03/2025,FUND TRANSFER,\"500.00\"  ,HKD,\"4,112.17\" \n", "-1.00 500.00", "", "TRIPLE Z"},
		{"Excel text cells", "Account;Date;Text;Amount\n=\"0012345678\";02.01.2024;\"Miete; Januar\";-800,00\n=\"0012345678\";03.01.2024;Gehalt;2.500,00\n", "-800.00 2500.00", "0012345678", "Miete; Januar"},
		{"line break in a quoted cell", "Date,Description,Amount\r\n2024-01-02,\"Coffee\r\nshop\",-3.50\r\n2024-01-03,Salary,100.00\r\n", "-3.50 100.00", "", "Coffee shop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sts, err := parseTable(t, "quirk.csv", []byte(tc.csv), statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := sts[0]
			if got := amounts(st); got != tc.amounts || st.Account != tc.account || st.Lines[0].Description != tc.desc {
				t.Fatalf("got %s account %q description %q, want %s %q %q", got, st.Account, st.Lines[0].Description, tc.amounts, tc.account, tc.desc)
			}
		})
	}
	// The line numbers in messages count a lone CR as a line end.
	_, err := parseTable(t, "cr.csv", []byte("Date,Description,Amount\r2024-01-02,A,-3.50\r2024-01-03,B,-2.00\r2024-01-04,C,-1.00\r2024-01-05,D,-4.00\r2024-01-06,E,-5.00\r2024-01-07,F,-6.00\r2024-01-08,G,-7.00\r2024-01-09,H,-8.00\r2024-01-10,I,-9.00\r2024-01-11,J,12x\r"), statements.Options{})
	if err == nil || !strings.Contains(err.Error(), "cr.csv: line 11") {
		t.Fatalf("got %v, want line 11", err)
	}
}

// Balance rows printed with a date inside the table (BancoPosta, with a
// stray bar beside the label and the amount) are balances, never
// transactions; a description that merely starts like a label stays a
// transaction.
func TestDatedBalanceRows(t *testing.T) {
	t.Parallel()
	csv := "Data;Valuta;Addebiti;Accrediti;Descrizione operazioni\n" +
		"31/12/23;;;1.000,00|;SALDO INIZIALE\n" +
		"03/01/24;03/01/24;2,00;;IMPOSTA DI BOLLO\n" +
		"05/01/24;05/01/24;;250,00;CLOSING COSTS REFUND\n" +
		"31/01/24;;;1.248,00;|SALDO FINALE\n"
	sts, err := parseTable(t, "bancoposta.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if amounts(st) != "-2.00 250.00" || st.Opening.StringFixed(2) != "1000.00" || st.Closing.StringFixed(2) != "1248.00" || st.NoBalances {
		t.Fatalf("got %s %s..%s", amounts(st), st.Opening, st.Closing)
	}
	if err := st.Reconcile(); err != nil {
		t.Fatal(err)
	}
	wrong := strings.Replace(csv, "1.248,00", "1.348,00", 1)
	if _, _, err := statements.Scan(context.Background(), "bancoposta.csv", strings.NewReader(wrong), int64(len(wrong)), statements.Options{}, func(ferry.StatementLine) error { return nil }); !errors.Is(err, ferry.ErrUnreconciled) {
		t.Fatalf("a wrong closing balance: got %v", err)
	}
}

// Hand-written imitations of real exports' quirks (testdata/tables, see
// its README): the amounts, signs and balances each must give, checked
// by hand against the file.
func TestRealExportQuirks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, amounts, open, close, account, currency string
		warn                                          string // a warning that must be shown
	}{
		// A fee is a line of its own; pending and reverted rows are left out.
		{"revolut_fee_pending.csv", "400.00 -23.47 -100.00 -2.00 -150.00", "112.35", "236.88", "", "EUR", `"PENDING", not booked`},
		// Net, not gross nor the shipping charges.
		{"paypal_fr.csv", "-45.90 45.90 116.17 -116.17", "0.00", "0.00", "", "EUR", ""},
		// The payee's account is not the statement's.
		{"wise_statement.csv", "-250.00 -12.80 900.00", "1334.55", "1971.75", "", "EUR", ""},
		// K is credit beside D; dated balance and Turnover rows are not lines.
		{"swedbank_lt.csv", "-18.45 -21.99 1830.00", "1250.40", "3039.96", "LT717300010123456789", "EUR", ""},
		// K is debit beside J.
		{"otp_hu_beki.csv", "-8450.00 512300.00 -21990.00", "", "", "11773016-01234567", "HUF", ""},
		// Czech headers in Windows-1250.
		{"raiffeisen_cz.csv", "-1245.00 38500.00 -29.00", "", "", "1234567890/5500", "CZK", ""},
		// Only a value date; 1'850.00.
		{"ubs_ch_fr.csv", "-1850.00 6250.00 -12.00", "10262.35", "14650.35", "0235 00123456.01A", "CHF", ""},
		// Month names, no header.
		{"nab_au.csv", "-54.20 2100.00 -18.50 -620.00", "1300.00", "2707.30", "", "", ""},
		// No header; the balance before each line; a serial number is no account.
		{"asn_nl.csv", "-35.00 -2.20 2840.00 -128.75", "1250.40", "3924.45", "NL44ASNB0708123456", "EUR", ""},
		// "Pending" for a date; CR marks credits, a blank is a charge.
		{"johnlewis_card.csv", "-1249.00 -6.80 850.00 -24.50", "", "", "", "GBP", `"Pending", not booked`},
		// A header and no rows: an empty statement, said so.
		{"knab_empty.csv", "", "", "", "", "", "no transactions"},
		// No header; withdrawal and deposit told apart by the balances.
		{"td_ca.csv", "-4.35 2150.00 -118.40 -300.00", "1527.49", "3254.74", "", "", ""},
		// Vorgemerkt left out; the payee of a debit, the payer of a credit.
		{"dkb_2023.csv", "-84.20 3100.00 -1000.00", "", "", "DE02120300000000202051", "EUR", `"Vorgemerkt", not booked`},
		// S/H marks; footer balance rows shifted two cells.
		{"volksbank_umsatzanzeige.csv", "3100.00 -1000.00 -84.20", "1.00", "2016.80", "123456789", "EUR", ""},
		// "offen" rows; Neuer Kontostand above, Alter Kontostand below.
		{"comdirect_umsaetze.csv", "-84.20 -1000.00 3100.00", "1.00", "2016.80", "", "EUR", `"offen", not booked`},
		// £ in Windows-1252, not Ł in Windows-1250.
		{"nationwide_uk.csv", "3100.00 -1000.00 -84.20", "1.00", "2016.80", "", "GBP", ""},
		// Charges positive in the file: negated, said so.
		{"amex_us.csv", "-29.99 -5.75 500.00 15.00 -18.40", "", "", "", "", "card export's convention"},
		// No year in the dates; the title's month gives it.
		{"cmb_credit_cn.csv", "500.00 -45.60 -300.00 89.00 -38.00", "", "", "", "CNY", "card export's convention"},
		// Period and balances repeated on every row.
		{"csb43_es.csv", "3100.00 -1000.00 -84.20", "1200.00", "3215.80", "0200051332", "EUR", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata/tables", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			sts, err := parseTable(t, tc.file, data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != 1 {
				t.Fatalf("%d statements, want 1", len(sts))
			}
			st := sts[0]
			open, closing := "", ""
			if !st.NoBalances {
				open, closing = st.Opening.StringFixed(2), st.Closing.StringFixed(2)
			}
			if got := amounts(st); got != tc.amounts || open != tc.open || closing != tc.close || st.Account != tc.account || st.Currency != tc.currency {
				t.Fatalf("got %s, %s..%s, account %q %s; want %s, %s..%s, %q %s", got, open, closing, st.Account, st.Currency, tc.amounts, tc.open, tc.close, tc.account, tc.currency)
			}
			if !st.NoBalances {
				if err := st.Reconcile(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.warn != "" && !strings.Contains(strings.Join(st.Warnings, "\n"), tc.warn) {
				t.Fatalf("warnings %q, want %q", st.Warnings, tc.warn)
			}
		})
	}
}

// A multi-currency account (as HSBC Hong Kong, PayPal and Wise export it)
// keeps one running balance per currency in the same column: one
// statement per currency, each chaining on its own, never a chain break
// or a sum across currencies.
func TestOneStatementPerCurrency(t *testing.T) {
	t.Parallel()
	csv := "Date,Description,Currency,Amount,Balance\n" +
		"2026-03-01,Salary,HKD,1000.00,5000.00\n" +
		"2026-03-02,Card,USD,-20.00,180.00\n" +
		"2026-03-03,Rent,HKD,-300.00,4700.00\n" +
		"2026-03-04,Refund,USD,5.50,185.50\n"
	sts, err := parseTable(t, "multi.csv", []byte(csv), statements.Options{Account: "123-456789-001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 {
		t.Fatalf("got %d statements, want one per currency", len(sts))
	}
	got := map[string]string{}
	for _, st := range sts {
		if st.Account != "123-456789-001" {
			t.Errorf("account %q", st.Account)
		}
		got[st.Currency] = fmt.Sprintf("%s %s..%s", amounts(st), st.Opening.StringFixed(2), st.Closing.StringFixed(2))
		for _, l := range st.Lines {
			if l.Currency != st.Currency {
				t.Errorf("%s line in the %s statement", l.Currency, st.Currency)
			}
		}
	}
	if got["HKD"] != "1000.00 -300.00 4000.00..4700.00" || got["USD"] != "-20.00 5.50 200.00..185.50" {
		t.Fatalf("got %v", got)
	}
}
