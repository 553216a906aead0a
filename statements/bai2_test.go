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

// Layouts of real BAI2 files that a line-per-record reader got wrong:
// several records on one physical line (moov-io's sample3, from a US
// bank); a transaction text wrapped onto a line of its own without an 88
// record, or continued with "88:" (sample5); an 03 record whose summary
// goes on in an 88 after "…,,,/" (Silicon Valley Bank) or after "…,,/"
// (moov-io's sample1). Hand-written imitations with other numbers; the
// control totals of each account, group and file must still add up.
func TestBAI2PhysicalLayouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		accounts   int
		amounts    string // every line's amount, in file order
		texts      []string
		opening    string
		note       string
	}{
		{
			name: "records_on_one_line.bai",
			data: "01,103100195,103100195,240611,2112,4,,,2/   02,103100195,103100195,1,240611,2400,USD,2/\n" +
				"03,2222222,,010,-3500,,,015,-3270,,,100,330,2,,400,100,1,/\n" +
				"16,142,250,Z,,,TRANSFER   PAYPAL             PPD/ 16,142,80,Z,,,TRANSFER   MSPBNA BANK        PPD/\n" +
				"16,451,100,Z,,,333333     ACH_SETL           4444444444\n" +
				"555555555555555        /\n" +
				"88:EREF: 07370568132\n" +
				"88,      6666666666/         49,-5910,6/  03,7777777,,010,00,,,015,00,,,100,00,0,,400,00,0,/  49,00,2/\n" +
				"98,-5910,2,12/\n99,-5910,1,14/\n",
			accounts: 2, amounts: "2.5 0.8 -1", opening: "-35",
			texts: []string{"TRANSFER   PAYPAL             PPD", "TRANSFER   MSPBNA BANK        PPD", "333333     ACH_SETL           4444444444 555555555555555 EREF: 07370568132 6666666666"},
			note:  "without an 88",
		},
		{
			name: "summary_continued.bai",
			data: "01,121140399,121140399,240214,0754,1,,,2/\n02,121140399,121140399,1,240213,,USD,2/\n" +
				"03,1234567890,USD,010,1000000,,,015,1049050,,,/\n" +
				"88,040,1000000,,,045,1049050,,,/\n" +
				"88,100,49050,1,,400,000,0,/\n" +
				"16,165,49050,,12345,,SOME PAYMENT ACH OFFSET/\n" +
				"49,4196200,5/\n" +
				"03,9876543210,CAD,040,+000000000000,,,045,+000000000000,,/\n" +
				"88,100,000000000002500,00001,V,240212,,400,000000000000000,00000,V,240212,/\n" +
				"16,195,000000000002500,V,240212,,,,WIRE IN     /\n" +
				"49,5000,4/\n" +
				"98,4201200,2,11/\n99,4201200,1,13/\n",
			accounts: 2, amounts: "490.5 25", opening: "10000",
			texts: []string{"SOME PAYMENT ACH OFFSET", "WIRE IN"},
		},
	} {
		sts, err := statements.ParseBAI2(tc.name, []byte(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var amounts, texts []string
		for _, st := range sts {
			for _, l := range st.Lines {
				amounts = append(amounts, l.Amount.String())
				texts = append(texts, l.Description)
			}
		}
		if len(sts) != tc.accounts || strings.Join(amounts, " ") != tc.amounts || sts[0].Opening.String() != tc.opening {
			t.Errorf("%s: %d accounts, amounts %v, opening %s; want %d, %s, %s", tc.name, len(sts), amounts, sts[0].Opening, tc.accounts, tc.amounts, tc.opening)
		}
		if strings.Join(texts, "|") != strings.Join(tc.texts, "|") {
			t.Errorf("%s: texts %q, want %q", tc.name, texts, tc.texts)
		}
		if err := sts[0].Reconcile(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if notes := strings.Join(sts[0].Notes, "; "); !strings.Contains(notes, tc.note) {
			t.Errorf("%s: notes %q, want one saying %q", tc.name, notes, tc.note)
		}
	}
	// A line that starts no record and continues no text is refused,
	// naming it.
	bad := "01,A,B,240611,2112,4,,,2/\n02,B,A,1,240611,2400,USD,2/\n03,1,,010,0,,,015,0,,/\n49,0,2/\nXYZ,1/\n98,0,1,4/\n99,0,1,6/\n"
	if _, err := statements.ParseBAI2("bad.bai", []byte(bad)); err == nil || !strings.Contains(err.Error(), `bad.bai: line 5`) || !strings.Contains(err.Error(), `"XYZ"`) {
		t.Errorf("stray line: got %v, want an error naming line 5", err)
	}
}
