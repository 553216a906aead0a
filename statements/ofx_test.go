package statements_test

import (
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/statements"
)

func TestOFXCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpus, "ofx/ofxparse")
	files, _ := filepath.Glob(filepath.Join(dir, "*.ofx"))
	if len(files) == 0 {
		testenv.Missing(t, "corpus not found")
	}
	for _, f := range files {
		base := filepath.Base(f)
		data, _ := os.ReadFile(f)
		sts, err := statements.ParseOFX(base, data)
		switch base {
		case "signon_fail.ofx":
			if err == nil || ferry.ClassOf(err) != ferry.ClassCredentialsRejected {
				t.Errorf("%s: got %v, want the refused sign-on as credentials_rejected", base, err)
			}
			continue
		case "account_listing_aggregation.ofx", "bank_small.ofx", "signon_success.ofx", "signon_success_no_message.ofx", "error_message.ofx":
			if err == nil {
				t.Errorf("%s: a file without statements parsed as %d statements", base, len(sts))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		// Every STMTTRN of a bank or card statement, and every cash
		// transaction of an investment statement, is a line.
		want := strings.Count(string(data), "<STMTTRN>")
		got := 0
		for _, st := range sts {
			got += len(st.Lines)
			if st.Account == "" {
				t.Errorf("%s: statement without account", base)
			}
		}
		if got != want {
			t.Errorf("%s: got %d lines, want %d", base, got, want)
		}
	}
}

func TestOFXValues(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(corpus, "ofx/ofxparse/checking.ofx"))
	if err != nil {
		testenv.Missing(t, "corpus not found")
	}
	sts, err := statements.ParseOFX("checking.ofx", data)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	l := st.Lines[0]
	// Values read off the file by hand (lines 37-53, 73).
	if st.Account != "1452687~7" || st.Currency != "USD" || l.Amount.String() != "0.01" || l.BookingDate.String() != "2011-03-31" ||
		l.TransactionID != "0000486" || l.Counterparty != "DIVIDEND EARNED FOR PERIOD OF 03" || !strings.HasPrefix(l.Description, "DIVIDEND EARNED FOR PERIOD OF 03/01/2011") {
		t.Fatalf("got account %q %s, first line %+v", st.Account, st.Currency, l)
	}
	if st.Closing.String() != "100.99" {
		t.Fatalf("ledger balance %s, want 100.99", st.Closing)
	}
}

func TestOFXBrokenFilesFailClearly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, want string }{
		{"date_missing.ofx", "no posting date"},
		{"decimal_error.ofx", `bad amount "$120"`},
		{"empty_balance.ofx", "LEDGERBAL: bad amount"},
	} {
		data, err := os.ReadFile(filepath.Join(corpus, "ofx/ofxparse/fail_nice", tc.file))
		if err != nil {
			testenv.Missing(t, "corpus not found")
		}
		_, err = statements.ParseOFX(tc.file, data)
		if err == nil || !strings.Contains(err.Error(), tc.file+": line ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming the file and line with %q", tc.file, err, tc.want)
		}
	}
}
