package statements_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/statements"
)

// renderStatements writes statements as a reviewable text: the header,
// the balances, every line's dates, amount (with its sign), currency,
// counterparty, description, references and balance, then the notes and
// warnings. Golden files hold it.
func renderStatements(sts []ferry.Statement) []byte {
	var b bytes.Buffer
	for _, st := range sts {
		fmt.Fprintf(&b, "statement account=%q name=%q currency=%q from=%s to=%s\n", st.Account, st.Name, st.Currency, st.From, st.To)
		if st.NoBalances {
			fmt.Fprintf(&b, "  balances: not stated\n")
		} else {
			fmt.Fprintf(&b, "  balances: opening %s closing %s\n", st.Opening.StringFixed(2), st.Closing.StringFixed(2))
		}
		for _, bal := range st.Balances {
			fmt.Fprintf(&b, "  balance %s %s %s %s\n", bal.Type, bal.Amount.StringFixed(2), bal.Currency, bal.Date)
		}
		for _, l := range st.Lines {
			fmt.Fprintf(&b, "  line %s value=%s %s %s cp=%q desc=%q ref=%q txid=%q bal=%s acct=%s\n", l.BookingDate, l.ValueDate,
				l.Amount.StringFixed(2), l.Currency, l.Counterparty, l.Description, l.Reference, l.TransactionID, l.BalanceAfter.StringFixed(2), l.Account)
			if l.Details != "" {
				fmt.Fprintf(&b, "    details %q\n", l.Details)
			}
		}
		if err := st.Reconcile(); err != nil {
			fmt.Fprintf(&b, "  reconcile: %v\n", err)
		} else if !st.NoBalances {
			fmt.Fprintf(&b, "  reconcile: ok\n")
		}
		for _, n := range st.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	return b.Bytes()
}

// The hand-written exports in testdata/tables (see its README.md) parse
// with no mapping; every line's date, amount, sign and texts are in the
// golden files, which were checked by hand against the export.
func TestTablesWithoutMapping(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/tables/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") || strings.HasSuffix(f, ".md") || strings.HasSuffix(f, ".yaml") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sts, err := statements.ParseWith(context.Background(), filepath.Base(f), data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, f+".golden", renderStatements(sts))
			// Streaming gives the same lines (in file order) and the same
			// statements.
			var got []ferry.StatementLine
			scanned, n, err := statements.Scan(context.Background(), filepath.Base(f), bytes.NewReader(data), int64(len(data)), statements.Options{}, func(l ferry.StatementLine) error {
				got = append(got, l)
				return nil
			})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			want := 0
			for _, st := range sts {
				want += len(st.Lines)
			}
			if n != want || len(got) != want || len(scanned) != len(sts) {
				t.Fatalf("scan: %d lines in %d statements, parse: %d in %d", n, len(scanned), want, len(sts))
			}
			for i, st := range scanned {
				if st.Account != sts[i].Account || !st.Opening.Equal(sts[i].Opening) || !st.Closing.Equal(sts[i].Closing) || st.NoBalances != sts[i].NoBalances {
					t.Errorf("scan statement %d: %s %s..%s, parse: %s %s..%s", i, st.Account, st.Opening, st.Closing, sts[i].Account, sts[i].Opening, sts[i].Closing)
				}
			}
		})
	}
	if n < 15 {
		t.Fatalf("only %d table files found", n)
	}
}

// What `ferry mapping suggest` prints is a valid mapping, and parsing with
// it gives the same statements as parsing without one.
func TestSuggestedMappingRoundTrip(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/tables/*.*")
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") || strings.HasSuffix(f, ".md") || strings.HasSuffix(f, ".yaml") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			y, err := statements.SuggestMapping(context.Background(), filepath.Base(f), bytes.NewReader(data), int64(len(data)), statements.Options{})
			if err != nil {
				t.Fatalf("suggest: %v\n%s", err, y)
			}
			m, err := statements.ParseMapping("suggested.yaml", y)
			if err != nil {
				t.Fatalf("%v\n%s", err, y)
			}
			want, err := statements.ParseWith(context.Background(), filepath.Base(f), data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := statements.ParseWith(context.Background(), filepath.Base(f), data, statements.Options{Mapping: m})
			if err != nil {
				t.Fatalf("with the suggested mapping: %v\n%s", err, y)
			}
			if len(got) != len(want) {
				t.Fatalf("%d statements with the mapping, %d without", len(got), len(want))
			}
			for i := range got {
				if len(got[i].Lines) != len(want[i].Lines) || got[i].Account != want[i].Account || got[i].Currency != want[i].Currency {
					t.Fatalf("statement %d: %s %s %d lines with the mapping, %s %s %d without\n%s", i, got[i].Account, got[i].Currency, len(got[i].Lines), want[i].Account, want[i].Currency, len(want[i].Lines), y)
				}
				for j := range got[i].Lines {
					if !linesEqual(got[i].Lines[j], want[i].Lines[j]) {
						t.Fatalf("line %d: %+v with the mapping, %+v without\n%s", j+1, got[i].Lines[j], want[i].Lines[j], y)
					}
				}
			}
		})
	}
}
