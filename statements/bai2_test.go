package statements_test

import (
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/statements"
)

func TestBAI2Corpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpus, "bai2/moov-io")
	for _, f := range []string{"sample1.txt", "sample2.txt"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			testenv.Missing(t, "corpus not found")
		}
		sts, err := statements.ParseBAI2(f, data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lines := 0
		for _, st := range sts {
			lines += len(st.Lines)
		}
		if want := strings.Count("\n"+string(data), "\n16,"); lines != want {
			t.Errorf("%s: got %d lines, want %d", f, lines, want)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sample1.txt"))
	sts, _ := statements.ParseBAI2("sample1.txt", data)
	l := sts[0].Lines[0]
	// sample1.txt line 5: 16,409,000000000002500,V,060316,,,,RETURNED CHEQUE
	if len(sts) != 2 || sts[0].Account != "10200123456" || sts[0].Currency != "CAD" || l.Amount.String() != "-25" ||
		l.ValueDate.String() != "2006-03-16" || l.BookingDate.String() != "2006-03-17" || l.Description != "RETURNED CHEQUE" {
		t.Fatalf("got %d statements, first line %+v", len(sts), l)
	}
	// A changed digit breaks the account's control total.
	broken := strings.Replace(string(data), "000000000090000,V,060316,,,,RTN-UNKNOWN", "000000000090001,V,060316,,,,RTN-UNKNOWN", 1)
	if _, err := statements.ParseBAI2("x.txt", []byte(broken)); err == nil || !strings.Contains(err.Error(), "control total") || !strings.Contains(err.Error(), "x.txt: line 16") {
		t.Fatalf("tampered amount: got %v", err)
	}
	bad, _ := os.ReadFile(filepath.Join(dir, "sample-parseError.txt"))
	if _, err := statements.ParseBAI2("sample-parseError.txt", bad); err == nil || !strings.Contains(err.Error(), "sample-parseError.txt") {
		t.Fatalf("parse-error sample: got %v", err)
	}
}
