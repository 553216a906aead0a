package statements_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/statements"
)

// realDir holds real bank files that other projects publish as test data,
// copied with their source and licence (see the README.md in each of its
// directories).
const realDir = "testdata/real"

// realRefusals are the real files Ferry must refuse, with the failure
// class and a text the message must contain (the problem it names).
var realRefusals = map[string]struct {
	class ferry.FailureClass
	names string
}{
	// A card export whose charges are all printed positive, with nothing
	// in the file (no sign or type column, no balance, no card words)
	// that says so: booking them as credits would be a silent wrong sign.
	"double-entry-generator/example-bmo-credit-records.csv": {ferry.ClassDocumentChanged, "is positive and nothing states the signs"},
	// A transaction whose <TRNAMT> is empty: no amount, no line.
	"ofxparser/ofxdata-banking-xml200.ofx": {ferry.ClassDocumentChanged, `bad amount ""`},
	// Every date has a day of 12 or less: day-first and month-first
	// both fit, and a guess could book a payment in the wrong month.
	"bank2ynab/20180226_12345678.csv": {ferry.ClassDocumentChanged, "cannot tell day-first from month-first"},
	"csv2ofx/payoneer.csv":            {ferry.ClassDocumentChanged, "cannot tell day-first from month-first"},
	// CITIC Bank's card export is a legacy Excel 97-2003 workbook.
	"double-entry-generator/example-citic-records.xls": {ferry.ClassDocumentChanged, "legacy Excel 97-2003 (.xls) workbooks are not supported"},
	// mt940-rs's broken-on-purpose cases: a statement without :25:, and
	// a file of numbers with no MT940 field at all.
	"mt940-rs/unexpected_tag.sta":    {ferry.ClassDocumentChanged, "names no account (:25:)"},
	"mt940-rs/invalid_statement.sta": {ferry.ClassDocumentChanged, "no MT940 fields"},
}

// renderReal writes statements for a golden file: each statement's
// account, currency, period and stated balances, every line's booking and
// value date, signed amount, currency, counterparty, description,
// reference, transaction id and balance after it, the reconciliation and
// the warnings. Notes (how columns were recognised) are left out: they
// explain a parse, they are not its result.
func renderReal(sts []ferry.Statement) []byte {
	var b bytes.Buffer
	for i, st := range sts {
		fmt.Fprintf(&b, "statement %d account=%q name=%q currency=%q from=%s to=%s id=%q\n", i+1, st.Account, st.Name, st.Currency, st.From, st.To, st.ID)
		if st.NoBalances {
			fmt.Fprintf(&b, "  balances: not stated\n")
		} else {
			fmt.Fprintf(&b, "  balances: opening %s closing %s\n", st.Opening.StringFixed(2), st.Closing.StringFixed(2))
		}
		for _, bal := range st.Balances {
			fmt.Fprintf(&b, "  balance %s %s %s %s\n", bal.Type, bal.Amount.StringFixed(2), bal.Currency, bal.Date)
		}
		for _, l := range st.Lines {
			fmt.Fprintf(&b, "  line %s value=%s %s %s cp=%q desc=%q ref=%q txid=%q bal=%s\n", l.BookingDate, l.ValueDate,
				l.Amount.StringFixed(2), l.Currency, l.Counterparty, l.Description, l.Reference, l.TransactionID, l.BalanceAfter.StringFixed(2))
		}
		if err := st.Reconcile(); err != nil {
			fmt.Fprintf(&b, "  reconcile: %v\n", err)
		} else if !st.NoBalances {
			fmt.Fprintf(&b, "  reconcile: ok\n")
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	return b.Bytes()
}

// Real bank files from other projects' test data (MT940 from Dutch,
// German, Danish, Polish, Macedonian, Nigerian and South African banks,
// camt.052/053/054, OFX 1.x and 2.x, BAI2, CSV and XLSX exports of
// European and Chinese banks and payment apps) parse with no mapping and
// no format hint. Every value is in a golden file beside the file
// (go test ./statements -run TestRealStatements -update rewrites them),
// checked by hand against the document before it was committed. The few
// files Ferry must refuse are in realRefusals.
func TestRealStatements(t *testing.T) {
	t.Parallel()
	files := testenv.RealFiles(t, realDir)
	if len(files) < 30 {
		t.Fatalf("found %d real statement files in %s", len(files), realDir)
	}
	testenv.CheckProvenance(t, realDir, files)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(realDir, filepath.FromSlash(rel))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(rel)
			sts, err := statements.ParseWith(t.Context(), name, data, statements.Options{})
			if want, ok := realRefusals[rel]; ok {
				switch {
				case err == nil:
					t.Fatalf("parsed as %d statements; want a refusal naming %q", len(sts), want.names)
				case ferry.ClassOf(err) != want.class:
					t.Errorf("error class %s, want %s: %v", ferry.ClassOf(err), want.class, err)
				case !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), want.names):
					t.Errorf("the error does not name the file and %q: %v", want.names, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v", err)
			}
			testenv.Golden(t, p+".golden", renderReal(sts))
		})
	}
	for rel := range realRefusals {
		if _, err := os.Stat(filepath.Join(realDir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("refusal table names %s: %v", rel, err)
		}
	}
}
